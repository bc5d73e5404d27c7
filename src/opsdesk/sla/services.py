"""Every write of the sla app: agreements, the service link, and the clocks of incidents.

The clocks are stored (``IncidentClock``) and changed only here:

* ``incident_clocks_start`` when an incident is created (its service has an agreement with a target for its
  priority), and ``incident_changed`` after every later write of the incident services (state, pending
  reason, priority, service, group): the incident services call both inside their own transaction, with the
  incident row locked.
* ``incident_clocks_recompute``: an administrator rebuilds a record's clocks from its state history (after a
  calendar or agreement correction), the change audited as old due → new due.
* ``thresholds_enqueue_due`` (the scheduler's pass) and ``threshold_fire`` (the task): see their docstrings
  for how each threshold fires exactly once.
* ``clocks_settle_history``: the demo loader records the thresholds its history passed as already fired
  (no notification), so the scheduler's first pass does not act on weeks-old thresholds.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from opsdesk.accounts.models import RoleAssignment, SupportGroup, User
from opsdesk.accounts.roles import Permission as P
from opsdesk.accounts.roles import Role
from opsdesk.audit.models import AuditEntry
from opsdesk.audit.services import audit_record
from opsdesk.calendars import businesstime
from opsdesk.calendars.models import BusinessCalendar
from opsdesk.calendars.selectors import calendar_for_organisation, calendar_spec, calendar_spec_of
from opsdesk.catalog.models import Service
from opsdesk.core import clock
from opsdesk.core.errors import NotFound, PermissionDenied, ValidationFailed
from opsdesk.incidents.choices import Priority
from opsdesk.incidents.models import Incident
from opsdesk.notifications.services import notify

from .domain.clock import PAUSED, RUNNING, STOPPED, StateChange, percent_seconds, segments, status_for
from .models import (
    AgreementTarget,
    AgreementThreshold,
    CalendarWatermark,
    ClockKind,
    FiringStatus,
    GroupSpan,
    IncidentClock,
    OperationalTarget,
    ServiceAgreement,
    ServiceLevelAgreement,
    ThresholdFiring,
    TickMarker,
)
from .selectors import agreement_for_service

log = logging.getLogger("opsdesk.sla")

BREACH = 100
PASS_BATCH = 1000  # clocks one transaction of the scheduler pass handles; the pass loops until none is due
# How the firings of one pass are handed to the workers. Usually few are due at once: one task each
# (``fire_threshold``), so a lost job costs one firing. A backlog (after downtime, a correction) goes in
# chunks (``fire_thresholds``): one enqueue costs an INSERT (database queue) or a Redis round trip, and
# thousands of them would keep one pass busy for half a minute.
# With RQ one enqueue costs ~6 ms (django_tasks_rq connects to Redis again for each), so a pass enqueues
# few tasks: one per firing up to ``SINGLE_TASKS_UP_TO``, chunks of ``ENQUEUE_CHUNK`` ids beyond.
SINGLE_TASKS_UP_TO = 50
ENQUEUE_CHUNK = 250


def firing_lease() -> dt.timedelta:
    """A firing a worker claimed (its task started) and has not finished after this long is enqueued again
    (its worker died)."""
    return dt.timedelta(seconds=int(getattr(settings, "OPSDESK_SLA_FIRING_LEASE_SECONDS", 120)))


def firing_queue_timeout() -> dt.timedelta:
    """A firing enqueued this long ago whose task no worker has started is enqueued again (its job was lost):
    much longer than the lease, so a queue that takes minutes to drain is not filled again by every pass."""
    return dt.timedelta(seconds=int(getattr(settings, "OPSDESK_SLA_FIRING_QUEUE_TIMEOUT_SECONDS", 1800)))


def _fail(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, field_errors={field: [message]})


def _require_admin(actor: User) -> None:
    if actor is None or not actor.holds(P.ADMINISTER):
        raise PermissionDenied(_("Only an administrator may change service level agreements."))


# Agreements ---------------------------------------------------------------------------------------


def _validate_agreement(*, name: str, code: str, targets: dict[int, tuple[Any, Any]],
                        thresholds: Iterable[dict[str, Any]], existing: ServiceLevelAgreement | None) -> tuple[
        dict[int, tuple[int, int]], list[dict[str, Any]]]:
    errors: dict[str, list[str]] = {}
    if not (name or "").strip():
        errors["name"] = [_("Give the agreement a name.")]
    code = (code or "").strip()
    if not code:
        errors["code"] = [_("Give the agreement a code.")]
    elif ServiceLevelAgreement.objects.filter(code=code).exclude(pk=getattr(existing, "pk", None)).exists():
        errors["code"] = [_("Another agreement has this code.")]
    clean_targets: dict[int, tuple[int, int]] = {}
    for priority, (response, resolution) in targets.items():
        if int(priority) not in Priority.values:
            errors["targets"] = [_("Priorities are 1 to 4.")]
            continue
        pair = []
        for field, value in ((f"response_{priority}", response), (f"resolution_{priority}", resolution)):
            try:
                minutes = int(value)
            except (TypeError, ValueError):
                errors[field] = [_("Enter whole minutes.")]
                continue
            if minutes < 1:
                errors[field] = [_("Enter at least 1 minute.")]
                continue
            pair.append(minutes)
        if len(pair) == 2:
            if pair[0] > pair[1]:
                errors[f"response_{priority}"] = [_("The response target cannot be longer than the resolution target.")]
            clean_targets[int(priority)] = (pair[0], pair[1])
    if not targets and not errors:
        errors["targets"] = [_("Give the targets of at least one priority.")]
    clean_thresholds: list[dict[str, Any]] = []
    seen: set[int] = set()
    for row in thresholds:
        try:
            percent = int(row.get("percent"))
        except (TypeError, ValueError):
            errors["thresholds"] = [_("A threshold is a whole percent from 1 to 100.")]
            continue
        if not 1 <= percent <= 100:
            errors["thresholds"] = [_("A threshold is a whole percent from 1 to 100.")]
            continue
        if percent in seen:
            errors["thresholds"] = [_("Each percent may appear once.")]
            continue
        seen.add(percent)
        clean_thresholds.append({"percent": percent, "notify_assignee": bool(row.get("notify_assignee", True)),
                                 "notify_group_lead": bool(row.get("notify_group_lead", True)),
                                 "notify_managers": bool(row.get("notify_managers", percent >= BREACH))})
    if errors:
        raise ValidationFailed(_("Some fields need your attention."), field_errors=errors)
    return clean_targets, sorted(clean_thresholds, key=lambda row: row["percent"])


def _agreement_snapshot(agreement: ServiceLevelAgreement) -> dict[str, Any]:
    return {
        "name": agreement.name, "name_en": agreement.name_en, "code": agreement.code,
        "calendar": agreement.calendar_id, "pause_on_customer": agreement.pause_on_customer,
        "pause_on_vendor": agreement.pause_on_vendor, "is_active": agreement.is_active,
        "targets": {str(t.priority): [t.response_minutes, t.resolution_minutes] for t in agreement.targets.all()},
        "thresholds": [[t.percent, t.notify_assignee, t.notify_group_lead, t.notify_managers]
                       for t in agreement.thresholds.all()],
    }


@transaction.atomic
def agreement_save(
    *,
    actor: User,
    agreement: ServiceLevelAgreement | None = None,
    name: str,
    code: str,
    name_en: str = "",
    description: str = "",
    calendar: BusinessCalendar | None = None,
    pause_on_customer: bool = True,
    pause_on_vendor: bool = False,
    is_active: bool = True,
    targets: dict[int, tuple[Any, Any]],
    thresholds: Iterable[dict[str, Any]] = (),
    services: Iterable[Service] | None = None,
) -> ServiceLevelAgreement:
    """Create (``agreement`` None) or replace an agreement with its targets per priority and its thresholds.

    ``targets`` maps a priority to (response minutes, resolution minutes); ``thresholds`` are dicts with
    ``percent`` and the ``notify_*`` flags. Clocks already running keep their targets until the record
    changes priority or is recomputed. ``services`` (when given): the services offered under it; those
    that were and are no longer listed are left with no agreement.
    """
    _require_admin(actor)
    targets, clean_thresholds = _validate_agreement(name=name, code=code, targets=targets, thresholds=thresholds,
                                                    existing=agreement)
    now = clock.now()
    if agreement is None:
        agreement = ServiceLevelAgreement(created_at=now)
        before: dict[str, Any] = {}
    else:
        agreement = ServiceLevelAgreement.objects.select_for_update().get(pk=agreement.pk)
        before = _agreement_snapshot(agreement)
        agreement.version += 1
    agreement.name, agreement.name_en, agreement.code = name.strip(), (name_en or "").strip(), code.strip()
    agreement.description = (description or "").strip()
    agreement.calendar = calendar
    agreement.pause_on_customer, agreement.pause_on_vendor = bool(pause_on_customer), bool(pause_on_vendor)
    agreement.is_active = bool(is_active)
    agreement.updated_at = now
    agreement.save()
    agreement.targets.exclude(priority__in=list(targets)).delete()
    for priority, (response, resolution) in targets.items():
        AgreementTarget.objects.update_or_create(agreement=agreement, priority=priority, defaults={
            "response_minutes": response, "resolution_minutes": resolution})
    agreement.thresholds.all().delete()
    AgreementThreshold.objects.bulk_create([AgreementThreshold(agreement=agreement, **row) for row in clean_thresholds])
    after = _agreement_snapshot(agreement)
    changes = {key: [before.get(key), value] for key, value in after.items() if before.get(key) != value}
    if services is not None:
        wanted = {service.pk: service for service in services}
        for link in list(agreement.service_links.select_related("service")):
            if link.service_id not in wanted:
                service_agreement_set(actor=actor, service=link.service, agreement=None)
        for service in wanted.values():
            service_agreement_set(actor=actor, service=service, agreement=agreement)
    audit_record(actor=actor, action="sla.agreement_created" if not before else "sla.agreement_updated",
                 subject=agreement, subject_type="sla_agreement", data={"changes": changes})
    return agreement


@transaction.atomic
def service_agreement_set(*, actor: User, service: Service, agreement: ServiceLevelAgreement | None) -> Service:
    """Offer ``service`` under ``agreement`` (None: under no agreement). New incidents of the service get
    clocks from then on; open ones keep theirs until recomputed."""
    _require_admin(actor)
    if agreement is not None and not agreement.is_active:
        raise _fail("agreement", _("This agreement is no longer active."))
    current = ServiceAgreement.objects.select_for_update().filter(service=service).first()
    old = current.agreement_id if current else None
    new = agreement.pk if agreement is not None else None
    if old == new:
        return service
    if agreement is None:
        current.delete()  # type: ignore[union-attr]
    else:
        ServiceAgreement.objects.update_or_create(service=service, defaults={"agreement": agreement})
    audit_record(actor=actor, action="sla.service_agreement_set", subject=service, subject_type="service",
                 data={"changes": {"agreement": [old, new]}})
    return service


@transaction.atomic
def operational_target_save(*, actor: User, group: SupportGroup, priority: int | None, target_minutes: Any,
                            calendar: BusinessCalendar | None = None) -> OperationalTarget:
    """Set how long a record may stay with ``group`` (for ``priority``, or any priority when None)."""
    _require_admin(actor)
    try:
        minutes = int(target_minutes)
    except (TypeError, ValueError):
        raise _fail("target_minutes", _("Enter whole minutes."))
    if minutes < 1:
        raise _fail("target_minutes", _("Enter at least 1 minute."))
    if priority not in (None, "") and int(priority) not in Priority.values:
        raise _fail("priority", _("Choose one of the listed values."))
    priority = int(priority) if priority not in (None, "") else None
    target, created = OperationalTarget.objects.update_or_create(
        group=group, priority=priority, defaults={"target_minutes": minutes, "calendar": calendar})
    audit_record(actor=actor, action="sla.operational_target_saved", subject=group, subject_type="support_group",
                 data={"priority": priority, "target_minutes": minutes, "calendar": getattr(calendar, "pk", None),
                       "created": created})
    return target


@transaction.atomic
def operational_target_delete(*, actor: User, target: OperationalTarget) -> None:
    _require_admin(actor)
    group = target.group
    data = {"priority": target.priority, "target_minutes": target.target_minutes}
    target.delete()
    audit_record(actor=actor, action="sla.operational_target_deleted", subject=group, subject_type="support_group",
                 data=data)


# Clock arithmetic -----------------------------------------------------------------------------------


def _percents(agreement_id: int) -> list[int]:
    """The thresholds of an agreement, with 100 % (the breach) always among them."""
    percents = set(AgreementThreshold.objects.filter(agreement_id=agreement_id).values_list("percent", flat=True))
    return sorted(percents | {BREACH})


def spec_of(c: IncidentClock) -> businesstime.CalendarSpec:
    """The clock's calendar spec; with the calendar row already loaded (lists prefetch it) and its spec
    current in the calendars cache, without a query."""
    calendar = c._state.fields_cache.get("calendar")
    if calendar is not None:
        return calendar_spec_of(calendar)
    return calendar_spec(c.calendar_id)


def _settle(c: IncidentClock, now: dt.datetime) -> None:
    """Count the business seconds since ``running_since`` into ``consumed_seconds``."""
    if c.running_since is not None and now > c.running_since:
        c.consumed_seconds += max(0, businesstime.business_seconds_between(spec_of(c), c.running_since, now))
        c.running_since = now
    if c.consumed_seconds > c.target_seconds and c.breached_at is None:
        c.breached_at = c.due_at or now  # it went overdue at its due time (the 100 % task may not have run yet)


def consumed_at(c: IncidentClock, now: dt.datetime) -> int:
    """Business seconds the clock has counted by ``now`` (stored seconds plus the running stretch)."""
    if c.running_since is None or now <= c.running_since:
        return c.consumed_seconds
    return c.consumed_seconds + max(0, businesstime.business_seconds_between(spec_of(c), c.running_since, now))


def _plan(c: IncidentClock, now: dt.datetime, percents: list[int] | None = None,
          fired: set[int] | None = None) -> None:
    """Set ``due_at`` and the next threshold from the stored state (no save)."""
    remaining = c.target_seconds - c.consumed_seconds
    if c.running_since is None:
        c.next_threshold_at = c.next_threshold_percent = None
        if c.stopped_at is None and remaining > 0:
            c.due_at = None  # paused before it went overdue: no due time until it runs again
        return
    spec = spec_of(c)
    if remaining > 0:
        c.due_at = businesstime.add_business_seconds(spec, c.running_since, remaining)
    elif c.due_at is None:
        c.due_at = c.breached_at or c.running_since
    percents = _percents(c.agreement_id) if percents is None else percents
    if fired is None:
        fired = set(c.firings.values_list("percent", flat=True)) if c.pk else set()
    pending = [p for p in percents if p not in fired]
    if not pending:
        c.next_threshold_at = c.next_threshold_percent = None
        return
    percent = pending[0]
    needed = percent_seconds(c.target_seconds, percent) - c.consumed_seconds
    c.next_threshold_percent = percent
    c.next_threshold_at = (businesstime.add_business_seconds(spec, c.running_since, needed) if needed > 0
                           else c.running_since)


def _set_status(c: IncidentClock, status: str, now: dt.datetime, *, cancelled: bool = False) -> bool:
    """Move the clock to ``status`` at ``now``; False when it already had it."""
    current = STOPPED if c.stopped_at is not None else (PAUSED if c.paused else RUNNING)
    if status == current:
        return False
    _settle(c, now)
    if status == RUNNING:
        c.running_since, c.paused, c.stopped_at, c.met = now, False, None, None
    elif status == PAUSED:
        c.running_since, c.paused = None, True
    else:
        c.running_since, c.paused, c.stopped_at = None, False, now
        c.met = None if cancelled else c.consumed_seconds <= c.target_seconds
        if c.met is False and c.breached_at is None:
            c.breached_at = c.due_at or now
    return True


def _target_seconds(agreement_id: int, priority: int, kind: str) -> int | None:
    return _seconds_of(AgreementTarget.objects.filter(agreement_id=agreement_id, priority=priority).first(), kind)


def _seconds_of(target: AgreementTarget | None, kind: str) -> int | None:
    if target is None:
        return None
    minutes = target.response_minutes if kind == ClockKind.RESPONSE else target.resolution_minutes
    return minutes * 60


def _warn_percent(percents: list[int]) -> int:
    below = [p for p in percents if p < BREACH]
    return below[0] if below else BREACH


def _calendar_for(agreement: ServiceLevelAgreement, incident: Incident) -> BusinessCalendar | None:
    return agreement.calendar or calendar_for_organisation(incident.organisation)


# The incident hooks -------------------------------------------------------------------------------


def incident_clocks_start(*, incident: Incident, now: dt.datetime) -> list[IncidentClock]:
    """Start the response and resolution clocks of a new incident, if its service has an agreement with a
    target for its priority. Called by ``incident_create`` inside its transaction."""
    return incidents_clocks_start(incidents=[incident], now=now)[incident.pk]


def incidents_clocks_start(*, incidents: list[Incident], now: dt.datetime) -> dict[int, list[IncidentClock]]:
    """``incident_clocks_start`` for a batch of new incidents: the agreements, thresholds, targets and
    operational targets are read once for the batch, the clocks and group spans inserted in one statement
    each. Answers the clocks started, by incident id."""
    started: dict[int, list[IncidentClock]] = {incident.pk: [] for incident in incidents}
    links = {link.service_id: link.agreement for link in ServiceAgreement.objects.select_related(
        "agreement", "agreement__calendar").filter(service_id__in={i.service_id for i in incidents})}
    agreements = {a.pk: a for a in links.values() if a.is_active}
    percents_of: dict[int, set[int]] = {pk: {BREACH} for pk in agreements}
    for agreement_id, percent in AgreementThreshold.objects.filter(agreement_id__in=agreements).values_list(
            "agreement_id", "percent"):
        percents_of[agreement_id].add(percent)
    targets = {(t.agreement_id, t.priority): t for t in AgreementTarget.objects.filter(
        agreement_id__in=agreements, priority__in={i.priority for i in incidents})}
    calendars: dict[Any, BusinessCalendar | None] = {}
    clocks: list[IncidentClock] = []
    for incident in incidents:
        agreement = links.get(incident.service_id)
        if agreement is None or not agreement.is_active:
            continue
        key = agreement.calendar_id or ("organisation", incident.organisation_id)
        if key not in calendars:
            calendars[key] = _calendar_for(agreement, incident)
        calendar = calendars[key]
        if calendar is None:
            log.warning("incident %s: agreement %s has no calendar and no default calendar exists",
                        incident.number, agreement.code)
            continue
        percents = sorted(percents_of[agreement.pk])
        row = targets.get((agreement.pk, incident.priority))
        for kind in ClockKind.values:
            target = _seconds_of(row, kind)
            if target is None:
                continue
            c = IncidentClock(incident=incident, kind=kind, agreement=agreement, calendar=calendar,
                              target_seconds=target, warn_percent=_warn_percent(percents),
                              started_at=incident.created_at, running_since=incident.created_at)
            status = status_for(kind, incident.state, incident.pending_reason, agreement.pause_reasons)
            if status != RUNNING:
                _set_status(c, status, now)
            _plan(c, now, percents)
            started[incident.pk].append(c)
            clocks.append(c)
    IncidentClock.objects.bulk_create(clocks)
    _spans_open([i for i in incidents if i.assigned_group_id], now, agreements=links)
    return started


def _ref_id(value: Any) -> int | None:
    return value.get("id") if isinstance(value, dict) else value


def incident_changed(*, incident: Incident, before: dict[str, Any], now: dt.datetime) -> None:
    """Bring the clocks and group spans in line with a write of ``incident`` (``before``: the incident
    services' snapshot of tracked fields before it). Called inside the incident service's transaction."""
    if _ref_id(before.get("assigned_group")) != incident.assigned_group_id:
        _span_close(incident, now)
        if incident.assigned_group_id:
            _span_open(incident, now)
    else:
        _spans_pause_or_resume(incident, before, now)
    if _ref_id(before.get("service")) != incident.service_id or before.get("priority") != incident.priority:
        # Another agreement or another target: replay the record's history against it (rare, exact).
        _clocks_rebuild(incident, now)
        return
    clocks = list(IncidentClock.objects.select_for_update().filter(incident=incident).select_related("agreement"))
    for c in clocks:
        responded = c.kind == ClockKind.RESPONSE and c.stopped_at is not None
        status = status_for(c.kind, incident.state, incident.pending_reason, c.agreement.pause_reasons,
                            responded=responded)
        if _set_status(c, status, now, cancelled=incident.state == "cancelled"):
            _plan(c, now)
            c.save()


# Group spans (OLA) --------------------------------------------------------------------------------


def _span_pause_reasons(incident: Incident) -> frozenset[str]:
    """The pending reasons that pause the record's group spans: those of its service's agreement (none when
    the service has no active agreement), as for the resolution clock."""
    agreement = agreement_for_service(incident.service)
    return agreement.pause_reasons if agreement is not None and agreement.is_active else frozenset()


def _pauses(incident: Incident, pause_reasons: frozenset[str], until: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]:
    """The stretches up to ``until`` the record spent pending for one of ``pause_reasons`` (from its history)."""
    if not pause_reasons:
        return []
    out: list[tuple[dt.datetime, dt.datetime]] = []
    for part in segments(ClockKind.RESOLUTION, state_history(incident), pause_reasons, until=until):
        if part.status == PAUSED and (part.end or until) > part.start:
            out.append((part.start, part.end or until))
    return out


def _span_counted(span: GroupSpan, pauses: list[tuple[dt.datetime, dt.datetime]], until: dt.datetime) -> int:
    """Business seconds of ``span`` from its start to ``until``, less the stretches it was paused."""
    spec = calendar_spec(span.calendar_id)
    counted = businesstime.business_seconds_between(spec, span.started_at, until)
    for start, end in pauses:
        start, end = max(start, span.started_at), min(end, until)
        if end > start:
            counted -= businesstime.business_seconds_between(spec, start, end)
    return max(0, counted)


def _is_paused(state: str, pending_reason: str, pause_reasons: frozenset[str]) -> bool:
    return state == "pending" and (pending_reason or "") in pause_reasons


def _span_open(incident: Incident, now: dt.datetime) -> None:
    _spans_open([incident], now)


def _spans_open(incidents: list[Incident], now: dt.datetime,
                agreements: dict[int, ServiceLevelAgreement] | None = None) -> None:
    """Open a stay with its assigned group for each of ``incidents`` that has an operational target
    (``agreements``: the agreement by service id, when the caller has read them)."""
    if not incidents:
        return
    targets: dict[tuple[int, int | None], OperationalTarget] = {
        (t.group_id, t.priority): t for t in OperationalTarget.objects.select_related("calendar").filter(
            group_id__in={i.assigned_group_id for i in incidents})
    }
    spans: list[GroupSpan] = []
    organisation_calendars: dict[int, BusinessCalendar | None] = {}
    for incident in incidents:
        group_id = incident.assigned_group_id
        target = targets.get((group_id, incident.priority)) or targets.get((group_id, None))
        if target is None:
            continue
        calendar = target.calendar
        if calendar is None:
            if incident.organisation_id not in organisation_calendars:
                organisation_calendars[incident.organisation_id] = calendar_for_organisation(incident.organisation)
            calendar = organisation_calendars[incident.organisation_id]
        if calendar is None:
            continue
        seconds = target.target_minutes * 60
        if agreements is None:
            reasons = _span_pause_reasons(incident)
        else:
            agreement = agreements.get(incident.service_id)
            reasons = agreement.pause_reasons if agreement is not None and agreement.is_active else frozenset()
        paused = _is_paused(incident.state, incident.pending_reason, reasons)
        spans.append(GroupSpan(incident=incident, group_id=group_id, started_at=now, calendar=calendar,
                               target_seconds=seconds,
                               due_at=None if paused else businesstime.add_business_seconds(
                                   calendar_spec_of(calendar), now, seconds)))
    GroupSpan.objects.bulk_create(spans)


def _span_close(incident: Incident, now: dt.datetime) -> None:
    spans = list(GroupSpan.objects.filter(incident=incident, ended_at__isnull=True))
    if not spans:
        return
    pauses = _pauses(incident, _span_pause_reasons(incident), now)
    for span in spans:
        span.ended_at = now
        if span.calendar_id:
            span.business_seconds = _span_counted(span, pauses, now)
            span.met = span.target_seconds is None or span.business_seconds <= span.target_seconds
        span.save()


def _spans_pause_or_resume(incident: Incident, before: dict[str, Any], now: dt.datetime) -> None:
    """An open span has no due time while the record is pending for a reason its agreement names; when the
    record resumes, the span is due when the rest of its target has been counted from now."""
    reasons = _span_pause_reasons(incident)
    was = _is_paused(before.get("state") or "", before.get("pending_reason") or "", reasons)
    now_paused = _is_paused(incident.state, incident.pending_reason, reasons)
    if was == now_paused:
        return
    spans = list(GroupSpan.objects.filter(incident=incident, ended_at__isnull=True, calendar__isnull=False,
                                          target_seconds__isnull=False))
    if not spans:
        return
    pauses = _pauses(incident, reasons, now) if not now_paused else []
    for span in spans:
        if now_paused:
            span.due_at = None
        else:
            left = span.target_seconds - _span_counted(span, pauses, now)
            span.due_at = (businesstime.add_business_seconds(calendar_spec(span.calendar_id), now, left) if left > 0
                           else now)
        span.save(update_fields=["due_at"])


# Rebuilding from history ------------------------------------------------------------------------


def state_history(incident: Incident) -> list[StateChange]:
    """The record's states over time, from its audit entries (creation first)."""
    changes: list[StateChange] = []
    state, reason = "new", ""
    rows = AuditEntry.objects.filter(subject_type="incident", subject_id=incident.pk).order_by("id") \
        .values_list("at", "action", "data")
    for at, action, data in rows:
        data = data or {}
        if action == "incident.created":
            fields = data.get("fields") or {}
            state, reason = fields.get("state") or "new", fields.get("pending_reason") or ""
            changes.append(StateChange(at, state, reason))
            continue
        diff = data.get("changes") or {}
        if "state" not in diff and "pending_reason" not in diff:
            continue
        if "state" in diff:
            state = diff["state"][1]
        if "pending_reason" in diff:
            reason = diff["pending_reason"][1] or ""
        changes.append(StateChange(at, state, reason))
    if not changes:
        changes.append(StateChange(incident.created_at, incident.state, incident.pending_reason))
    elif changes[-1].state != incident.state or changes[-1].pending_reason != incident.pending_reason:
        changes.append(StateChange(clock.now(), incident.state, incident.pending_reason))
    return changes


def _replay(c: IncidentClock, history: list[StateChange], now: dt.datetime) -> None:
    """Set the clock's stored state as its history says, counted in its calendar against its target."""
    spec = calendar_spec(c.calendar_id)
    parts = segments(c.kind, history, c.agreement.pause_reasons, until=now)
    consumed, breached_at = 0, None
    c.running_since, c.paused, c.stopped_at, c.met = None, False, None, None
    for part in parts:
        end = part.end or now
        if part.status == RUNNING:
            seconds = max(0, businesstime.business_seconds_between(spec, part.start, end))
            if breached_at is None and consumed + seconds > c.target_seconds:
                breached_at = businesstime.add_business_seconds(spec, part.start, c.target_seconds - consumed)
            consumed += seconds
    last = parts[-1] if parts else None
    if last is not None and last.status == RUNNING:
        consumed -= max(0, businesstime.business_seconds_between(spec, last.start, last.end or now))
        c.running_since = last.start
    c.consumed_seconds = consumed
    c.breached_at = breached_at
    c.started_at = history[0].at if history else c.started_at
    if last is not None and last.status == PAUSED:
        c.paused = True
    elif last is not None and last.status == STOPPED:
        c.stopped_at = last.start
        c.met = None if last.state == "cancelled" else consumed <= c.target_seconds
    c.due_at = breached_at
    if c.due_at is None and c.stopped_at is not None:
        c.due_at = businesstime.add_business_seconds(spec, c.stopped_at, c.target_seconds - consumed)
    _plan(c, now)


def _clocks_rebuild(incident: Incident, now: dt.datetime) -> dict[str, list[Any]]:
    """Make the record's clocks what its current service, agreement, priority and calendar say, replayed
    over its state history. Returns {kind: [old due, new due]} for each clock whose due time changed."""
    existing = {c.kind: c for c in IncidentClock.objects.select_for_update().filter(incident=incident)
                .select_related("agreement")}
    agreement = agreement_for_service(incident.service)
    calendar = _calendar_for(agreement, incident) if agreement is not None and agreement.is_active else None
    history = state_history(incident)
    changes: dict[str, list[Any]] = {}
    for kind in ClockKind.values:
        c = existing.get(kind)
        target = _target_seconds(agreement.pk, incident.priority, kind) if calendar is not None else None
        old_due = c.due_at.isoformat() if c is not None and c.due_at else None
        if target is None:
            if c is not None:
                c.delete()
                changes[kind] = [old_due, None]
            continue
        if c is None:
            c = IncidentClock(incident=incident, kind=kind, started_at=incident.created_at)
        c.agreement, c.calendar, c.target_seconds = agreement, calendar, target
        c.warn_percent = _warn_percent(_percents(agreement.pk))
        _replay(c, history, now)
        c.save()
        new_due = c.due_at.isoformat() if c.due_at else None
        if new_due != old_due:
            changes[kind] = [old_due, new_due]
    return changes


@transaction.atomic
def incident_clocks_recompute(*, actor: User, incident: Incident | str) -> dict[str, list[Any]]:
    """An administrator rebuilds the record's clocks from its history after a calendar or agreement
    correction. Thresholds already fired stay fired; ones now passed fire on the scheduler's next pass.
    Audited as ``incident.sla_recomputed`` with each clock's old and new due time."""
    _require_admin(actor)
    number = incident.number if isinstance(incident, Incident) else incident
    locked = Incident.objects.select_for_update().filter(number=number).first()
    if locked is None:
        raise NotFound(_("Incident %(number)s does not exist.") % {"number": number})
    changes = _clocks_rebuild(locked, clock.now())
    audit_record(actor=actor, action="incident.sla_recomputed", subject=locked, data={"due": changes})
    return changes


# Thresholds ---------------------------------------------------------------------------------------


# The columns the pass reads (``_thresholds_reached``, ``_plan``, ``_save_plans``, the settle's breach mark) and
# the calendar's id and stamp (``spec_of``): fewer values to load than whole rows, at thousands of clocks.
_PLAN_FIELDS = ("id", "agreement_id", "calendar_id", "target_seconds", "consumed_seconds", "running_since",
                "stopped_at", "breached_at", "due_at", "next_threshold_at", "next_threshold_percent",
                "calendar__id", "calendar__stamp")


def _due_clocks(now: dt.datetime) -> list[IncidentClock]:
    """Up to ``PASS_BATCH`` clocks whose next threshold has passed, locked (others' locked ones skipped)."""
    return list(IncidentClock.objects.select_for_update(skip_locked=True, of=("self",)).select_related("calendar")
                .only(*_PLAN_FIELDS).filter(next_threshold_at__lte=now).order_by("next_threshold_at")[:PASS_BATCH])


def _thresholds_reached(due: list[IncidentClock], now: dt.datetime) -> tuple[
        list[ThresholdFiring], dict[int, list[int]], dict[int, set[int]]]:
    """The firings (unsaved, ``queued``) of every threshold of ``due`` reached by ``now`` and not yet
    recorded, with each agreement's percents and each clock's recorded percents (the new ones added)."""
    percents_by_agreement: dict[int, list[int]] = {}
    fired_by_clock: dict[int, set[int]] = {c.pk: set() for c in due}
    for clock_id, percent in ThresholdFiring.objects.filter(clock_id__in=list(fired_by_clock)) \
            .values_list("clock_id", "percent"):
        fired_by_clock[clock_id].add(percent)
    firings: list[ThresholdFiring] = []
    for c in due:
        if c.agreement_id not in percents_by_agreement:
            percents_by_agreement[c.agreement_id] = _percents(c.agreement_id)
        fired = fired_by_clock[c.pk]
        spec = spec_of(c)
        for percent in percents_by_agreement[c.agreement_id]:
            if percent in fired:
                continue
            needed = percent_seconds(c.target_seconds, percent) - c.consumed_seconds
            reached = (businesstime.add_business_seconds(spec, c.running_since, needed)
                       if needed > 0 and c.running_since is not None else c.running_since or now)
            if reached > now:
                break
            firings.append(ThresholdFiring(clock=c, percent=percent, reached_at=reached))
            fired.add(percent)
    return firings, percents_by_agreement, fired_by_clock


def clocks_settle_history(now: dt.datetime) -> int:
    """Record every threshold reached before ``now`` as already fired, without acting on it: for a database
    whose history was written all at once (the demo's sixty days of incidents), so that the scheduler's
    first pass does not notify, email and audit, all dated today, thresholds passed weeks ago.

    Like ``thresholds_enqueue_due`` it finds the clocks whose ``next_threshold_at`` has passed and inserts a
    ``ThresholdFiring`` per threshold reached, but ``done`` (``fired_at`` its ``reached_at``, never enqueued);
    a clock whose 100 % was reached gets its ``breached_at`` (the moment it was reached); each clock's next
    threshold moves on. No notification, no email, no audit entry: nothing happened at ``now`` that a
    person did or should hear of (entries dated in the past would also break the audit chain's time
    order). Afterwards ``thresholds_enqueue_due(now)`` finds nothing due. Returns the firings recorded.
    Not for a live installation: there a reached threshold must reach its people (the scheduler's pass).
    """
    recorded = 0
    while True:
        with transaction.atomic():
            due = _due_clocks(now)
            firings, percents_by_agreement, fired_by_clock = _thresholds_reached(due, now)
            breached: list[IncidentClock] = []
            for firing in firings:
                firing.status, firing.fired_at = FiringStatus.DONE, firing.reached_at
                c = firing.clock
                if firing.percent >= BREACH and c.breached_at is None:
                    c.breached_at = firing.reached_at
                    breached.append(c)
            ThresholdFiring.objects.bulk_create(firings, ignore_conflicts=True)
            IncidentClock.objects.bulk_update(breached, ["breached_at"], batch_size=200)
            for c in due:
                _plan(c, now, percents_by_agreement[c.agreement_id], fired_by_clock[c.pk])
            _save_plans(due)
            recorded += len(firings)
        if len(due) < PASS_BATCH:
            break
    return recorded


def thresholds_enqueue_due(now: dt.datetime | None = None) -> int:
    """The scheduler's pass: record every threshold reached by ``now`` and enqueue the task that acts on it.

    One indexed query finds the clocks whose stored ``next_threshold_at`` has passed (no walk over open
    incidents). For each, under the clock's row lock (``SKIP LOCKED`` on PostgreSQL, so a second scheduler
    passes over clocks the first holds), the pass inserts a ``ThresholdFiring`` (clock, percent) row per
    threshold reached — the unique constraint makes a second insert a no-op — and moves the clock's
    ``next_threshold_at`` on. Then every firing still ``queued`` that was never enqueued, or was enqueued
    longer than the lease ago (``OPSDESK_SLA_FIRING_LEASE_SECONDS``, its worker died or its job was lost),
    is stamped ``enqueued_at`` and, after commit, enqueued (the lease counts from when a worker claims the
    firing, ``firings_claim``; one enqueued and never claimed waits ``OPSDESK_SLA_FIRING_QUEUE_TIMEOUT_SECONDS``
    instead): one ``sla.tasks.fire_threshold`` per firing, or,
    past ``SINGLE_TASKS_UP_TO`` in one pass, ``sla.tasks.fire_thresholds`` per chunk of ``ENQUEUE_CHUNK``
    ids (each fired in its own transaction).

    Exactly once, with two schedulers and two workers: two passes never both insert a (clock, percent)
    row (unique constraint), and they may both enqueue the same firing at worst; the task acts only if its
    conditional UPDATE moves the firing from ``queued`` to ``done`` (see ``threshold_fire``), in the same
    transaction as its audit entry and notifications, so of two workers running it one acts and the other
    finds it done. A worker killed mid-chunk has committed the firings it finished and none of the one in
    hand: those left ``queued`` are enqueued again by the first pass after the lease. Returns the number of
    firings enqueued.
    """
    from .tasks import fire_threshold, fire_thresholds

    now = now or clock.now()
    while True:
        with transaction.atomic():
            due = _due_clocks(now)
            firings, percents_by_agreement, fired_by_clock = _thresholds_reached(due, now)
            _insert_firings(firings)
            for c in due:
                _plan(c, now, percents_by_agreement[c.agreement_id], fired_by_clock[c.pk])
            _save_plans(due)
        if len(due) < PASS_BATCH:
            break
    with transaction.atomic():
        ids = _lease_firings(now)
        if ids:
            if len(ids) <= SINGLE_TASKS_UP_TO:
                transaction.on_commit(lambda: [fire_threshold.enqueue(firing_id) for firing_id in ids])
            else:
                chunks = [ids[start:start + ENQUEUE_CHUNK] for start in range(0, len(ids), ENQUEUE_CHUNK)]
                transaction.on_commit(lambda: [fire_thresholds.enqueue(chunk) for chunk in chunks])
    return len(ids)


def _insert_firings(firings: list[ThresholdFiring]) -> None:
    """Insert the new firings, a (clock, percent) already there left alone: on PostgreSQL one
    ``INSERT … SELECT FROM unnest(…) ON CONFLICT DO NOTHING`` (no model instances saved one by one)."""
    if not firings:
        return
    if connection.vendor != "postgresql":
        ThresholdFiring.objects.bulk_create(firings, ignore_conflicts=True)
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO sla_thresholdfiring (clock_id, percent, reached_at, status) "
            "SELECT v.clock_id, v.percent, v.reached_at, %s FROM unnest(%s::bigint[], %s::smallint[], "
            "%s::timestamptz[]) AS v(clock_id, percent, reached_at) ON CONFLICT DO NOTHING",
            [FiringStatus.QUEUED, [f.clock_id for f in firings], [f.percent for f in firings],
             [f.reached_at for f in firings]],
        )


