"""Every write to the CMDB. The UI, the API, the Excel import and the demo all call these.

Each public function owns its transaction, checks the actor's right and organisation scope, validates,
writes, and appends the audit trail last (``ci.*`` entries on the CI are its timeline; links to incidents
are recorded on the incident's timeline as ``incident.cis_changed``).

Attribute values: ``attributes`` maps attribute codes to raw values (text from a form or a sheet, numbers,
dates, a CI id or name for a reference); they are validated per type (``rules.clean_value``), stored in
``ConfigurationItem.attributes`` and mirrored into ``AttributeValue`` (filtering, uniqueness).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from opsdesk.accounts.models import Organisation, User
from opsdesk.audit.services import audit_record
from opsdesk.catalog.models import ApplicationNode, Service
from opsdesk.core import clock
from opsdesk.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from opsdesk.core.validation import check_version
from opsdesk.incidents import rules as incident_rules
from opsdesk.incidents.models import Incident

from . import graph, rules, selectors
from .choices import AttributeType, CIState, FinancialCategory, IpVersion, RelationKind
from .models import (
    AttributeDefinition,
    AttributeValue,
    CIClass,
    CIService,
    ConfigurationItem,
    CustodyAgreement,
    IncidentCI,
    Relation,
    RelationRule,
)
from .rules import AttributeSpec
from .workflow import CI_WORKFLOW

CODE_RE = re.compile(r"^[a-z][a-z0-9_]{0,59}$")
CLASS_CODE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,59}$")

# The CI's own fields whose changes the timeline shows (attributes are shown as ``attributes.<code>``).
TRACKED_FIELDS = (
    "name", "organisation", "description", "application", "supplier", "contract_number", "purchase_date",
    "acceptance_date", "warranty_end", "location", "custodian", "financial_category", "value", "is_maintained",
)
ASSET_FIELDS = ("supplier", "contract_number", "purchase_date", "acceptance_date", "warranty_end", "location",
                "custodian", "financial_category", "value", "is_maintained")
EDITABLE_FIELDS = frozenset(TRACKED_FIELDS) | {"attributes", "services"}


def _fail(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, field_errors={field: [message]})


def _require_configure(actor: User) -> None:
    if not rules.can_configure(actor):
        raise PermissionDenied(_("Only configuration managers and administrators may change the CMDB's classes, attributes and rules."))


def _require_write(actor: User, organisation_id: int | None) -> None:
    if not rules.can_write(actor, organisation_id):
        raise PermissionDenied(_("You may not change CIs of this organisation."))


# Classes, attributes, relation rules -------------------------------------------------------------


def _class_fields(fields: dict[str, Any], *, ci_class: CIClass | None) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    if "code" in fields:
        code = (fields["code"] or "").strip().lower()
        if not CLASS_CODE_RE.match(code):
            errors["code"] = [_("Use lower-case letters, digits, - and _ (at most 60).")]
        elif CIClass.objects.filter(code=code).exclude(pk=getattr(ci_class, "pk", None)).exists():
            errors["code"] = [_("Another class already has this code.")]
        clean["code"] = code
    if "name" in fields:
        name = (fields["name"] or "").strip()
        if not name:
            errors["name"] = [_("Give the class a name.")]
        clean["name"] = name[:120]
    for key in ("name_en", "description", "icon"):
        if key in fields:
            clean[key] = (fields[key] or "").strip()
    for key in ("is_maintained", "is_active"):
        if key in fields:
            clean[key] = bool(fields[key])
    if "parent" in fields:
        parent = fields["parent"]
        if parent is not None and ci_class is not None and ci_class.pk in selectors.class_tree().lineage(parent.pk):
            errors["parent"] = [_("A class cannot be placed below itself.")]
        clean["parent"] = parent
    if errors:
        raise ValidationFailed(_("Some fields need your attention."), field_errors=errors)
    return clean


@transaction.atomic
def ci_class_create(*, actor: User, code: str, name: str, name_en: str = "", parent: CIClass | None = None,
                    description: str = "", icon: str = "", is_maintained: bool | None = None) -> CIClass:
    """Define a CI class. ``is_maintained`` defaults to the parent's (True at the root)."""
    _require_configure(actor)
    if is_maintained is None:
        is_maintained = parent.is_maintained if parent is not None else True
    clean = _class_fields({"code": code, "name": name, "name_en": name_en, "parent": parent,
                           "description": description, "icon": icon, "is_maintained": is_maintained}, ci_class=None)
    ci_class = CIClass.objects.create(created_at=clock.now(), **clean)
    audit_record(actor=actor, action="ci_class.created", subject=ci_class, subject_type="ci_class",
                 data={"fields": {"code": ci_class.code, "name": ci_class.name,
                                  "parent": parent.code if parent else None}})
    return ci_class


