"""Every write to the service catalogue: the application catalogue, service products, their category
trees, routing rules and the priority matrix.

Each function owns its transaction, checks the actor's right (``P.ADMINISTER`` for the catalogue and the
matrix, ``P.ROUTING_MANAGE`` in the rule's organisation for routing rules), validates everything before it
writes anything (a ``ValidationFailed`` names each field) and appends the audit trail as its last step.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from opsdesk.accounts.models import Organisation, SupportGroup, User
from opsdesk.accounts.roles import Permission as P
from opsdesk.accounts.selectors import organisation_ids_where
from opsdesk.audit.services import audit_record
from opsdesk.core.errors import PermissionDenied, ValidationFailed
from opsdesk.core.validation import Errors
from opsdesk.core.validation import add_error as _add
from opsdesk.core.validation import clean_text as _text
from opsdesk.core.validation import field_error as _fail
from opsdesk.core.validation import raise_if_any as _raise
from opsdesk.incidents.choices import Impact, Priority, Urgency
from opsdesk.incidents.models import PriorityRule
from opsdesk.sla.models import ServiceLevelAgreement
from opsdesk.sla.selectors import agreement_for_service
from opsdesk.sla.services import service_agreement_set

from .models import (
    CHILD_LEVEL,
    ApplicationLevel,
    ApplicationNode,
    Category,
    RoutingRule,
    Service,
    ServiceKind,
)
from .selectors import priority_matrix

CODE_PATTERN = re.compile(r"^[-a-zA-Z0-9_]+$")
UNSET: Any = object()  # "leave this field as it is" in the update services



# Shared checks --------------------------------------------------------------------------------


def _require_admin(actor: User | None) -> None:
    if actor is None or not actor.holds(P.ADMINISTER):
        raise PermissionDenied(_("Only administrators may change the service catalogue."))


def require_catalogue_admin(actor: User | None) -> None:
    """Refuse (403) anyone who may not change the catalogue, before a caller parses what they sent."""
    _require_admin(actor)


def _may_route_in(actor: User, organisation: Organisation | None) -> bool:
    """A rule for one organisation needs the right there; a rule for every organisation needs it everywhere."""
    scope = organisation_ids_where(actor, P.ROUTING_MANAGE)
    if organisation is not None:
        return organisation.pk in scope
    return bool(scope) and set(Organisation.objects.values_list("id", flat=True)) <= scope


def _require_routing(actor: User | None, *organisations: Organisation | None) -> None:
    if actor is None or not actor.holds(P.ROUTING_MANAGE):
        raise PermissionDenied(_("You may not maintain routing rules."))
    for organisation in organisations:
        if not _may_route_in(actor, organisation):
            if organisation is None:
                raise PermissionDenied(_("Only those who manage routing for every organisation may change a rule "
                                         "that applies to all organisations."))
            raise PermissionDenied(_("You may not maintain routing rules for %(organisation)s.")
                                   % {"organisation": organisation})


def _code(errors: Errors, value: Any, *, max_length: int) -> str:
    code = _text(errors, "code", value, max_length=max_length)
    if code and "code" not in errors and not CODE_PATTERN.match(code):
        _add(errors, "code", _("Use only letters, digits, hyphens and underscores."))
    return code


def _value(value: Any) -> Any:
    if hasattr(value, "pk"):
        return {"id": value.pk, "label": str(value)}
    return value


def _snapshot(obj: Any, fields: Iterable[str]) -> dict[str, Any]:
    return {field: _value(getattr(obj, field)) for field in fields}


def _changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    return {field: [before[field], after[field]] for field in before if before[field] != after[field]}


# The application catalogue (应用目录) ------------------------------------------------------------

NODE_FIELDS = ("code", "name", "name_en", "level", "parent", "description", "owner_group", "organisation",
               "is_active")


def _subtree_ids(node: ApplicationNode) -> list[int]:
    """The node's descendants (not the node), a query per level (the catalogue has four)."""
    found: list[int] = []
    frontier = [node.pk]
    while frontier:
        frontier = list(ApplicationNode.objects.filter(parent_id__in=frontier).values_list("id", flat=True))
        frontier = [pk for pk in frontier if pk not in found and pk != node.pk]
        found.extend(frontier)
    return found