def _lease_firings(now: dt.datetime) -> list[int]:
    """Stamp ``enqueued_at = now`` (and clear ``started_at``) on every firing still ``queued`` that was never
    enqueued, was claimed by a worker longer than the lease ago, or was enqueued longer than the queue
    timeout ago and never claimed; return their ids (in id order). On PostgreSQL one
    ``UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED) RETURNING id``."""
    lease_cutoff, queue_cutoff = now - firing_lease(), now - firing_queue_timeout()
    if connection.vendor != "postgresql":
        ids = list(ThresholdFiring.objects.select_for_update(skip_locked=True).filter(status=FiringStatus.QUEUED)
                   .filter(Q(enqueued_at__isnull=True) | Q(started_at__lt=lease_cutoff)
                           | Q(started_at__isnull=True, enqueued_at__lt=queue_cutoff)).values_list("id", flat=True))
        if ids:
            ThresholdFiring.objects.filter(id__in=ids).update(enqueued_at=now, started_at=None)
        return ids
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE sla_thresholdfiring SET enqueued_at = %s, started_at = NULL WHERE id IN (SELECT id "
            "FROM sla_thresholdfiring WHERE status = %s AND (enqueued_at IS NULL OR started_at < %s "
            "OR (started_at IS NULL AND enqueued_at < %s)) FOR UPDATE SKIP LOCKED) RETURNING id",
            [now, FiringStatus.QUEUED, lease_cutoff, queue_cutoff],
        )
        return sorted(row[0] for row in cursor.fetchall())


