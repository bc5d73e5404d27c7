"""Every write to an incident. The UI, the API, email and tasks all call these.

Each public function owns its transaction, locks the record, checks the
version and the actor's right, applies the change, bumps the version and
appends the audit trail (which is also the record's timeline).
"""

from __future__ import annotations

import datetime as dt
import mimetypes
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import EmailValidator
from django.db import transaction
from django.db.models import Count
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from opsdesk.accounts.models import GroupMembership, SupportGroup, User
from opsdesk.accounts.roles import Permission as P
from opsdesk.accounts.selectors import holds_in, one_object_per_person, share_person_reads
from opsdesk.audit import context as audit_context
from opsdesk.audit.context import AuditContext
from opsdesk.audit.services import audit_record, audit_record_many
from opsdesk.catalog.models import Category, Service
from opsdesk.catalog.selectors import pick_routing_group, routing_rules_for
from opsdesk.core import clock
from opsdesk.core.errors import (
    DomainError,
    NotFound,
    PermissionDenied,
    TransitionNotAllowed,
    ValidationFailed,
)
from opsdesk.core.groupcommit import GroupCommit
from opsdesk.core.numbering import next_numbers
from opsdesk.core.validation import check_version, unknown_id
from opsdesk.notifications.models import NotificationKind
from opsdesk.notifications.services import Notice, notify, notify_many
from opsdesk.sla import services as sla_clocks

from . import rules
from .choices import (
    WORKING_STATES,
    CauseCode,
    Channel,
    Impact,
    IncidentState,
    PendingReason,
    Priority,
    Urgency,
)
from .models import Attachment, Comment, Incident, IncidentWatcher, PriorityRule, WorkLog
from .workflow import INCIDENT_WORKFLOW

# Fields whose changes the timeline shows, with how to label a value.
TRACKED_FIELDS = (
    "title", "description", "state", "service", "category", "impact", "urgency", "priority",
    "priority_overridden", "priority_reason", "contact_name", "contact_phone", "contact_email", "occurred_at",
    "assigned_group", "assignee", "pending_reason", "vendor", "resolution", "cause_code", "is_major",
    "major_owner", "parent", "satisfaction", "callback_rating",
)
EDITABLE_FIELDS = frozenset({
    "title", "description", "service", "category", "impact", "urgency", "priority", "priority_reason",
    "contact_name", "contact_phone", "contact_email", "occurred_at",
})


def _fail(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, field_errors={field: [message]})


def _value(incident: Incident, field: str) -> Any:
    value = getattr(incident, field)
    if hasattr(value, "pk"):
        return {"id": value.pk, "label": str(value)}
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return value


def _snapshot(incident: Incident) -> dict[str, Any]:
    return {field: _value(incident, field) for field in TRACKED_FIELDS}


def _changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    return {field: [before[field], after[field]] for field in TRACKED_FIELDS if before[field] != after[field]}


def priority_for(*, impact: int, urgency: int) -> int:
    cell = PriorityRule.objects.filter(impact=impact, urgency=urgency).values_list("priority", flat=True).first()
    return cell or rules.DEFAULT_PRIORITY_MATRIX[(impact, urgency)]


def _lock(incident: Incident | str) -> Incident:
    number = incident.number if isinstance(incident, Incident) else incident
    locked = Incident.objects.select_for_update().filter(number=number).first()
    if locked is None:
        raise NotFound(_("Incident %(number)s does not exist.") % {"number": number})
    return locked


def _check_version(locked: Incident, version: int | None) -> None:
    check_version(locked, version, label=locked.number)


def _save(incident: Incident, before: dict[str, Any]) -> dict[str, list[Any]]:
    incident.version += 1
    incident.updated_at = clock.now()
    incident.save()
    return _changes(before, _snapshot(incident))


def _require_view(actor: User, incident: Incident) -> None:
    if not rules.can_view(actor, incident):
        raise NotFound(_("Incident %(number)s does not exist.") % {"number": incident.number})


# Validation -----------------------------------------------------------------------------------


def _validate_choice(field: str, value: Any, choices: type) -> int:
    try:
        value = int(value)
    except (TypeError, ValueError):
        raise _fail(field, _("Choose one of the listed values."))
    if value not in choices.values:
        raise _fail(field, _("Choose one of the listed values."))
    return value


def _validate_classification(service: Service | None, category: Category | None) -> None:
    if service is None:
        raise _fail("service", _("Choose the affected service."))
    if not service.is_active:
        raise _fail("service", _("This service is no longer offered."))
    if category is not None and category.service_id != service.pk:
        raise _fail("category", _("This category belongs to another service."))
    if category is not None and not category.is_active:
        raise _fail("category", _("This category is no longer used."))