def _node_level(errors: Errors, level: Any, parent: ApplicationNode | None, *, check_active: bool = True) -> str:
    """The level a node under ``parent`` has; a level given that does not fit is an error."""
    if level not in (None, "") and level not in ApplicationLevel.values:
        _add(errors, "level", _("Choose one of the listed values."))
        return ""
    if parent is None:
        if level not in (None, "", ApplicationLevel.SYSTEM):
            _add(errors, "parent", _("A %(level)s belongs under a parent: only a system stands at the top.")
                 % {"level": ApplicationLevel(level).label})
            return ""
        return ApplicationLevel.SYSTEM
    expected = CHILD_LEVEL.get(ApplicationLevel(parent.level))
    if expected is None:
        _add(errors, "parent", _("A module is the lowest level: it cannot have children."))
        return ""
    if level not in (None, "") and level != expected:
        _add(errors, "level", _("Under a %(parent)s comes a %(level)s.")
             % {"parent": ApplicationLevel(parent.level).label, "level": expected.label})
        return ""
    if check_active and not parent.is_active:
        _add(errors, "parent", _("%(node)s is inactive; reactivate it first.") % {"node": parent})
    return expected


def _node_code_taken(code: str, node: ApplicationNode | None = None) -> bool:
    taken = ApplicationNode.objects.filter(code__iexact=code)
    return (taken.exclude(pk=node.pk) if node else taken).exists()


@transaction.atomic
def application_node_create(
    *,
    actor: User | None,
    code: str,
    name: str,
    level: str | None = None,
    parent: ApplicationNode | None = None,
    name_en: str = "",
    description: str = "",
    owner_group: SupportGroup | None = None,
    organisation: Organisation | None = None,
) -> ApplicationNode:
    """Add a node to the catalogue: a system at the top, or the level below its parent."""
    _require_admin(actor)
    errors: Errors = {}
    code = _code(errors, code, max_length=60)
    name = _text(errors, "name", name, max_length=120)
    name_en = _text(errors, "name_en", name_en, max_length=120, required=False)
    description = _text(errors, "description", description, max_length=4000, required=False)
    level = _node_level(errors, level, parent)
    if code and "code" not in errors and _node_code_taken(code):
        _add(errors, "code", _("The code %(code)s is already used by another node.") % {"code": code})
    _raise(errors)
    node = ApplicationNode.objects.create(code=code, name=name, name_en=name_en, level=level, parent=parent,
                                          description=description, owner_group=owner_group,
                                          organisation=organisation)
    audit_record(actor=actor, action="application_node.created", subject=node,
                 data={"fields": _snapshot(node, NODE_FIELDS)})
    return node