@transaction.atomic
def firings_claim(firing_ids: list[int]) -> int:
    """A worker starting a task claims its firings still ``queued`` (``started_at = now``) in a short
    transaction of its own, before acting on them: from then on the lease counts (a claimed firing not done
    after it is enqueued again); before, only the much longer queue timeout. Returns the firings claimed."""
    return ThresholdFiring.objects.filter(id__in=firing_ids, status=FiringStatus.QUEUED).update(
        started_at=clock.now())


def _save_plans(clocks: list[IncidentClock]) -> None:
    """Write the clocks' due time and next threshold: one ``UPDATE … FROM unnest(…)`` on PostgreSQL (Django's
    ``bulk_update`` builds a CASE WHEN per row and field, most of a pass's time at a thousand clocks)."""
    if not clocks:
        return
    if connection.vendor != "postgresql":
        IncidentClock.objects.bulk_update(clocks, ["next_threshold_at", "next_threshold_percent", "due_at"],
                                          batch_size=200)
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE sla_incidentclock AS c SET next_threshold_at = v.next_at, next_threshold_percent = v.percent, "
            "due_at = v.due FROM unnest(%s::bigint[], %s::timestamptz[], %s::smallint[], %s::timestamptz[]) "
            "AS v(id, next_at, percent, due) WHERE c.id = v.id",
            [[c.pk for c in clocks], [c.next_threshold_at for c in clocks],
             [c.next_threshold_percent for c in clocks], [c.due_at for c in clocks]],
        )