def _validate_text(fields: dict[str, Any]) -> None:
    errors: dict[str, list[str]] = {}
    if "title" in fields:
        title = (fields["title"] or "").strip()
        if not title:
            errors["title"] = [_("Give the incident a short title.")]
        elif len(title) > 200:
            errors["title"] = [_("At most 200 characters.")]
    if "description" in fields and not (fields["description"] or "").strip():
        errors["description"] = [_("Describe what happened.")]
    if fields.get("contact_email"):
        try:
            EmailValidator()(fields["contact_email"])
        except DjangoValidationError:
            errors["contact_email"] = [_("Enter a valid email address.")]
    occurred = fields.get("occurred_at")
    if occurred is not None and occurred > clock.now() + dt.timedelta(minutes=5):
        errors["occurred_at"] = [_("The occurrence time cannot be in the future.")]
    if errors:
        raise ValidationFailed(_("Some fields need your attention."), field_errors=errors)


def _occurred_at(value: Any) -> dt.datetime | None:
    """A time from any caller: aware, local (read in the current zone, Asia/Shanghai by default) or ISO text."""
    if value in (None, ""):
        return None
    try:
        moment = parse_datetime(value) if isinstance(value, str) else value
    except ValueError:  # well formed but impossible, e.g. month 13
        moment = None
    if not isinstance(moment, dt.datetime):
        raise _fail("occurred_at", _("Enter a date and time."))
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _validate_group(group: SupportGroup | None, assignee: User | None) -> None:
    if group is None:
        raise _fail("group", _("Choose a group."))
    if assignee is not None and not group.memberships.filter(user=assignee).exists():
        raise _fail("assignee", _("%(user)s is not a member of %(group)s.") % {"user": assignee, "group": group})


def validate_attachment(upload: UploadedFile) -> None:
    name = PurePath(upload.name or "").name
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in settings.OPSDESK_ATTACHMENT_EXTENSIONS:
        raise _fail("attachments", _("“%(name)s”: files of this type are not accepted (allowed: %(allowed)s).")
                    % {"name": name, "allowed": ", ".join(settings.OPSDESK_ATTACHMENT_EXTENSIONS)})
    if upload.size > settings.OPSDESK_ATTACHMENT_MAX_BYTES:
        raise _fail("attachments", _("“%(name)s” is %(size).1f MB; the limit is %(limit).1f MB.")
                    % {"name": name, "size": upload.size / 1048576, "limit": settings.OPSDESK_ATTACHMENT_MAX_BYTES / 1048576})


# Assignment ----------------------------------------------------------------------------------


def _assign(incident: Incident, group: SupportGroup, assignee: User | None) -> None:
    _assign_to(incident, group, assignee)
    if assignee is None:
        _pick_members([incident])


def _notify_assignment(incident: Incident, actor: User | None, kind: str = NotificationKind.ASSIGNED) -> None:
    _notify_assignments([(incident, actor)], kind)


def _notify_assignments(assigned: list[tuple[Incident, User | None]], kind: str = NotificationKind.ASSIGNED) -> None:
    """Tell each record's assignee, else every member of its group (read once for all the records)."""
    unowned = {i.assigned_group_id for i, actor in assigned if not i.assignee_id and i.assigned_group_id}
    members: dict[int, list[int]] = {pk: [] for pk in unowned}
    for group_id, user_id in GroupMembership.objects.filter(group_id__in=unowned).values_list("group_id", "user_id"):
        members[group_id].append(user_id)
    notify_many([
        Notice(recipients=[i.assignee_id] if i.assignee_id else members.get(i.assigned_group_id, []),
               kind=kind, subject=i, actor=actor)
        for i, actor in assigned
    ])


# Create and update ---------------------------------------------------------------------------


@dataclass
class IncidentDraft:
    """One new incident as a caller asks for it: ``incident_create``'s arguments. References may be records
    or ids (the API passes the ids it was sent; an unknown id is refused as an error on that field). The
    caller's language, time zone and audit context are kept, so a batch written by another request's thread
    answers in the caller's language, reads a local time in the caller's zone and audits where the request
    came from."""

    actor: User
    title: str
    description: str
    service: Service | int | None
    category: Category | int | None = None
    impact: Any = Impact.LOW
    urgency: Any = Urgency.MEDIUM
    requester: User | int | None = None
    channel: str = Channel.PORTAL
    contact_name: str = ""
    contact_phone: str = ""
    contact_email: str = ""
    occurred_at: Any = None
    priority: Any = None
    priority_reason: str = ""
    group: SupportGroup | int | None = None
    assignee: User | int | None = None
    attachments: Sequence[UploadedFile] = ()
    language: str | None = field(default_factory=translation.get_language)
    time_zone: str = field(default_factory=timezone.get_current_timezone_name)  # reads a local occurred_at
    context: AuditContext = field(default_factory=audit_context.current)


def incident_create(*, actor: User, **fields: Any) -> Incident:
    """Record a new incident: reported by the requester, or on a caller's behalf by the desk.

    ``fields`` are ``IncidentDraft``'s. Every create, one or many, is written by ``incidents_create_many``.
    """
    (result,) = incidents_create_many([IncidentDraft(actor=actor, **fields)])
    if isinstance(result, Exception):
        raise result
    return result