@transaction.atomic
def application_node_update(
    *,
    actor: User | None,
    node: ApplicationNode,
    code: str = UNSET,
    name: str = UNSET,
    name_en: str = UNSET,
    description: str = UNSET,
    parent: ApplicationNode | None = UNSET,
    level: str | None = UNSET,
    owner_group: SupportGroup | None = UNSET,
    organisation: Organisation | None = UNSET,
) -> ApplicationNode:
    """Rename, re-code, re-own or move a node. Moving may not make a cycle nor change the level of a node
    that has children (they would no longer fit under it)."""
    _require_admin(actor)
    locked = ApplicationNode.objects.select_for_update().get(pk=node.pk)
    before = _snapshot(locked, NODE_FIELDS)
    errors: Errors = {}
    if code is not UNSET:
        locked.code = _code(errors, code, max_length=60)
        if locked.code and "code" not in errors and _node_code_taken(locked.code, locked):
            _add(errors, "code", _("The code %(code)s is already used by another node.") % {"code": locked.code})
    if name is not UNSET:
        locked.name = _text(errors, "name", name, max_length=120)
    if name_en is not UNSET:
        locked.name_en = _text(errors, "name_en", name_en, max_length=120, required=False)
    if description is not UNSET:
        locked.description = _text(errors, "description", description, max_length=4000, required=False)
    if owner_group is not UNSET:
        locked.owner_group = owner_group
    if organisation is not UNSET:
        locked.organisation = organisation
    if parent is not UNSET or level is not UNSET:
        new_parent = locked.parent if parent is UNSET else parent
        moved = (new_parent.pk if new_parent else None) != locked.parent_id
        if new_parent is not None and (new_parent.pk == locked.pk or new_parent.pk in _subtree_ids(locked)):
            _add(errors, "parent", _("A node cannot be placed under itself or one of its own descendants."))
        else:
            new_level = _node_level(errors, None if level is UNSET else level, new_parent, check_active=moved)
            if new_level and new_level != locked.level and locked.children.exists():
                _add(errors, "parent", _("Moving %(node)s would make it a %(level)s, and its children would no "
                                         "longer fit under it. Move or remove its children first.")
                     % {"node": locked, "level": ApplicationLevel(new_level).label})
            if new_level:
                locked.level = new_level
            locked.parent = new_parent
    _raise(errors)
    locked.save()
    changes = _changes(before, _snapshot(locked, NODE_FIELDS))
    if changes:
        audit_record(actor=actor, action="application_node.updated", subject=locked, data={"changes": changes})
    return locked


@transaction.atomic
def application_node_deactivate(*, actor: User | None, node: ApplicationNode, cascade: bool = False) -> ApplicationNode:
    """Take a node out of use. One with active children or services is refused unless ``cascade`` says to
    deactivate them too (the whole subtree and every service offered on it)."""
    _require_admin(actor)
    locked = ApplicationNode.objects.select_for_update().get(pk=node.pk)
    subtree = _subtree_ids(locked)
    nodes = list(ApplicationNode.objects.filter(pk__in=subtree, is_active=True).order_by("id"))
    services = list(Service.objects.filter(application_id__in=[locked.pk, *subtree], is_active=True).order_by("id"))
    if (nodes or services) and not cascade:
        message = _("%(node)s still has %(nodes)d active nodes below it and %(services)d active services offered "
                    "on it. Confirm to deactivate them too.") % {
            "node": locked, "nodes": len(nodes), "services": len(services)}
        raise ValidationFailed(message, code="has_active_dependants", field_errors={"cascade": [message]})
    if not locked.is_active:
        return locked
    deactivated = [locked, *nodes]
    ApplicationNode.objects.filter(pk__in=[n.pk for n in deactivated]).update(is_active=False)
    Service.objects.filter(pk__in=[s.pk for s in services]).update(is_active=False)
    for item in deactivated:
        item.is_active = False
        audit_record(actor=actor, action="application_node.deactivated", subject=item, data={
            "changes": {"is_active": [True, False]}, "with": locked.code if item is not locked else None})
    for service in services:
        service.is_active = False
        audit_record(actor=actor, action="service.deactivated", subject=service, data={
            "changes": {"is_active": [True, False]}, "with": locked.code})
    return locked


@transaction.atomic
def application_node_reactivate(*, actor: User | None, node: ApplicationNode) -> ApplicationNode:
    """Put a node back in use (only itself: its children and services stay as they are)."""
    _require_admin(actor)
    locked = ApplicationNode.objects.select_for_update().get(pk=node.pk)
    if locked.is_active:
        return locked
    if locked.parent is not None and not locked.parent.is_active:
        raise _fail("parent", _("%(node)s is inactive; reactivate it first.") % {"node": locked.parent})
    locked.is_active = True
    locked.save(update_fields=["is_active"])
    audit_record(actor=actor, action="application_node.reactivated", subject=locked,
                 data={"changes": {"is_active": [False, True]}})
    return locked