TICK = "thresholds_tick"
TICK_WAIT_SECONDS = 600  # a pass enqueued this long ago and never started is taken as lost: enqueue another


@transaction.atomic
def tick_mark_enqueued(now: dt.datetime | None = None) -> bool:
    """Before the scheduler enqueues the tick: mark it waiting and return True, unless one is still waiting
    (enqueued less than ``TICK_WAIT_SECONDS`` ago and not started): then False, and nothing is enqueued. The
    tick runs in the same queue as the fire tasks; without this a queue slow to drain would gather a pass
    every 30 s, each repeating the last one's work."""
    now = now or clock.now()
    marker, _ = TickMarker.objects.select_for_update().get_or_create(name=TICK)
    if marker.enqueued_at is not None and marker.enqueued_at > now - dt.timedelta(seconds=TICK_WAIT_SECONDS):
        return False
    marker.enqueued_at = now
    marker.save(update_fields=["enqueued_at"])
    return True


def tick_mark_started() -> None:
    """The tick's task clears the mark when it starts: from then on the scheduler may enqueue the next one
    (at most one waits while one runs)."""
    TickMarker.objects.filter(name=TICK).update(enqueued_at=None)


REPLAN_CHUNK = 2000  # clocks one transaction of a calendar re-plan handles
REPLAN_BUDGET_SECONDS = 10.0  # re-planning one tick does before its pass runs; the next tick goes on