@transaction.atomic
def incidents_create_many(drafts: Sequence[IncidentDraft]) -> list[Incident | DomainError]:
    """Record many new incidents in one transaction (a batch of API creates, a single form): the rules,
    lists and records the drafts name are read once for the batch, and the numbers, the rows, the clocks,
    the notifications and the audit entries are written in one statement each.

    Answers, for each draft in order, the new incident or the error that refused it (a refused draft writes
    nothing and does not stop the others). An unexpected database error fails the whole batch.
    """
    now = clock.now()
    found = _References(drafts)
    matrix = _priority_matrix()
    actors = one_object_per_person(draft.actor for draft in drafts)
    results: list[Incident | DomainError] = []
    accepted: list[tuple[Incident, IncidentDraft]] = []
    for draft in drafts:
        with translation.override(draft.language), timezone.override(draft.time_zone):
            try:
                incident = _prepared(draft, actors[draft.actor.pk], found, matrix, now)
            except DomainError as error:
                results.append(error)
                continue
        results.append(incident)
        accepted.append((incident, draft))
    if len(drafts) > 1:  # the API answers each request with the transitions its actor may take (they read the
        for actor in actors.values():  # actor's groups): read them once per person, not once per request
            actor.support_group_ids  # noqa: B018
        share_person_reads((draft.actor for draft in drafts), actors)
    if not accepted:
        return results
    _route(accepted)
    _pick_members([incident for incident, draft in accepted if incident.assigned_group_id
                   and incident.assignee_id is None])
    # Numbered last: the day's counter row stays locked until commit, so concurrent creates wait on
    # each other only from here on, not through the checks and routing above.
    incidents = [incident for incident, draft in accepted]
    for incident, number in zip(incidents, next_numbers("INC", len(incidents), at=now), strict=True):
        incident.number = number
    Incident.objects.bulk_create(incidents)
    stored: dict[int, list[str]] = {}
    for incident, draft in accepted:
        stored[incident.pk] = [_store_attachment(incident, upload, draft.actor).name for upload in draft.attachments]
    clocks = sla_clocks.incidents_clocks_start(incidents=incidents, now=now)
    _notify_assignments([(incident, draft.actor) for incident, draft in accepted if incident.assigned_group_id])
    audit_record_many(actor=None, entries=[
        {"actor": draft.actor, "context": draft.context, "action": "incident.created", "subject": incident,
         "data": {"fields": _snapshot(incident),
                  "routed": draft.group is None and incident.assigned_group_id is not None,
                  "attachments": stored[incident.pk]}}
        for incident, draft in accepted
    ])
    for incident in incidents:
        _prefetch_clocks(incident, clocks[incident.pk])
    return results


# The API's creates: concurrent requests of one process are written together (see core/groupcommit.py).
incident_intake: GroupCommit[IncidentDraft, Incident] = GroupCommit(incidents_create_many)


class _References:
    """The services, categories, users and groups that a batch of drafts names by id, read once."""

    def __init__(self, drafts: Sequence[IncidentDraft]) -> None:
        def ids(name: str) -> set[int]:
            return {value for d in drafts if _is_id(value := getattr(d, name))}

        self.rows: dict[str, dict[int, Any]] = {
            "service": Service.objects.in_bulk(ids("service")),
            "category": Category.objects.select_related("parent__parent").in_bulk(ids("category")),
            "user": User.objects.filter(is_active=True).select_related("organisation")
            .in_bulk(ids("requester") | ids("assignee")),
            "group": SupportGroup.objects.in_bulk(ids("group")),
        }

    def get(self, field_name: str, kind: str, value: Any) -> Any:
        if not _is_id(value):
            return value
        row = self.rows[kind].get(value)
        if row is None:
            raise unknown_id({"service": Service, "category": Category, "user": User, "group": SupportGroup}[kind],
                             value, field_name)
        return row


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _priority_matrix() -> dict[tuple[int, int], int]:
    return {**rules.DEFAULT_PRIORITY_MATRIX,
            **{(i, u): p for i, u, p in PriorityRule.objects.values_list("impact", "urgency", "priority")}}