# Service products (服务产品) ---------------------------------------------------------------------

SERVICE_FIELDS = ("code", "name", "name_en", "kind", "description", "application", "owner_group", "is_active")


def _service_fields(errors: Errors, fields: dict[str, Any], service: Service | None = None) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    if "code" in fields:
        cleaned["code"] = _code(errors, fields["code"], max_length=40)
        if cleaned["code"] and "code" not in errors:
            taken = Service.objects.filter(code__iexact=cleaned["code"])
            if (taken.exclude(pk=service.pk) if service else taken).exists():
                _add(errors, "code", _("The code %(code)s is already used by another service.")
                     % {"code": cleaned["code"]})
    if "name" in fields:
        cleaned["name"] = _text(errors, "name", fields["name"], max_length=120)
    if "name_en" in fields:
        cleaned["name_en"] = _text(errors, "name_en", fields["name_en"], max_length=120, required=False)
    if "description" in fields:
        cleaned["description"] = _text(errors, "description", fields["description"], max_length=4000, required=False)
    if "kind" in fields:
        if fields["kind"] not in ServiceKind.values:
            _add(errors, "kind", _("Choose one of the listed values."))
        cleaned["kind"] = fields["kind"]
    if "application" in fields:
        application = fields["application"]
        inactive = application is not None and not ApplicationNode.objects.filter(pk=application.pk,
                                                                                  is_active=True).exists()
        if inactive and (service is None or service.application_id != application.pk):
            _add(errors, "application", _("%(node)s is inactive; choose an active node of the catalogue.")
                 % {"node": application})
        cleaned["application"] = application
    if "owner_group" in fields:
        cleaned["owner_group"] = fields["owner_group"]
    if "is_active" in fields:
        cleaned["is_active"] = bool(fields["is_active"])
    return cleaned


def _set_agreement(actor: User | None, service: Service, agreement: ServiceLevelAgreement | None) -> None:
    """Offer the service under ``agreement`` through the SLA app (which audits it); its errors name ``sla``."""
    current = agreement_for_service(service)
    if (current.pk if current else None) == (agreement.pk if agreement else None):
        return
    try:
        service_agreement_set(actor=actor, service=service, agreement=agreement)
    except ValidationFailed as error:
        messages = [str(m) for field_messages in error.field_errors.values() for m in field_messages]
        raise ValidationFailed(error.message, field_errors={"sla": messages or [str(error.message)]}) from error


@transaction.atomic
def service_create(
    *,
    actor: User | None,
    code: str,
    name: str,
    kind: str = ServiceKind.OTHER,
    name_en: str = "",
    description: str = "",
    application: ApplicationNode | None = None,
    owner_group: SupportGroup | None = None,
    is_active: bool = True,
    agreement: ServiceLevelAgreement | None = None,
) -> Service:
    """Offer a service product on the catalogue (optionally under a service level agreement)."""
    _require_admin(actor)
    errors: Errors = {}
    fields = _service_fields(errors, {"code": code, "name": name, "name_en": name_en, "kind": kind,
                                      "description": description, "application": application,
                                      "owner_group": owner_group, "is_active": is_active})
    _raise(errors)
    service = Service.objects.create(**fields)
    audit_record(actor=actor, action="service.created", subject=service,
                 data={"fields": _snapshot(service, SERVICE_FIELDS)})
    if agreement is not None:
        _set_agreement(actor, service, agreement)
    return service