def _replan_clocks(clocks: list[IncidentClock], now: dt.datetime, percents: dict[int, list[int]]) -> None:
    """Plan ``clocks`` (locked, running) in their calendar as it is now and write them: the agreements'
    percents once each, the recorded percents of all of them with one query, one bulk UPDATE."""
    fired: dict[int, set[int]] = {c.pk: set() for c in clocks}
    for clock_id, percent in ThresholdFiring.objects.filter(clock_id__in=list(fired)).values_list("clock_id", "percent"):
        fired[clock_id].add(percent)
    for c in clocks:
        if c.agreement_id not in percents:
            percents[c.agreement_id] = _percents(c.agreement_id)
        _plan(c, now, percents[c.agreement_id], fired[c.pk])
    _save_plans(clocks)


def _replan_chunk(calendar_id: int, after_id: int, now: dt.datetime,
                  percents: dict[int, list[int]]) -> tuple[int | None, int]:
    """Re-plan the next ``REPLAN_CHUNK`` running clocks of the calendar after id ``after_id``; returns the last
    id of the chunk (None: none left) and the clocks re-planned. Clocks another transaction holds (an incident being updated) are
    skipped in the chunk's transaction, then each locked and re-planned on its own (waiting for that lock
    only, so no deadlock with the incident services): every clock of the chunk is re-planned."""
    running = IncidentClock.objects.filter(calendar_id=calendar_id, running_since__isnull=False)
    ids = list(running.filter(id__gt=after_id).order_by("id").values_list("id", flat=True)[:REPLAN_CHUNK])
    if not ids:
        return None, 0
    with transaction.atomic():
        locked = list(IncidentClock.objects.select_for_update(skip_locked=True, of=("self",))
                      .select_related("calendar").filter(id__in=ids, running_since__isnull=False))
        _replan_clocks(locked, now, percents)
    count = len(locked)
    for clock_id in sorted(set(ids) - {c.pk for c in locked}):
        with transaction.atomic():
            held = list(IncidentClock.objects.select_for_update(of=("self",)).select_related("calendar")
                        .filter(pk=clock_id, running_since__isnull=False))
            _replan_clocks(held, now, percents)
        count += len(held)
    return ids[-1], count