def _prepared(draft: IncidentDraft, actor: User, found: _References, matrix: dict[tuple[int, int], int],
              now: dt.datetime) -> Incident:
    """Check one draft and build its (unsaved) incident, or raise what refuses it. ``actor`` is the draft's
    actor, as one object per person in the batch."""
    service = found.get("service", "service", draft.service)
    category = found.get("category", "category", draft.category)
    requester = found.get("requester", "user", draft.requester) or actor
    group = found.get("group", "group", draft.group)
    assignee = found.get("assignee", "user", draft.assignee)
    organisation = requester.organisation
    if organisation is None:
        raise _fail("requester", _("The requester belongs to no organisation."))
    if requester.pk != actor.pk:
        if not holds_in(actor, P.INCIDENT_RECORD, organisation.pk):
            raise PermissionDenied(_("You may not record incidents for users of %(organisation)s.")
                                   % {"organisation": organisation})
    elif not actor.holds(P.INCIDENT_REPORT):
        raise PermissionDenied(_("You may not report incidents."))
    if draft.channel not in Channel.values:
        raise _fail("channel", _("Choose one of the listed values."))
    impact = _validate_choice("impact", draft.impact, Impact)
    urgency = _validate_choice("urgency", draft.urgency, Urgency)
    occurred_at = _occurred_at(draft.occurred_at)
    _validate_text({"title": draft.title, "description": draft.description, "contact_email": draft.contact_email,
                    "occurred_at": occurred_at})
    _validate_classification(service, category)
    for upload in draft.attachments:
        validate_attachment(upload)
    may_dispatch = holds_in(actor, P.INCIDENT_DISPATCH, organisation.pk)
    computed = matrix.get((impact, urgency)) or rules.DEFAULT_PRIORITY_MATRIX[(impact, urgency)]
    priority = None if draft.priority in (None, "") else _validate_choice("priority", draft.priority, Priority)
    priority_reason = (draft.priority_reason or "").strip()
    overridden = priority is not None and priority != computed
    if overridden:
        if not may_dispatch:
            raise PermissionDenied(_("Only the service desk may override the priority."))
        if not priority_reason:
            raise _fail("priority_reason", _("Overriding the computed priority needs a reason."))
    if (group is not None or assignee is not None) and not may_dispatch:
        raise PermissionDenied(_("You may not dispatch incidents."))
    if assignee is not None and group is None:
        raise _fail("group", _("Choose the group the assignee works in."))
    incident = Incident(
        created_at=now,
        updated_at=now,
        title=draft.title.strip(),
        description=draft.description.strip(),
        service=service,
        category=category,
        impact=impact,
        urgency=urgency,
        priority=int(priority) if overridden else computed,
        priority_overridden=overridden,
        priority_reason=priority_reason if overridden else "",
        channel=draft.channel,
        requester=requester,
        organisation=organisation,
        contact_name=draft.contact_name or requester.display_name or requester.username,
        contact_phone=draft.contact_phone or requester.phone,
        contact_email=draft.contact_email or requester.email,
        occurred_at=occurred_at,
        created_by=actor,
    )
    if group is not None:
        _validate_group(group, assignee)
        _assign_to(incident, group, assignee)
    return incident


def _route(accepted: list[tuple[Incident, IncidentDraft]]) -> None:
    """Send each new incident that names no group to the group its routing rules choose (if any)."""
    undispatched = [incident for incident, draft in accepted if draft.group is None]
    if not undispatched:
        return
    rules_by_service = routing_rules_for([(i.service, i.category, i.organisation) for i in undispatched])
    for incident in undispatched:
        routed = pick_routing_group(rules_by_service[incident.service_id], category=incident.category,
                                    organisation=incident.organisation)
        if routed is not None:
            _assign_to(incident, routed, None)


def _assign_to(incident: Incident, group: SupportGroup, assignee: User | None) -> None:
    """``_assign`` without choosing a member: a batch picks its members together (``_pick_members``)."""
    incident.assigned_group = group
    incident.assignee = assignee
    incident.state = IncidentState.ASSIGNED
    incident.pending_reason = ""


def _pick_members(incidents: list[Incident]) -> None:
    """Give each of ``incidents`` (assigned to a group, nobody in it yet) the member its group's strategy
    chooses, in order, as ``_pick_member`` would one after the other: round-robin groups are locked and
    moved on once for the batch, least-loaded counts include the records of the batch."""
    groups = {i.assigned_group_id: i.assigned_group for i in incidents if i.assigned_group.strategy != "manual"}
    if not groups:
        return
    members: dict[int, list[User]] = {pk: [] for pk in groups}
    for membership in (GroupMembership.objects.filter(group_id__in=groups, user__is_active=True)
                       .select_related("user").order_by("user_id")):
        members[membership.group_id].append(membership.user)
    least_loaded = [pk for pk, g in groups.items() if g.strategy == "least_loaded" and members[pk]]
    load: dict[int, int] = {}
    if least_loaded:
        load = dict(
            Incident.objects.filter(state__in=WORKING_STATES,
                                    assignee__in=[m for pk in least_loaded for m in members[pk]])
            .values("assignee").annotate(n=Count("id")).values_list("assignee", "n")
        )
    round_robin = [pk for pk, g in groups.items() if g.strategy == "round_robin" and members[pk]]
    previous: dict[int, int | None] = dict(
        SupportGroup.objects.select_for_update().filter(pk__in=round_robin).order_by("pk")
        .values_list("pk", "last_assigned_user_id")
    ) if round_robin else {}
    for incident in incidents:
        pk = incident.assigned_group_id
        if pk not in groups or not members[pk]:
            continue
        candidates = members[pk]
        if pk in previous:
            later = [m for m in candidates if previous[pk] is None or m.pk > previous[pk]]  # type: ignore[operator]
            chosen = later[0] if later else candidates[0]
            previous[pk] = chosen.pk
        else:
            chosen = min(candidates, key=lambda m: (load.get(m.pk, 0), m.pk))
            load[chosen.pk] = load.get(chosen.pk, 0) + 1
        incident.assignee = chosen
    if previous:
        SupportGroup.objects.bulk_update(
            [SupportGroup(pk=pk, last_assigned_user_id=last) for pk, last in previous.items()],
            ["last_assigned_user"])