@transaction.atomic
def service_update(*, actor: User | None, service: Service, agreement: Any = UNSET, **changes: Any) -> Service:
    """Change a service product: any of code, name, name_en, kind, description, application, owner_group,
    is_active; ``agreement`` (an SLA or None) sets its service level agreement through the SLA app."""
    _require_admin(actor)
    unknown = set(changes) - set(SERVICE_FIELDS)
    if unknown:
        raise TypeError(f"service_update() got unexpected fields {sorted(unknown)}")
    locked = Service.objects.select_for_update().get(pk=service.pk)
    before = _snapshot(locked, SERVICE_FIELDS)
    errors: Errors = {}
    fields = _service_fields(errors, changes, locked)
    _raise(errors)
    for field, value in fields.items():
        setattr(locked, field, value)
    locked.save()
    changed = _changes(before, _snapshot(locked, SERVICE_FIELDS))
    if changed:
        audit_record(actor=actor, action="service.updated", subject=locked, data={"changes": changed})
    if agreement is not UNSET:
        _set_agreement(actor, locked, agreement)
    return locked


# Category trees --------------------------------------------------------------------------------

CATEGORY_FIELDS = ("code", "name", "name_en", "parent", "is_active")


def _category_subtree_ids(category: Category) -> list[int]:
    found: list[int] = []
    frontier = [category.pk]
    while frontier:
        frontier = [pk for pk in Category.objects.filter(parent_id__in=frontier).values_list("id", flat=True)
                    if pk not in found and pk != category.pk]
        found.extend(frontier)
    return found


def _category_parent(errors: Errors, service: Service, parent: Category | None,
                     category: Category | None = None) -> None:
    if parent is None:
        return
    if parent.service_id != service.pk:
        _add(errors, "parent", _("This category belongs to another service."))
    elif category is not None and (parent.pk == category.pk or parent.pk in _category_subtree_ids(category)):
        _add(errors, "parent", _("A category cannot be placed under itself or one of its own subcategories."))
    elif not parent.is_active:
        _add(errors, "parent", _("%(category)s is no longer used; reactivate it first.") % {"category": parent})


def _category_code_taken(service: Service, code: str, category: Category | None = None) -> bool:
    taken = Category.objects.filter(service=service, code__iexact=code)
    return (taken.exclude(pk=category.pk) if category else taken).exists()


@transaction.atomic
def category_create(*, actor: User | None, service: Service, code: str, name: str, name_en: str = "",
                    parent: Category | None = None) -> Category:
    """Add a category to a service's tree (at the top, or under ``parent`` of the same service)."""
    _require_admin(actor)
    errors: Errors = {}
    code = _code(errors, code, max_length=40)
    name = _text(errors, "name", name, max_length=120)
    name_en = _text(errors, "name_en", name_en, max_length=120, required=False)
    _category_parent(errors, service, parent)
    if code and "code" not in errors and _category_code_taken(service, code):
        _add(errors, "code", _("%(service)s already has a category with the code %(code)s.")
             % {"service": service, "code": code})
    _raise(errors)
    category = Category.objects.create(service=service, code=code, name=name, name_en=name_en, parent=parent)
    audit_record(actor=actor, action="category.created", subject=category,
                 data={"service": service.code, "fields": _snapshot(category, CATEGORY_FIELDS)})
    return category


@transaction.atomic
def category_update(*, actor: User | None, category: Category, code: str = UNSET, name: str = UNSET,
                    name_en: str = UNSET, parent: Category | None = UNSET) -> Category:
    """Rename, re-code or move a category inside its service's tree (never under its own subtree)."""
    _require_admin(actor)
    locked = Category.objects.select_for_update(of=("self",)).select_related("service").get(pk=category.pk)
    before = _snapshot(locked, CATEGORY_FIELDS)
    errors: Errors = {}
    if code is not UNSET:
        locked.code = _code(errors, code, max_length=40)
        if locked.code and "code" not in errors and _category_code_taken(locked.service, locked.code, locked):
            _add(errors, "code", _("%(service)s already has a category with the code %(code)s.")
                 % {"service": locked.service, "code": locked.code})
    if name is not UNSET:
        locked.name = _text(errors, "name", name, max_length=120)
    if name_en is not UNSET:
        locked.name_en = _text(errors, "name_en", name_en, max_length=120, required=False)
    if parent is not UNSET:
        if (parent.pk if parent else None) != locked.parent_id:
            _category_parent(errors, locked.service, parent, locked)
        locked.parent = parent
    _raise(errors)
    locked.save()
    changes = _changes(before, _snapshot(locked, CATEGORY_FIELDS))
    if changes:
        audit_record(actor=actor, action="category.updated", subject=locked,
                     data={"service": locked.service.code, "changes": changes})
    return locked