def clocks_replan_changed_calendars(now: dt.datetime | None = None, *, budget_seconds: float | None = None) -> int:
    """Re-plan the running clocks of every calendar edited since they were last planned (the scheduler calls
    it before each pass). A clock keeps the business seconds it had counted when it last started running;
    the due time and next threshold are counted on from there in the calendar as it is now. (For a recount
    of the whole history after a correction, an administrator recomputes the record.)

    In chunks of ``REPLAN_CHUNK`` clocks by id, each in its own transaction, for at most ``budget_seconds``
    (``REPLAN_BUDGET_SECONDS``) per call, so the tick's pass still runs every tick after an edit of a calendar
    100,000 clocks count in: the watermark keeps the stamp being planned in and the last clock id done, and
    the next call goes on from there (an edit in between starts over in the newer version). The calendar is
    recorded as planned only when every running clock of it has been re-planned. Returns the clocks
    re-planned. Two schedulers doing it at once write the same values."""
    now = now or clock.now()
    budget = REPLAN_BUDGET_SECONDS if budget_seconds is None else budget_seconds
    started = time.monotonic()
    marks = {m.calendar_id: m for m in CalendarWatermark.objects.all()}
    percents: dict[int, list[int]] = {}
    replanned = 0
    for calendar_id, stamp in BusinessCalendar.objects.values_list("id", "stamp"):
        mark = marks.get(calendar_id)
        if mark is None:  # a first sight only records the stamp: clocks were planned in it
            CalendarWatermark.objects.get_or_create(calendar_id=calendar_id, defaults={"stamp": stamp})
            continue
        if mark.stamp == stamp:
            continue
        if mark.replan_stamp != stamp:  # nothing done yet in this version (or an older re-plan interrupted)
            mark.replan_stamp, mark.replanned_up_to = stamp, 0
        while True:
            last_id, count = _replan_chunk(calendar_id, mark.replanned_up_to, now, percents)
            if last_id is None:
                CalendarWatermark.objects.filter(calendar_id=calendar_id).update(
                    stamp=stamp, replan_stamp=None, replanned_up_to=0)
                break
            replanned += count
            mark.replanned_up_to = last_id
            CalendarWatermark.objects.filter(calendar_id=calendar_id).update(
                replan_stamp=stamp, replanned_up_to=last_id)
            if time.monotonic() - started >= budget:  # the next call goes on from here
                return replanned
    return replanned