def _prefetch_clocks(incident: Incident, clocks: list[Any]) -> None:
    """Keep the clocks just started as if prefetched, so rendering the new record (``sla_summary`` reads
    ``incident.sla_clocks.all()``) does not select them again. Any later write through the related manager or
    ``refresh_from_db`` drops them, as with a real prefetch."""
    prefetched = incident.sla_clocks.all()
    prefetched._result_cache = clocks
    prefetched._prefetch_done = True
    incident._prefetched_objects_cache = {"sla_clocks": prefetched}


@transaction.atomic
def incident_update(*, actor: User, incident: Incident | str, version: int | None, **fields: Any) -> Incident:
    """Change classification, priority, contact details or text. ``version`` is required."""
    if version is None:
        raise _fail("version", _("The version you edited is required."))
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ValidationFailed(_("These fields cannot be changed here: %(fields)s.") % {"fields": ", ".join(sorted(unknown))},
                               field_errors={f: [_("This field cannot be changed here.")] for f in unknown})
    locked = _lock(incident)
    _require_view(actor, locked)
    if not rules.can_edit(actor, locked):
        raise PermissionDenied(_("You may not change %(number)s.") % {"number": locked.number})
    _check_version(locked, version)
    before = _snapshot(locked)
    if "occurred_at" in fields:
        fields["occurred_at"] = _occurred_at(fields["occurred_at"])
    _validate_text(fields)
    for name in ("impact", "urgency"):
        if name in fields:
            fields[name] = _validate_choice(name, fields[name], Impact if name == "impact" else Urgency)
    for name, value in fields.items():
        if name in ("title", "description") and isinstance(value, str):
            value = value.strip()
        if name in ("contact_name", "contact_phone", "contact_email") and value is None:
            value = ""
        if name not in ("priority", "priority_reason"):
            setattr(locked, name, value)
    if "service" in fields or "category" in fields:
        _validate_classification(locked.service, locked.category)
    computed = priority_for(impact=locked.impact, urgency=locked.urgency)
    requested = fields.get("priority")
    if requested not in (None, ""):
        requested = _validate_choice("priority", requested, Priority)
    if requested not in (None, "") and requested != computed:
        if not rules.can_dispatch(actor, locked):
            raise PermissionDenied(_("Only the service desk may override the priority."))
        reason = (fields.get("priority_reason") or "").strip()
        if not reason:
            raise _fail("priority_reason", _("Overriding the computed priority needs a reason."))
        locked.priority = requested
        locked.priority_overridden, locked.priority_reason = True, reason
    elif requested not in (None, "") or not locked.priority_overridden or {"impact", "urgency"} & set(fields):
        locked.priority, locked.priority_overridden, locked.priority_reason = computed, False, ""
    changes = _save(locked, before)
    sla_clocks.incident_changed(incident=locked, before=before, now=locked.updated_at)
    if changes:
        audit_record(actor=actor, action="incident.updated", subject=locked, data={"changes": changes})
    return locked


# Transitions ---------------------------------------------------------------------------------


def _group(value: Any) -> SupportGroup:
    if isinstance(value, SupportGroup):
        return value
    group = SupportGroup.objects.filter(pk=value).first() if str(value or "").isdigit() else None
    if group is None:
        raise _fail("group", _("Choose a group."))
    return group


def _user(value: Any, field: str) -> User | None:
    if value in (None, ""):
        return None
    if isinstance(value, User):
        return value
    user = User.objects.filter(pk=value, is_active=True).first() if str(value).isdigit() else None
    if user is None:
        raise _fail(field, _("No such user."))
    return user


def _rating(value: Any, field: str = "rating") -> int:
    try:
        rating = int(value)
    except (TypeError, ValueError):
        raise _fail(field, _("Rate from 1 to 5."))
    if not 1 <= rating <= 5:
        raise _fail(field, _("Rate from 1 to 5."))
    return rating


@transaction.atomic
def incident_transition(
    *, actor: User, incident: Incident | str, transition: str, version: int | None = None, **inputs: Any
) -> Incident:
    """Take one named transition of the incident workflow."""
    locked = _lock(incident)
    _require_view(actor, locked)
    step = INCIDENT_WORKFLOW.check(actor, locked, transition, inputs)
    _check_version(locked, version)
    before = _snapshot(locked)
    reason = (inputs.get("reason") or "").strip()
    data: dict[str, Any] = {"transition": step.name}
    if reason:
        data["reason"] = reason
    now = clock.now()
    if step.target is not None:
        locked.state = step.target  # a step may refine it (a reopened record with no group goes back to new)
    extra = _APPLY[step.name](actor, locked, inputs, now) or {}
    data.update(extra.pop("data", {}))
    changes = _save(locked, before)
    sla_clocks.incident_changed(incident=locked, before=before, now=now)
    data["changes"] = changes
    audit_record(actor=actor, action=f"incident.{_PAST[step.name]}", subject=locked, data=data)
    for after in extra.get("after", []):
        after()
    return locked