@transaction.atomic
def category_deactivate(*, actor: User | None, category: Category, cascade: bool = False) -> Category:
    """Stop offering a category. One with active subcategories is refused unless ``cascade`` says to
    deactivate them too. Incidents already classified under it keep their category."""
    _require_admin(actor)
    locked = Category.objects.select_for_update(of=("self",)).select_related("service").get(pk=category.pk)
    below = list(Category.objects.filter(pk__in=_category_subtree_ids(locked), is_active=True).order_by("id"))
    if below and not cascade:
        message = _("%(category)s still has %(count)d active subcategories. Confirm to deactivate them too.") % {
            "category": locked, "count": len(below)}
        raise ValidationFailed(message, code="has_active_dependants", field_errors={"cascade": [message]})
    if not locked.is_active:
        return locked
    deactivated = [locked, *below]
    Category.objects.filter(pk__in=[c.pk for c in deactivated]).update(is_active=False)
    for item in deactivated:
        item.is_active = False
        audit_record(actor=actor, action="category.deactivated", subject=item, data={
            "service": locked.service.code, "changes": {"is_active": [True, False]},
            "with": locked.code if item is not locked else None})
    return locked


@transaction.atomic
def category_reactivate(*, actor: User | None, category: Category) -> Category:
    _require_admin(actor)
    locked = Category.objects.select_for_update(of=("self",)).select_related("service", "parent").get(pk=category.pk)
    if locked.is_active:
        return locked
    if locked.parent is not None and not locked.parent.is_active:
        raise _fail("parent", _("%(category)s is no longer used; reactivate it first.") % {"category": locked.parent})
    locked.is_active = True
    locked.save(update_fields=["is_active"])
    audit_record(actor=actor, action="category.reactivated", subject=locked,
                 data={"service": locked.service.code, "changes": {"is_active": [False, True]}})
    return locked


# Routing rules ---------------------------------------------------------------------------------

RULE_FIELDS = ("service", "category", "organisation", "group", "is_active")


def _rule_errors(service: Service, category: Category | None, organisation: Organisation | None,
                 group: SupportGroup | None, is_active: bool, rule: RoutingRule | None = None) -> None:
    errors: Errors = {}
    if group is None:
        _add(errors, "group", _("Choose a group."))
    if category is not None and category.service_id != service.pk:
        _add(errors, "category", _("This category belongs to another service."))
    if is_active and not errors:
        same = RoutingRule.objects.filter(service=service, category=category, organisation=organisation,
                                          is_active=True)
        if (same.exclude(pk=rule.pk) if rule else same).exists():
            _add(errors, "category", _("An active rule for this service, category and organisation already exists; "
                                       "change that rule instead."))
    _raise(errors)


def _rule_audit_data(rule: RoutingRule) -> dict[str, Any]:
    return {"service": rule.service.code, "category": rule.category.code if rule.category else None,
            "organisation": rule.organisation.code if rule.organisation else None, "group": rule.group.code}


@transaction.atomic
def routing_rule_create(*, actor: User | None, service: Service, group: SupportGroup | None,
                        category: Category | None = None, organisation: Organisation | None = None) -> RoutingRule:
    """Route a service's incidents (of one category, and for one organisation, when given) to a group."""
    _require_routing(actor, organisation)
    _rule_errors(service, category, organisation, group, True)
    rule = RoutingRule.objects.create(service=service, category=category, organisation=organisation, group=group)
    audit_record(actor=actor, action="routing_rule.created", subject=rule, organisation_id=rule.organisation_id,
                 data={**_rule_audit_data(rule), "fields": _snapshot(rule, RULE_FIELDS)})
    return rule