def _incident_managers(incident: Incident) -> list[int]:
    """The incident managers whose role covers the incident's organisation."""
    path = incident.organisation.path if incident.organisation_id else "/"
    ancestors = [int(part) for part in path.strip("/").split("/") if part.isdigit()]
    return list(RoleAssignment.objects.filter(role=Role.INCIDENT_MANAGER, user__is_active=True).filter(
        Q(organisation_id=incident.organisation_id) | Q(organisation_id__in=ancestors, include_descendants=True))
        .values_list("user_id", flat=True).distinct())


@transaction.atomic
def threshold_fire(*, firing_id: int) -> bool:
    """Act on one reached threshold: audit entry on the incident, notifications, breach mark at 100 %.

    Idempotent: the first statement is a conditional UPDATE ``queued → done`` of the firing row; it takes
    the row's lock, so a second worker running the same firing waits, then updates nothing and returns
    False. Everything else happens in the same transaction: a worker killed before commit leaves the firing
    ``queued`` for the scheduler to hand out again. A threshold a recompute moved beyond the clock's count
    (a longer target) is withdrawn (its row deleted) so it fires when it is really reached.
    """
    now = clock.now()
    if not ThresholdFiring.objects.filter(pk=firing_id, status=FiringStatus.QUEUED).update(
            status=FiringStatus.DONE, fired_at=now):
        return False
    firing = ThresholdFiring.objects.get(pk=firing_id)
    c = IncidentClock.objects.select_for_update(of=("self",)).select_related("incident__organisation",
                                                                 "incident__assigned_group").get(pk=firing.clock_id)
    if consumed_at(c, now) < percent_seconds(c.target_seconds, firing.percent):
        firing.delete()
        _plan(c, now)
        c.save(update_fields=["next_threshold_at", "next_threshold_percent", "due_at", "updated_at"])
        return False
    incident = c.incident
    rule = AgreementThreshold.objects.filter(agreement_id=c.agreement_id, percent=firing.percent).first()
    recipients: list[int | None] = []
    if rule is None or rule.notify_assignee:
        recipients.append(incident.assignee_id)
    if (rule is None or rule.notify_group_lead) and incident.assigned_group_id:
        recipients.append(incident.assigned_group.lead_id)
    breach = firing.percent >= BREACH
    if (rule is None and breach) or (rule is not None and rule.notify_managers):
        recipients += _incident_managers(incident)
    if breach and c.breached_at is None:
        c.breached_at = firing.reached_at
        c.save(update_fields=["breached_at", "updated_at"])
    data = {"clock": c.kind, "percent": firing.percent, "due_at": c.due_at.isoformat() if c.due_at else None}
    notify(recipients=recipients, kind="sla_breached" if breach else "sla_threshold", subject=incident,
           actor=None, data=data)
    audit_record(actor=None, action="incident.sla_breached" if breach else "incident.sla_threshold",
                 subject=incident, data={**data, "reached_at": firing.reached_at.isoformat(),
                                         "recipients": len({r for r in recipients if r})})
    return True