def _apply_assign(actor: User, incident: Incident, inputs: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    group = _group(inputs.get("group"))
    assignee = _user(inputs.get("assignee"), "assignee")
    _validate_group(group, assignee)
    _assign(incident, group, assignee)
    return {"after": [lambda: _notify_assignment(incident, actor)]}


def _apply_accept(actor: User, incident: Incident, inputs: dict[str, Any], now: dt.datetime) -> None:
    incident.assignee = actor


def _apply_pend(actor: User, incident: Incident, inputs: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    kind = inputs.get("pending_reason") or PendingReason.CUSTOMER
    if kind not in PendingReason.values:
        raise _fail("pending_reason", _("Choose one of the listed values."))
    vendor = (inputs.get("vendor") or "").strip()
    if kind == PendingReason.VENDOR and not vendor:
        raise _fail("vendor", _("Name the vendor you are waiting for."))
    incident.pending_reason, incident.vendor = kind, vendor or incident.vendor
    return {"data": {"pending_reason": kind, "vendor": vendor}}


def _apply_resume(actor: User, incident: Incident, inputs: dict[str, Any], now: dt.datetime) -> None:
    incident.pending_reason = ""


def _apply_escalate(actor: User, incident: Incident, inputs: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    group = _group(inputs.get("group"))
    current = incident.assigned_group
    if current is not None and group.pk == current.pk:
        raise _fail("group", _("Choose a group other than the current one."))
    if current is not None and group.line_rank <= current.line_rank and not rules.can_manage_major(actor, incident):
        raise _fail("group", _("Escalate to a higher support line than %(line)s.") % {"line": current.get_line_display()})
    assignee = _user(inputs.get("assignee"), "assignee")
    _validate_group(group, assignee)
    if current is not None:
        incident.escalation_path = [*incident.escalation_path, current.pk]
    _assign(incident, group, assignee)
    return {"data": {"from_group": current.pk if current else None, "to_group": group.pk},
            "after": [lambda: _notify_assignment(incident, actor, NotificationKind.ESCALATED)]}


def _apply_return(actor: User, incident: Incident, inputs: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    *rest, previous_id = incident.escalation_path
    group = SupportGroup.objects.get(pk=previous_id)
    incident.escalation_path = rest
    _assign(incident, group, None)
    return {"after": [lambda: _notify_assignment(incident, actor)]}


def _apply_resolve(actor: User, incident: Incident, inputs: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    cause = inputs.get("cause_code") or ""
    if cause and cause not in CauseCode.values:
        raise _fail("cause_code", _("Choose one of the listed values."))
    incident.resolution = inputs["resolution"].strip()
    incident.cause_code = cause
    incident.resolved_at, incident.resolved_by = now, actor
    incident.pending_reason = ""
    if incident.assignee_id is None and rules.is_handler(actor, incident):
        incident.assignee = actor
    return {"after": [lambda: notify(recipients=[incident.requester_id], kind=NotificationKind.RESOLVED,
                                     subject=incident, actor=actor, text=incident.resolution)]}


def _apply_confirm(actor: User, incident: Incident, inputs: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    incident.satisfaction = _rating(inputs.get("rating"))
    incident.satisfaction_comment = (inputs.get("comment") or "").strip()
    incident.closed_at = now
    return {"data": {"rating": incident.satisfaction, "comment": incident.satisfaction_comment}}


def _reopen(actor: User, incident: Incident) -> dict[str, Any]:
    incident.reopen_count += 1
    incident.resolved_at = incident.closed_at = None
    incident.state = IncidentState.ASSIGNED if incident.assigned_group_id else IncidentState.NEW
    recipients = [incident.assignee_id] if incident.assignee_id else []
    if incident.assigned_group_id and incident.assigned_group.lead_id:
        recipients.append(incident.assigned_group.lead_id)
    return {"after": [lambda: notify(recipients=recipients, kind=NotificationKind.REOPENED, subject=incident, actor=actor)]}


def _apply_reject(actor: User, incident: Incident, inputs: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    return _reopen(actor, incident)


def _apply_reopen(actor: User, incident: Incident, inputs: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    incident.satisfaction = None
    incident.satisfaction_comment = ""
    return _reopen(actor, incident)


def _apply_close(actor: User, incident: Incident, inputs: dict[str, Any], now: dt.datetime) -> None:
    incident.closed_at = now


def _apply_chase(actor: User, incident: Incident, inputs: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    incident.chase_count += 1
    recipients = [incident.assignee_id]
    if incident.assigned_group_id and incident.assigned_group.lead_id:
        recipients.append(incident.assigned_group.lead_id)
    elif incident.assigned_group_id and not incident.assignee_id:  # nobody answers for it: tell the group
        recipients += list(incident.assigned_group.memberships.values_list("user_id", flat=True))
    if not incident.assigned_group_id:
        recipients += list(User.objects.filter(
            role_assignments__role="service_desk").values_list("pk", flat=True).distinct()[:20])
    note = (inputs.get("comment") or inputs.get("reason") or "").strip()
    return {"data": {"chase_count": incident.chase_count},
            "after": [lambda: notify(recipients=recipients, kind=NotificationKind.CHASED, subject=incident,
                                     actor=actor, text=note)]}


def _apply_cancel(actor: User, incident: Incident, inputs: dict[str, Any], now: dt.datetime) -> None:
    incident.closed_at = now


_APPLY = {
    "assign": _apply_assign, "accept": _apply_accept, "pend": _apply_pend, "resume": _apply_resume,
    "escalate": _apply_escalate, "return": _apply_return, "resolve": _apply_resolve, "confirm": _apply_confirm,
    "reject": _apply_reject, "close": _apply_close, "reopen": _apply_reopen, "chase": _apply_chase,
    "cancel": _apply_cancel,
}
_PAST = {
    "assign": "assigned", "accept": "accepted", "pend": "pended", "resume": "resumed", "escalate": "escalated",
    "return": "returned", "resolve": "resolved", "confirm": "confirmed", "reject": "rejected", "close": "closed",
    "reopen": "reopened", "chase": "chased", "cancel": "cancelled",
}


# Work logs, comments, attachments, watchers ---------------------------------------------------


def _visible_for_write(actor: User, incident: Incident | str) -> Incident:
    number = incident.number if isinstance(incident, Incident) else incident
    found = Incident.objects.select_related("assigned_group").filter(number=number).first()
    if found is None:
        raise NotFound(_("Incident %(number)s does not exist.") % {"number": number})
    _require_view(actor, found)
    return found


@transaction.atomic
def incident_log_work(*, actor: User, incident: Incident | str, minutes: Any, note: str) -> WorkLog:
    target = _visible_for_write(actor, incident)
    if not rules.can_log_work(actor, target):
        raise PermissionDenied(_("Only the handlers of %(number)s can log work on it.") % {"number": target.number})
    try:
        minutes = int(minutes)
    except (TypeError, ValueError):
        raise _fail("minutes", _("Enter the time spent in whole minutes."))
    if not 1 <= minutes <= 24 * 60:
        raise _fail("minutes", _("Enter between 1 and 1440 minutes."))
    if not (note or "").strip():
        raise _fail("note", _("Say what was done."))
    worklog = WorkLog.objects.create(incident=target, author=actor, minutes=minutes, note=note.strip(), created_at=clock.now())
    audit_record(actor=actor, action="incident.work_logged", subject=target,
                 data={"worklog_id": worklog.pk, "minutes": minutes, "note": worklog.note, "internal": True})
    return worklog


@transaction.atomic
def incident_comment(*, actor: User, incident: Incident | str, body: str, internal: bool = False) -> Comment:
    target = _visible_for_write(actor, incident)
    if not rules.can_comment(actor, target):
        raise PermissionDenied(_("You may not comment on %(number)s.") % {"number": target.number})
    if internal and not rules.can_see_internal(actor, target):
        raise PermissionDenied(_("Only staff may write internal comments."))
    if not (body or "").strip():
        raise _fail("body", _("Write something first."))
    comment = Comment.objects.create(incident=target, author=actor, body=body.strip(), is_internal=internal,
                                     created_at=clock.now())
    audit_record(actor=actor, action="incident.commented", subject=target,
                 data={"comment_id": comment.pk, "body": comment.body, "internal": internal})
    if not internal and actor.pk == target.requester_id and target.assignee_id:
        notify(recipients=[target.assignee_id], kind=NotificationKind.COMMENTED, subject=target, actor=actor,
               text=comment.body)
    return comment


def _store_attachment(incident: Incident, upload: UploadedFile, actor: User) -> Attachment:
    name = PurePath(upload.name or "file").name[:200]
    attachment = Attachment(
        incident=incident, name=name, size=upload.size, uploaded_by=actor, created_at=clock.now(),
        content_type=getattr(upload, "content_type", "") or mimetypes.guess_type(name)[0] or "",
    )
    attachment.file.save(name, upload, save=False)
    attachment.save()
    return attachment


@transaction.atomic
def incident_attach(*, actor: User, incident: Incident | str, upload: UploadedFile) -> Attachment:
    target = _visible_for_write(actor, incident)
    if not rules.can_comment(actor, target):
        raise PermissionDenied(_("You may not add files to %(number)s.") % {"number": target.number})
    validate_attachment(upload)
    attachment = _store_attachment(target, upload, actor)
    audit_record(actor=actor, action="incident.attached", subject=target,
                 data={"attachment_id": attachment.pk, "name": attachment.name, "size": attachment.size})
    return attachment


@transaction.atomic
def incident_watch(*, actor: User, incident: Incident | str, user: User | None = None) -> Incident:
    target = _visible_for_write(actor, incident)
    watcher = user or actor
    if rules.actor_is_read_only(actor):
        raise PermissionDenied(_("Auditors change nothing."))
    if watcher.pk != actor.pk and not (rules.can_dispatch(actor, target) or rules.is_handler(actor, target)
                                       or rules.can_manage_major(actor, target)):
        raise PermissionDenied(_("You may only add yourself as a watcher."))
    _link, created = IncidentWatcher.objects.get_or_create(incident=target, user=watcher)
    if created:
        audit_record(actor=actor, action="incident.watcher_added", subject=target,
                     data={"user": {"id": watcher.pk, "label": str(watcher)}})
    return target


# Major incidents ------------------------------------------------------------------------------


@transaction.atomic
def incident_flag_major(*, actor: User, incident: Incident | str, version: int | None, owner: User | None = None,
                        reason: str = "") -> Incident:
    locked = _lock(incident)
    _require_view(actor, locked)
    if not rules.can_manage_major(actor, locked):
        raise PermissionDenied(_("Only an incident manager may flag a major incident."))
    if not locked.is_open:
        raise TransitionNotAllowed(_("Only an open incident can be flagged major."), code="not_open")
    _check_version(locked, version)
    before = _snapshot(locked)
    locked.is_major, locked.major_owner = True, owner or actor
    if locked.priority != Priority.CRITICAL:
        locked.priority, locked.priority_overridden = Priority.CRITICAL, True
        locked.priority_reason = reason.strip() or _("Major incident")
    changes = _save(locked, before)
    sla_clocks.incident_changed(incident=locked, before=before, now=locked.updated_at)
    audit_record(actor=actor, action="incident.flagged_major", subject=locked, data={"changes": changes, "reason": reason})
    return locked


@transaction.atomic
def incident_link_child(*, actor: User, major: Incident | str, child: Incident | str) -> Incident:
    parent = _lock(major)
    _require_view(actor, parent)
    if not rules.can_manage_major(actor, parent):
        raise PermissionDenied(_("Only an incident manager may link incidents to a major incident."))
    if not parent.is_major:
        raise _fail("major", _("%(number)s is not a major incident.") % {"number": parent.number})
    linked = _lock(child)
    _require_view(actor, linked)
    if linked.pk == parent.pk or linked.is_major:
        raise _fail("child", _("A major incident cannot be linked under another."))
    before = _snapshot(linked)
    linked.parent = parent
    changes = _save(linked, before)
    audit_record(actor=actor, action="incident.linked_to_major", subject=linked,
                 data={"changes": changes, "major": parent.number})
    audit_record(actor=actor, action="incident.child_linked", subject=parent, data={"child": linked.number})
    return linked


@transaction.atomic
def incident_post_major_update(*, actor: User, major: Incident | str, body: str) -> Comment:
    """A communication update: written on the major incident, sent to the watchers of every linked record."""
    parent = _visible_for_write(actor, major)
    if not (rules.can_manage_major(actor, parent) or parent.major_owner_id == actor.pk):
        raise PermissionDenied(_("Only the owner or an incident manager may post updates."))
    if not parent.is_major:
        raise _fail("major", _("%(number)s is not a major incident.") % {"number": parent.number})
    if not (body or "").strip():
        raise _fail("body", _("Write something first."))
    comment = Comment.objects.create(incident=parent, author=actor, body=body.strip(), created_at=clock.now())
    family = [parent.pk, *parent.children.values_list("pk", flat=True)]
    recipients = set(IncidentWatcher.objects.filter(incident_id__in=family).values_list("user_id", flat=True))
    recipients |= set(Incident.objects.filter(pk__in=family).values_list("requester_id", flat=True))
    notify(recipients=recipients, kind=NotificationKind.MAJOR_UPDATE, subject=parent, actor=actor, text=comment.body)
    audit_record(actor=actor, action="incident.major_update", subject=parent,
                 data={"comment_id": comment.pk, "body": comment.body, "recipients": len(recipients)})
    return comment


# Satisfaction ---------------------------------------------------------------------------------


@transaction.atomic
def incident_record_callback(*, actor: User, incident: Incident | str, rating: Any, comment: str = "") -> Incident:
    """The desk records the answer of a satisfaction call-back (回访)."""
    locked = _lock(incident)
    _require_view(actor, locked)
    if not rules.can_close(actor, locked):
        raise PermissionDenied(_("Only the service desk records call-backs."))
    if locked.state not in (IncidentState.RESOLVED, IncidentState.CLOSED):
        raise TransitionNotAllowed(_("Call back after the incident is resolved."), code="not_resolved")
    before = _snapshot(locked)
    locked.callback_rating = _rating(rating)
    locked.callback_comment = (comment or "").strip()
    changes = _save(locked, before)
    audit_record(actor=actor, action="incident.callback_recorded", subject=locked,
                 data={"changes": changes, "rating": locked.callback_rating, "comment": locked.callback_comment})
    return locked


def incidents_auto_confirm(*, days: int | None = None) -> list[str]:
    """Close resolved incidents whose requester has not answered within ``days`` (default: the setting)."""
    days = settings.OPSDESK_AUTO_CONFIRM_DAYS if days is None else days
    cutoff = clock.now() - dt.timedelta(days=days)
    numbers = list(Incident.objects.filter(state=IncidentState.RESOLVED, resolved_at__lte=cutoff)
                   .values_list("number", flat=True)[:500])
    closed = []
    for number in numbers:
        with transaction.atomic():
            locked = Incident.objects.select_for_update().filter(number=number, state=IncidentState.RESOLVED).first()
            if locked is None:
                continue
            before = _snapshot(locked)
            locked.state, locked.closed_at, locked.auto_confirmed = IncidentState.CLOSED, clock.now(), True
            changes = _save(locked, before)
            audit_record(actor=None, action="incident.auto_confirmed", subject=locked,
                         data={"changes": changes, "days": days})
            closed.append(number)
    return closed