@transaction.atomic
def routing_rule_update(*, actor: User | None, rule: RoutingRule, category: Category | None = UNSET,
                        organisation: Organisation | None = UNSET, group: SupportGroup | None = UNSET,
                        is_active: bool = UNSET) -> RoutingRule:
    """Change a rule's category, organisation, group or whether it is in use. The actor needs the right in
    the organisation the rule had and the one it gets."""
    locked = RoutingRule.objects.select_for_update(of=("self",)).select_related("service", "organisation").get(pk=rule.pk)
    new_organisation = locked.organisation if organisation is UNSET else organisation
    _require_routing(actor, locked.organisation, new_organisation)
    before = _snapshot(locked, RULE_FIELDS)
    if category is not UNSET:
        locked.category = category
    locked.organisation = new_organisation
    if group is not UNSET:
        locked.group = group
    if is_active is not UNSET:
        locked.is_active = bool(is_active)
    _rule_errors(locked.service, locked.category, locked.organisation, locked.group, locked.is_active, locked)
    locked.save()
    changes = _changes(before, _snapshot(locked, RULE_FIELDS))
    if changes:
        audit_record(actor=actor, action="routing_rule.updated", subject=locked, organisation_id=locked.organisation_id,
                     data={**_rule_audit_data(locked), "changes": changes})
    return locked


@transaction.atomic
def routing_rule_delete(*, actor: User | None, rule: RoutingRule) -> None:
    locked = RoutingRule.objects.select_for_update(of=("self",)).select_related("service", "organisation").get(pk=rule.pk)
    _require_routing(actor, locked.organisation)
    data = {**_rule_audit_data(locked), "fields": _snapshot(locked, RULE_FIELDS)}
    rule_id, organisation_id = locked.pk, locked.organisation_id
    locked.delete()
    locked.pk = rule_id  # the trail names the rule that was removed
    audit_record(actor=actor, action="routing_rule.deleted", subject=locked, organisation_id=organisation_id, data=data)


# The priority matrix (impact × urgency → priority) ---------------------------------------------


def matrix_field(impact: int, urgency: int) -> str:
    """The name of one cell in forms and field errors: ``cell_<impact>_<urgency>``."""
    return f"cell_{impact}_{urgency}"


@transaction.atomic
def priority_matrix_set(*, actor: User | None, cells: Mapping[tuple[int, int], Any]) -> dict[tuple[int, int], int]:
    """Set cells of the impact × urgency → priority matrix that incidents are prioritised with.

    Cells not given keep their priority. Returns the whole matrix as it now is.
    """
    _require_admin(actor)
    errors: Errors = {}
    wanted: dict[tuple[int, int], int] = {}
    for (impact, urgency), value in cells.items():
        if impact not in Impact.values or urgency not in Urgency.values:
            raise _fail("cells", _("There is no cell for impact %(impact)s and urgency %(urgency)s.")
                        % {"impact": impact, "urgency": urgency})
        try:
            priority = int(value)
        except (TypeError, ValueError):
            priority = 0
        if priority not in Priority.values:
            _add(errors, matrix_field(impact, urgency), _("Choose one of the listed values."))
            continue
        wanted[(impact, urgency)] = priority
    _raise(errors)
    before = priority_matrix()
    for (impact, urgency), priority in wanted.items():
        PriorityRule.objects.update_or_create(impact=impact, urgency=urgency, defaults={"priority": priority})
    after = priority_matrix()
    changes = {f"{impact}x{urgency}": [before[(impact, urgency)], after[(impact, urgency)]]
               for (impact, urgency) in sorted(after) if before[(impact, urgency)] != after[(impact, urgency)]}
    if changes:
        audit_record(actor=actor, action="priority_matrix.updated", subject_type="priority_matrix",
                     data={"changes": changes})
    return after