@transaction.atomic
def ci_class_update(*, actor: User, ci_class: CIClass, **fields: Any) -> CIClass:
    """Change a class's name, English name, description, icon, parent, maintained default or active flag."""
    _require_configure(actor)
    unknown = set(fields) - {"name", "name_en", "description", "icon", "parent", "is_maintained", "is_active"}
    if unknown:
        raise ValidationFailed(_("These fields cannot be changed: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    ci_class = CIClass.objects.select_for_update().get(pk=ci_class.pk)
    clean = _class_fields(fields, ci_class=ci_class)
    if "parent" in clean and clean["parent"] is not None and clean["parent"].pk != ci_class.parent_id:
        _check_codes_free(ci_class, new_parent=clean["parent"])
    changes = {}
    for key, value in clean.items():
        before = getattr(ci_class, key)
        if before != value:
            changes[key] = [getattr(before, "code", before), getattr(value, "code", value)]
            setattr(ci_class, key, value)
    if changes:
        ci_class.save()
        audit_record(actor=actor, action="ci_class.updated", subject=ci_class, subject_type="ci_class",
                     data={"changes": changes})
    return ci_class


def _check_codes_free(ci_class: CIClass, *, new_parent: CIClass) -> None:
    """Moving a class must not give it two attributes with one code."""
    tree = selectors.class_tree()
    above = set(AttributeDefinition.objects.filter(ci_class_id__in=tree.lineage(new_parent.pk))
                .values_list("code", flat=True))
    below = set(AttributeDefinition.objects.filter(ci_class_id__in=tree.descendants(ci_class.pk))
                .values_list("code", flat=True))
    clash = sorted(above & below)
    if clash:
        raise _fail("parent", _("The new parent already defines attributes %(codes)s.") % {"codes": ", ".join(clash)})


def _decimal_or_none(field: str, value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise _fail(field, _("Enter a number."))
    if not number.is_finite():
        raise _fail(field, _("Enter a number."))
    return number


@transaction.atomic
def attribute_define(
    *,
    actor: User,
    ci_class: CIClass,
    code: str,
    name: str,
    type: str,
    name_en: str = "",
    required: bool = False,
    unique: bool = False,
    choices: Sequence[str] = (),
    reference_class: CIClass | None = None,
    ip_version: int = IpVersion.ANY,
    min_value: Any = None,
    max_value: Any = None,
    regex: str = "",
    help_text: str = "",
    order: int = 0,
) -> AttributeDefinition:
    """Add an attribute to ``ci_class`` (and so to every class below it). No code, no migration.

    The code must be free in the class's whole line (its ancestors and descendants). A required attribute
    may only be added while no CI of the class (or below) lacks it — i.e. while there are none.
    """
    _require_configure(actor)
    errors: dict[str, list[str]] = {}
    code = (code or "").strip().lower()
    tree = selectors.class_tree()
    if not CODE_RE.match(code):
        errors["code"] = [_("Start with a letter; use lower-case letters, digits and _ (at most 60).")]
    else:
        line = set(tree.lineage(ci_class.pk)) | set(tree.descendants(ci_class.pk))
        if AttributeDefinition.objects.filter(ci_class_id__in=line, code=code).exists():
            errors["code"] = [_("This class or a related class already has an attribute “%(code)s”.") % {"code": code}]
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("Give the attribute a name.")]
    if type not in AttributeType.values:
        errors["type"] = [_("Choose one of the listed types.")]
    clean_choices = [str(c).strip() for c in choices if str(c).strip()]
    if type == AttributeType.CHOICE:
        if not clean_choices:
            errors["choices"] = [_("A choice attribute needs at least one choice.")]
        elif len(set(clean_choices)) != len(clean_choices):
            errors["choices"] = [_("Each choice may appear only once.")]
    elif clean_choices:
        errors["choices"] = [_("Only a choice attribute has choices.")]
    if reference_class is not None and type != AttributeType.REFERENCE:
        errors["reference_class"] = [_("Only a reference attribute names a class.")]
    try:
        ip_version = int(ip_version or 0)
    except (TypeError, ValueError):
        ip_version = -1
    if ip_version not in IpVersion.values:
        errors["ip_version"] = [_("Choose one of the listed values.")]
    try:
        minimum = _decimal_or_none("min_value", min_value)
        maximum = _decimal_or_none("max_value", max_value)
    except ValidationFailed as error:
        errors.update(error.field_errors)
        minimum = maximum = None
    if minimum is not None and maximum is not None and minimum > maximum:
        errors["max_value"] = [_("The maximum is below the minimum.")]
    if regex:
        try:
            re.compile(regex)
        except re.error:
            errors["regex"] = [_("This is not a valid regular expression.")]
    if required and ConfigurationItem.objects.filter(ci_class_id__in=tree.descendants(ci_class.pk)).exists():
        errors["required"] = [_("CIs of this class exist without a value: add the attribute as optional, "
                                "fill it in, then make it required.")]
    if errors:
        raise ValidationFailed(_("Some fields need your attention."), field_errors=errors)
    definition = AttributeDefinition.objects.create(
        ci_class=ci_class, code=code, name=name[:120], name_en=(name_en or "").strip()[:120], type=type,
        required=bool(required), unique=bool(unique), choices=clean_choices, reference_class=reference_class,
        ip_version=ip_version, min_value=minimum, max_value=maximum, regex=regex or "",
        help_text=(help_text or "").strip()[:200], order=int(order or 0), created_at=clock.now(),
    )
    audit_record(actor=actor, action="ci_attribute.defined", subject=definition, subject_type="ci_attribute",
                 data={"fields": {"class": ci_class.code, "code": code, "type": type, "required": bool(required),
                                  "unique": bool(unique), "choices": clean_choices}})
    return definition


@transaction.atomic
def attribute_update(*, actor: User, attribute: AttributeDefinition, **fields: Any) -> AttributeDefinition:
    """Change an attribute's labels, help, order, or add choices (type, code and uniqueness stay)."""
    _require_configure(actor)
    allowed = {"name", "name_en", "help_text", "order", "choices", "required"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationFailed(_("These fields cannot be changed: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    attribute = AttributeDefinition.objects.select_for_update().get(pk=attribute.pk)
    changes: dict[str, list[Any]] = {}
    if "choices" in fields:
        new = [str(c).strip() for c in fields["choices"] if str(c).strip()]
        if attribute.type != AttributeType.CHOICE:
            raise _fail("choices", _("Only a choice attribute has choices."))
        removed = set(attribute.choices) - set(new)
        in_use = removed and AttributeValue.objects.filter(
            attribute=attribute, value_key__in=[rules.value_key("choice", c) for c in removed]).exists()
        if in_use:
            raise _fail("choices", _("A removed choice is still used by some CIs."))
        if not new:
            raise _fail("choices", _("A choice attribute needs at least one choice."))
        fields["choices"] = new
    if fields.get("required") and not attribute.required:
        holders = selectors.class_descendants(attribute.ci_class_id)
        missing = ConfigurationItem.objects.filter(ci_class_id__in=holders).exclude(
            attribute_values__attribute=attribute).exists()
        if missing:
            raise _fail("required", _("Some CIs have no value for this attribute yet."))
    if "name" in fields and not (fields["name"] or "").strip():
        raise _fail("name", _("Give the attribute a name."))
    for key, value in fields.items():
        if isinstance(value, str):
            value = value.strip()
        if getattr(attribute, key) != value:
            changes[key] = [getattr(attribute, key), value]
            setattr(attribute, key, value)
    if changes:
        attribute.save()
        audit_record(actor=actor, action="ci_attribute.updated", subject=attribute, subject_type="ci_attribute",
                     data={"changes": changes})
    return attribute


@transaction.atomic
def relation_rule_add(*, actor: User, kind: str, source_class: CIClass, target_class: CIClass) -> RelationRule:
    """Allow ``<source class or below> <kind> <target class or below>``."""
    _require_configure(actor)
    if kind not in RelationKind.values:
        raise _fail("kind", _("Choose one of the listed relations."))
    rule, created = RelationRule.objects.get_or_create(kind=kind, source_class=source_class, target_class=target_class)
    if created:
        audit_record(actor=actor, action="relation_rule.added", subject=rule, subject_type="relation_rule",
                     data={"fields": {"kind": kind, "source_class": source_class.code,
                                      "target_class": target_class.code}})
    return rule


@transaction.atomic
def relation_rule_remove(*, actor: User, rule: RelationRule) -> None:
    """Stop allowing a class pair (existing relations stay)."""
    _require_configure(actor)
    data = {"fields": {"kind": rule.kind, "source_class": rule.source_class.code, "target_class": rule.target_class.code}}
    rule_id = rule.pk
    rule.delete()
    audit_record(actor=actor, action="relation_rule.removed", subject_type="relation_rule", data={**data, "id": rule_id})


# CIs ---------------------------------------------------------------------------------------------


def _reference_lookup(organisation_ids: frozenset[int] | None = None):
    """Resolve a reference given as an id or an exact CI name (a name must name exactly one CI)."""
    def lookup(raw: Any) -> tuple[int, int] | None:
        queryset = ConfigurationItem.objects.all()
        if organisation_ids is not None:
            queryset = queryset.filter(organisation_id__in=sorted(organisation_ids))
        text = str(raw).strip()
        if isinstance(raw, int) or text.isdigit():
            row = queryset.filter(pk=int(text)).values_list("id", "ci_class_id").first()
            if row:
                return row
        rows = list(queryset.filter(name=text).values_list("id", "ci_class_id")[:2])
        return rows[0] if len(rows) == 1 else None
    return lookup


def _value(ci: ConfigurationItem, field: str) -> Any:
    value = getattr(ci, field)
    if hasattr(value, "pk"):
        return {"id": value.pk, "label": str(value)}
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def snapshot(ci: ConfigurationItem) -> dict[str, Any]:
    """The CI's tracked fields and attributes, as the history stores them."""
    data = {field: _value(ci, field) for field in TRACKED_FIELDS}
    for code, value in (ci.attributes or {}).items():
        data[f"attributes.{code}"] = value
    return data


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    keys = list(dict.fromkeys([*before, *after]))
    return {k: [before.get(k), after.get(k)] for k in keys if before.get(k) != after.get(k)}


def _asset_fields(fields: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Validate the asset columns given (dates, value, category, custodian, texts)."""
    clean: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for key in ("supplier", "contract_number", "location"):
        if key in fields:
            text = "" if fields[key] is None else str(fields[key]).strip()
            limit = ConfigurationItem._meta.get_field(key).max_length
            if len(text) > limit:
                errors[key] = [_("At most %(limit)d characters.") % {"limit": limit}]
            clean[key] = text
    for key in ("purchase_date", "acceptance_date", "warranty_end"):
        if key in fields:
            value = fields[key]
            if value in (None, ""):
                clean[key] = None
                continue
            try:
                iso = rules.clean_value(AttributeSpec(code=key, label=str(
                    ConfigurationItem._meta.get_field(key).verbose_name), type=AttributeType.DATE), value)
                clean[key] = dt.date.fromisoformat(iso)
            except rules.AttributeValueError as error:
                errors[key] = [str(error)]
    if "value" in fields:
        try:
            number = _decimal_or_none("value", fields["value"])
            if number is not None and (number < 0 or number >= Decimal("1e12")):
                errors["value"] = [_("Enter an amount between 0 and 999,999,999,999.99.")]
            clean["value"] = number.quantize(Decimal("0.01")) if number is not None else None
        except ValidationFailed:
            errors["value"] = [_("Enter an amount, e.g. 12800.00.")]
    if "financial_category" in fields:
        value = fields["financial_category"] or ""
        if value and value not in FinancialCategory.values:
            labels = {str(label): code for code, label in FinancialCategory.choices}
            if str(value) in labels:
                value = labels[str(value)]
            else:
                errors["financial_category"] = [_("Choose one of the listed values.")]
        clean["financial_category"] = value
    if "is_maintained" in fields:
        clean["is_maintained"] = bool(fields["is_maintained"])
    if "custodian" in fields:
        custodian = fields["custodian"]
        if custodian is not None and not isinstance(custodian, User):
            custodian = User.objects.filter(Q(pk=custodian) if str(custodian).isdigit() else Q(username=custodian)).first()
            if custodian is None:
                errors["custodian"] = [_("There is no such user.")]
        clean["custodian"] = custodian
    return clean, errors


def _sync_attribute_values(ci: ConfigurationItem, specs: dict[str, AttributeSpec]) -> None:
    """Mirror ``ci.attributes`` into ``AttributeValue``; a unique value another CI holds is a 422."""
    rows = [
        AttributeValue(ci=ci, attribute_id=spec.id, value_key=rules.value_key(spec.type, ci.attributes[code]),
                       value_number=rules.value_number(spec.type, ci.attributes[code]), is_unique=spec.unique)
        for code, spec in specs.items() if code in (ci.attributes or {})
    ]
    errors: dict[str, list[str]] = {}
    for row, (code, spec) in zip(rows, [(c, s) for c, s in specs.items() if c in (ci.attributes or {})], strict=True):
        if spec.unique:
            holder = AttributeValue.objects.filter(attribute_id=spec.id, value_key=row.value_key, is_unique=True) \
                .exclude(ci_id=ci.pk).select_related("ci").first()
            if holder is not None:
                errors[f"attributes.{code}"] = [
                    _("“%(attribute)s” %(value)s is already used by %(ci)s.")
                    % {"attribute": spec.label, "value": ci.attributes[code], "ci": holder.ci.name}]
    if errors:
        raise ValidationFailed(_("Some values are already used by other CIs."), field_errors=errors)
    AttributeValue.objects.filter(ci=ci).delete()
    try:
        with transaction.atomic():
            AttributeValue.objects.bulk_create(rows)
    except IntegrityError:  # a concurrent write took the value between our check and our insert
        raise Conflict(_("A unique value was just taken by another CI; reload and try again."))


def _organisation(value: Any) -> Organisation | None:
    if value is None or isinstance(value, Organisation):
        return value
    return Organisation.objects.filter(pk=value).first() if str(value).isdigit() else \
        Organisation.objects.filter(code=value).first()


def _services(value: Iterable[Any]) -> list[Service]:
    items = list(value or [])
    ids = [s.pk if isinstance(s, Service) else int(s) for s in items]
    found = list(Service.objects.filter(pk__in=ids))
    if len(found) != len(set(ids)):
        raise _fail("services", _("One of the services does not exist."))
    return found


@transaction.atomic
def ci_create(
    *,
    actor: User,
    ci_class: CIClass,
    organisation: Organisation,
    name: str,
    attributes: dict[str, Any] | None = None,
    description: str = "",
    application: ApplicationNode | None = None,
    services: Iterable[Service] = (),
    state: str = CIState.REGISTERED,
    **asset: Any,
) -> ConfigurationItem:
    """Register a CI. ``asset``: any of supplier, contract_number, purchase_date, acceptance_date, warranty_end,
    location, custodian, financial_category, value, is_maintained (defaults to the class's flag).
    """
    if organisation is None:
        raise _fail("organisation", _("Choose the organisation the CI belongs to."))
    _require_write(actor, organisation.pk)
    unknown = set(asset) - set(ASSET_FIELDS)
    if unknown:
        raise ValidationFailed(_("Unknown fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("Give the CI a name.")]
    elif len(name) > 200:
        errors["name"] = [_("At most 200 characters.")]
    if ci_class is None:
        raise _fail("ci_class", _("Choose the CI's class."))
    if not ci_class.is_active:
        errors["ci_class"] = [_("This class is no longer used.")]
    if state not in CIState.values:
        errors["state"] = [_("Choose one of the listed values.")]
    specs = selectors.attribute_specs(ci_class)
    clean_attrs, attr_errors = rules.clean_attributes(specs, dict(attributes or {}), lookup=_reference_lookup())
    errors.update(attr_errors)
    asset.setdefault("is_maintained", ci_class.is_maintained)
    clean_asset, asset_errors = _asset_fields(asset)
    errors.update(asset_errors)
    if errors:
        raise ValidationFailed(_("Some fields need your attention."), field_errors=errors)
    now = clock.now()
    ci = ConfigurationItem.objects.create(
        name=name, ci_class=ci_class, organisation=organisation, attributes=clean_attrs, state=state,
        description=(description or "").strip(), application=application, created_at=now, updated_at=now,
        created_by=actor, **clean_asset,
    )
    _sync_attribute_values(ci, specs)
    linked = _services(services)
    CIService.objects.bulk_create([CIService(ci=ci, service=s) for s in linked])
    graph.touch(ci_ids=[ci.pk])
    fields = {k: v for k, v in snapshot(ci).items() if v not in (None, "", False)}
    fields["class"] = {"id": ci_class.pk, "label": ci_class.code}
    fields["state"] = state
    if linked:
        fields["services"] = [s.code for s in linked]
    audit_record(actor=actor, action="ci.created", subject=ci, subject_type="ci", data={"fields": fields})
    return ci


def _lock(ci: ConfigurationItem | int) -> ConfigurationItem:
    ci_id = ci.pk if isinstance(ci, ConfigurationItem) else int(ci)
    # Lock the CI's row only (not its class's: CI writes of one class must not queue on it).
    locked = ConfigurationItem.objects.select_for_update(of=("self",)).select_related("ci_class") \
        .filter(pk=ci_id).first()
    if locked is None:
        raise NotFound(_("CI %(id)s does not exist.") % {"id": ci_id})
    return locked


def _check_version(locked: ConfigurationItem, version: int | None) -> None:
    check_version(locked, version, label=locked.name)


def _locked_for_write(actor: User, ci: ConfigurationItem | int, version: int | None) -> ConfigurationItem:
    locked = _lock(ci)
    if not rules.can_view(actor, locked.organisation_id):
        raise NotFound(_("CI %(id)s does not exist.") % {"id": locked.pk})
    _require_write(actor, locked.organisation_id)
    _check_version(locked, version)
    return locked


@transaction.atomic
def ci_update(*, actor: User, ci: ConfigurationItem | int, version: int | None = None, **fields: Any) -> ConfigurationItem:
    """Change a CI. ``attributes`` is a partial map: the codes given are set (a blank value clears it; a
    required one cannot be cleared); the others stay. ``services`` replaces the linked services.
    The class cannot change (create a new CI instead). Stale ``version`` → 409.
    """
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ValidationFailed(_("These fields cannot be changed: %(fields)s.") % {"fields": ", ".join(sorted(unknown))},
                               field_errors={f: [_("This field cannot be changed.")] for f in unknown})
    locked = _locked_for_write(actor, ci, version)
    before = snapshot(locked)
    errors: dict[str, list[str]] = {}
    if "name" in fields:
        name = (fields["name"] or "").strip()
        if not name:
            errors["name"] = [_("Give the CI a name.")]
        elif len(name) > 200:
            errors["name"] = [_("At most 200 characters.")]
        locked.name = name
    if "organisation" in fields:
        organisation = _organisation(fields["organisation"])
        if organisation is None:
            errors["organisation"] = [_("There is no such organisation.")]
        elif not rules.can_write(actor, organisation.pk):
            errors["organisation"] = [_("You may not move CIs to this organisation.")]
        else:
            locked.organisation = organisation
    if "description" in fields:
        locked.description = (fields["description"] or "").strip()
    if "application" in fields:
        locked.application = fields["application"]
    specs = selectors.attribute_specs(locked.ci_class)
    if "attributes" in fields:
        given = dict(fields["attributes"] or {})
        clean, attr_errors = rules.clean_attributes(specs, given, lookup=_reference_lookup(), partial=True)
        errors.update(attr_errors)
        merged = {k: v for k, v in (locked.attributes or {}).items() if k in specs}
        for code in given:
            if code in specs:
                if code in clean:
                    merged[code] = clean[code]
                else:
                    merged.pop(code, None)
        locked.attributes = merged
    clean_asset, asset_errors = _asset_fields({k: v for k, v in fields.items() if k in ASSET_FIELDS})
    errors.update(asset_errors)
    if errors:
        raise ValidationFailed(_("Some fields need your attention."), field_errors=errors)
    for key, value in clean_asset.items():
        setattr(locked, key, value)
    service_change = None
    if "services" in fields:
        wanted = _services(fields["services"])
        current = set(CIService.objects.filter(ci=locked).values_list("service_id", flat=True))
        wanted_ids = {s.pk for s in wanted}
        if wanted_ids != current:
            CIService.objects.filter(ci=locked).exclude(service_id__in=wanted_ids).delete()
            CIService.objects.bulk_create([CIService(ci=locked, service_id=i) for i in wanted_ids - current])
            codes = dict(Service.objects.filter(pk__in=current | wanted_ids).values_list("id", "code"))
            service_change = [sorted(codes[i] for i in current), sorted(codes[i] for i in wanted_ids)]
    changes = diff(before, snapshot(locked))
    if service_change:
        changes["services"] = service_change
    if not changes:
        return locked
    if any(k.startswith("attributes.") for k in changes):
        _sync_attribute_values(locked, specs)
    if {"organisation", "application", "services"} & set(changes):
        graph.touch(ci_ids=[locked.pk])
    locked.version += 1
    locked.updated_at = clock.now()
    locked.save()
    audit_record(actor=actor, action="ci.updated", subject=locked, subject_type="ci", data={"changes": changes})
    return locked


@transaction.atomic
def ci_transition(*, actor: User, ci: ConfigurationItem | int, transition: str, reason: str = "",
                  version: int | None = None) -> ConfigurationItem:
    """Move the CI along its lifecycle (verify, put_in_use, repair, upgrade, retire, scrap); audited with the reason."""
    locked = _lock(ci)
    if not rules.can_view(actor, locked.organisation_id):
        raise NotFound(_("CI %(id)s does not exist.") % {"id": locked.pk})
    _check_version(locked, version)
    step = CI_WORKFLOW.check(actor, locked, transition, {"reason": reason})
    before = locked.state
    locked.state = step.target or locked.state
    locked.version += 1
    locked.updated_at = clock.now()
    locked.save(update_fields=["state", "version", "updated_at"])
    audit_record(actor=actor, action="ci.state_changed", subject=locked, subject_type="ci",
                 data={"transition": transition, "reason": (reason or "").strip(),
                       "changes": {"state": [before, locked.state]}})
    return locked


@transaction.atomic
def custody_agreement_record(*, actor: User, ci: ConfigurationItem | int, number: str, signed_on: Any,
                             custodian: User, file: UploadedFile | None = None, note: str = "") -> CustodyAgreement:
    """Record a signed custody agreement (保管协议) and make its custodian the asset's custodian."""
    locked = _locked_for_write(actor, ci, None)
    errors: dict[str, list[str]] = {}
    number = (number or "").strip()
    if not number:
        errors["number"] = [_("Enter the agreement's number.")]
    signed = None
    try:
        signed = dt.date.fromisoformat(rules.clean_value(
            AttributeSpec(code="signed_on", label=_("Signed on"), type=AttributeType.DATE, required=True), signed_on))
        if signed > clock.now().date():
            errors["signed_on"] = [_("The signing date cannot be in the future.")]
    except rules.AttributeValueError as error:
        errors["signed_on"] = [str(error)]
    if custodian is None:
        errors["custodian"] = [_("Choose the custodian.")]
    if errors:
        raise ValidationFailed(_("Some fields need your attention."), field_errors=errors)
    agreement = CustodyAgreement(ci=locked, number=number, signed_on=signed, custodian=custodian,
                                 note=(note or "").strip()[:300], created_at=clock.now(), created_by=actor)
    if file is not None:
        agreement.file.save(file.name or "agreement", file, save=False)
    agreement.save()
    before = _value(locked, "custodian")
    locked.custodian = custodian
    locked.version += 1
    locked.updated_at = clock.now()
    locked.save(update_fields=["custodian", "version", "updated_at"])
    changes = diff({"custodian": before}, {"custodian": _value(locked, "custodian")})
    audit_record(actor=actor, action="ci.custody_recorded", subject=locked, subject_type="ci",
                 data={"agreement": {"number": number, "signed_on": signed.isoformat()}, "changes": changes})
    return agreement


# Relations ---------------------------------------------------------------------------------------


@transaction.atomic
def relation_create(*, actor: User, source: ConfigurationItem | int, target: ConfigurationItem | int, kind: str,
                    description: str = "") -> Relation:
    """Relate two CIs (``source <kind> target``). The actor writes the source and reads the target; a rule
    must allow the class pair; no self-relation, no duplicate (for “connected to”, in either direction).
    """
    source_id = source.pk if isinstance(source, ConfigurationItem) else int(source)
    target_id = target.pk if isinstance(target, ConfigurationItem) else int(target)
    # Lock both ends in id order, so two people relating the same pair both ways cannot deadlock.
    first, second = sorted((source_id, target_id))
    locked = {first: _lock(first)}
    locked[second] = locked[first] if second == first else _lock(second)
    source_ci, target_ci = locked[source_id], locked[target_id]
    for ci in (source_ci, target_ci):
        if not rules.can_view(actor, ci.organisation_id):
            raise NotFound(_("CI %(id)s does not exist.") % {"id": ci.pk})
    _require_write(actor, source_ci.organisation_id)
    if kind not in RelationKind.values:
        raise _fail("kind", _("Choose one of the listed relations."))
    if source_ci.pk == target_ci.pk:
        raise _fail("target", _("A CI cannot be related to itself."))
    if not selectors.relation_allowed(kind, source_ci.ci_class_id, target_ci.ci_class_id):
        raise _fail("kind", _("A %(source)s cannot be “%(kind)s” a %(target)s: no rule allows it.")
                    % {"source": source_ci.ci_class.display_name, "kind": RelationKind(kind).label,
                       "target": target_ci.ci_class.display_name})
    duplicate = Q(source=source_ci, target=target_ci, kind=kind)
    if kind in rules.SYMMETRIC_KINDS:
        duplicate |= Q(source=target_ci, target=source_ci, kind=kind)
    if Relation.objects.filter(duplicate).exists():
        raise Conflict(_("%(source)s is already “%(kind)s” %(target)s.")
                       % {"source": source_ci.name, "kind": RelationKind(kind).label, "target": target_ci.name})
    try:
        with transaction.atomic():
            relation = Relation.objects.create(source=source_ci, target=target_ci, kind=kind,
                                               description=(description or "").strip()[:200],
                                               created_at=clock.now(), created_by=actor)
    except IntegrityError:
        raise Conflict(_("%(source)s is already “%(kind)s” %(target)s.")
                       % {"source": source_ci.name, "kind": RelationKind(kind).label, "target": target_ci.name})
    graph.touch(pairs=[(source_ci.pk, target_ci.pk)])
    _record_relation(actor, "ci.related", relation, source_ci, target_ci)
    return relation


def _record_relation(actor: User, action: str, relation: Relation, source: ConfigurationItem,
                     target: ConfigurationItem) -> None:
    for ci, other, direction in ((source, target, "out"), (target, source, "in")):
        audit_record(actor=actor, action=action, subject=ci, subject_type="ci", data={
            "relation": {"id": relation.pk, "kind": relation.kind, "direction": direction,
                         "other": {"id": other.pk, "label": other.name}}})


@transaction.atomic
def relation_delete(*, actor: User, relation: Relation | int) -> None:
    """Remove a relation (the actor must be allowed to write its source)."""
    relation_id = relation.pk if isinstance(relation, Relation) else int(relation)
    found = Relation.objects.select_related("source", "target").filter(pk=relation_id).first()
    if found is None or not rules.can_view(actor, found.source.organisation_id):
        raise NotFound(_("There is no such relation."))
    _require_write(actor, found.source.organisation_id)
    source, target = found.source, found.target
    found.delete()
    found.pk = relation_id
    graph.touch(pairs=[(source.pk, target.pk)])
    _record_relation(actor, "ci.unrelated", found, source, target)


# Incidents ↔ CIs -----------------------------------------------------------------------------------


def _lock_incident(actor: User, incident: Incident) -> Incident:
    locked = Incident.objects.select_for_update().filter(pk=incident.pk).first()
    if locked is None or not incident_rules.can_view(actor, locked):
        raise NotFound(_("Incident %(number)s does not exist.") % {"number": incident.number})
    if not (incident_rules.can_edit(actor, locked) or incident_rules.can_log_work(actor, locked)):
        raise PermissionDenied(_("You may not change the affected CIs of %(number)s.") % {"number": locked.number})
    return locked


def _incident_links_change(actor: User, incident: Incident, wanted: list[ConfigurationItem] | None,
                           add: list[ConfigurationItem], remove: list[ConfigurationItem]) -> list[ConfigurationItem]:
    locked = _lock_incident(actor, incident)
    readable = rules.readable_organisation_ids(actor)
    for ci in [*(wanted or []), *add]:
        if ci.organisation_id not in readable:
            raise NotFound(_("CI %(id)s does not exist.") % {"id": ci.pk})
    current = dict(IncidentCI.objects.filter(incident=locked).values_list("ci_id", "id"))
    if wanted is not None:
        target_ids = {ci.pk for ci in wanted}
        # CIs the actor cannot see stay linked: a city engineer never unlinks what another city added.
        target_ids |= {cid for cid in current if not ConfigurationItem.objects.filter(
            pk=cid, organisation_id__in=sorted(readable)).exists()}
    else:
        target_ids = (set(current) | {ci.pk for ci in add}) - {ci.pk for ci in remove}
    added, removed = target_ids - set(current), set(current) - target_ids
    if added or removed:
        IncidentCI.objects.filter(incident=locked, ci_id__in=removed).delete()
        now = clock.now()
        IncidentCI.objects.bulk_create([IncidentCI(incident=locked, ci_id=cid, added_at=now, added_by=actor)
                                        for cid in sorted(added)])
        names = dict(ConfigurationItem.objects.filter(pk__in=set(current) | target_ids).values_list("id", "name"))
        audit_record(actor=actor, action="incident.cis_changed", subject=locked, data={
            "changes": {"affected_cis": [", ".join(sorted(names[i] for i in current)),
                                         ", ".join(sorted(names[i] for i in target_ids))]},
            "added": [{"id": i, "label": names[i]} for i in sorted(added)],
            "removed": [{"id": i, "label": names[i]} for i in sorted(removed)],
        })
    return list(ConfigurationItem.objects.filter(incident_links__incident=locked).order_by("incident_links__id"))


@transaction.atomic
def incident_cis_set(*, actor: User, incident: Incident, cis: Iterable[ConfigurationItem]) -> list[ConfigurationItem]:
    """Make ``cis`` the incident's affected CIs (those the actor cannot see are left as they are)."""
    return _incident_links_change(actor, incident, list(cis), [], [])


@transaction.atomic
def incident_cis_add(*, actor: User, incident: Incident, cis: Iterable[ConfigurationItem]) -> list[ConfigurationItem]:
    """Add affected CIs to the incident (already linked ones are ignored)."""
    return _incident_links_change(actor, incident, None, list(cis), [])


@transaction.atomic
def incident_cis_remove(*, actor: User, incident: Incident, cis: Iterable[ConfigurationItem]) -> list[ConfigurationItem]:
    """Remove affected CIs from the incident."""
    return _incident_links_change(actor, incident, None, [], list(cis))


@transaction.atomic
def incident_create_with_cis(*, actor: User, cis: Iterable[ConfigurationItem | int | str] = (),
                             **fields: Any) -> Incident:
    """Record an incident and link its affected CIs in one transaction: the one write path of the record form.

    ``fields`` are ``incidents.services.incident_create``'s. The CIs (objects or ids) are checked first — each
    must exist and be readable by the actor, else ``ValidationFailed`` on ``cis`` naming it — and the link is
    made as ``incident_cis_set`` makes it (the actor must be allowed to change the new incident). Any refusal,
    of the incident or of a CI, leaves nothing behind.
    """
    from opsdesk.incidents.services import incident_create

    wanted: list[int] = []
    for item in cis:
        raw = item.pk if isinstance(item, ConfigurationItem) else item
        if not str(raw).strip().isdigit():
            raise _fail("cis", _("“%(value)s” is not a CI: choose CIs from the list.") % {"value": raw})
        if int(raw) not in wanted:
            wanted.append(int(raw))
    found = {ci.pk: ci for ci in ConfigurationItem.objects.filter(
        pk__in=wanted, organisation_id__in=sorted(rules.readable_organisation_ids(actor)))}
    missing = [ci_id for ci_id in wanted if ci_id not in found]
    if missing:
        raise _fail("cis", _("CI %(id)s does not exist.") % {"id": missing[0]})
    incident = incident_create(actor=actor, **fields)
    if wanted:
        _incident_links_change(actor, incident, [found[ci_id] for ci_id in wanted], [], [])
    return incident
