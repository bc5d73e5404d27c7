"""Reads of the sla app: agreements, the agreement of a service, an incident's clocks and their explanation."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from opsdesk.calendars import businesstime
from opsdesk.calendars.selectors import calendar_spec
from opsdesk.catalog.models import Service
from opsdesk.core import clock
from opsdesk.core.errors import NotFound
from opsdesk.incidents.choices import PendingReason

from .domain.clock import PAUSED, RUNNING, segments
from .models import (
    AgreementTarget,
    AgreementThreshold,
    ClockKind,
    GroupSpan,
    IncidentClock,
    OperationalTarget,
    ServiceAgreement,
    ServiceLevelAgreement,
)


def agreement_list(*, q: str = "", active_only: bool = False) -> QuerySet[ServiceLevelAgreement]:
    queryset = ServiceLevelAgreement.objects.select_related("calendar").prefetch_related(
        Prefetch("targets", queryset=AgreementTarget.objects.order_by("priority")),
        Prefetch("thresholds", queryset=AgreementThreshold.objects.order_by("percent")),
        Prefetch("service_links", queryset=ServiceAgreement.objects.select_related("service")),
    )
    if q:
        queryset = queryset.filter(Q(name__icontains=q) | Q(name_en__icontains=q) | Q(code__icontains=q))
    if active_only:
        queryset = queryset.filter(is_active=True)
    return queryset.order_by("code")


def agreement_get(*, agreement_id: int | str) -> ServiceLevelAgreement:
    agreement = agreement_list().filter(pk=agreement_id).first() if str(agreement_id).isdigit() else None
    if agreement is None:
        raise NotFound(_("No such service level agreement."))
    return agreement


def agreement_for_service(service: Service | None) -> ServiceLevelAgreement | None:
    """The agreement ``service`` is offered under, or None."""
    if service is None:
        return None
    link = ServiceAgreement.objects.select_related("agreement", "agreement__calendar") \
        .filter(service_id=service.pk).first()
    return link.agreement if link is not None else None


def operational_target_list() -> QuerySet[OperationalTarget]:
    return OperationalTarget.objects.select_related("group", "calendar").order_by("group__code", "priority")


# What a record shows -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClockView:
    """One clock as a page or the API shows it at ``now``."""

    clock: IncidentClock
    kind: str
    label: str
    due_at: dt.datetime | None
    remaining_seconds: int
    percent: int
    paused: bool
    stopped: bool
    met: bool | None
    breached: bool
    tone: str  # success | warning | danger | secondary

    @property
    def overdue(self) -> bool:
        return self.remaining_seconds < 0


def clock_view(c: IncidentClock, now: dt.datetime | None = None) -> ClockView:
    from .services import consumed_at

    now = now or clock.now()
    consumed = consumed_at(c, now)
    remaining = c.target_seconds - consumed
    percent = int(consumed * 100 // c.target_seconds) if c.target_seconds else 100
    stopped = c.stopped_at is not None
    breached = c.breached_at is not None or remaining < 0
    if stopped:
        tone = "success" if c.met else ("danger" if c.met is False else "secondary")
    elif breached:
        tone = "danger"
    elif percent >= c.warn_percent:
        tone = "warning"
    else:
        tone = "success"
    return ClockView(clock=c, kind=c.kind, label=str(ClockKind(c.kind).label), due_at=c.due_at,
                     remaining_seconds=remaining, percent=percent, paused=c.paused, stopped=stopped, met=c.met,
                     breached=breached, tone=tone)


def incident_clocks(incident) -> dict[str, IncidentClock]:  # noqa: ANN001 (an Incident; prefetched lists too)
    """The record's clocks by kind, read from the prefetch cache when the list prefetched them."""
    return {c.kind: c for c in incident.sla_clocks.all()}


def current_clock(incident) -> ClockView | None:  # noqa: ANN001
    """The clock that governs the record now: the response clock while it runs, else the resolution clock."""
    clocks = incident_clocks(incident)
    response, resolution = clocks.get(ClockKind.RESPONSE), clocks.get(ClockKind.RESOLUTION)
    if response is not None and response.stopped_at is None:
        return clock_view(response)
    if resolution is not None:
        return clock_view(resolution)
    return clock_view(response) if response is not None else None


def sla_summary(incident) -> dict | None:  # noqa: ANN001
    """The incident API's ``sla`` object: due times, verdicts, paused, business seconds left (null: no SLA)."""
    clocks = incident_clocks(incident)
    if not clocks:
        return None
    response, resolution = clocks.get(ClockKind.RESPONSE), clocks.get(ClockKind.RESOLUTION)
    governing = current_clock(incident)
    return {
        "response_due": response.due_at if response is not None else None,
        "resolution_due": resolution.due_at if resolution is not None else None,
        "response_met": response.met if response is not None else None,
        "resolution_met": resolution.met if resolution is not None else None,
        "paused": bool(resolution is not None and resolution.paused),
        "remaining_seconds": governing.remaining_seconds if governing is not None and not governing.stopped else None,
    }


# Explaining a clock -------------------------------------------------------------------------------


@dataclass
class ExplainedRow:
    start: dt.datetime
    end: dt.datetime
    counted: bool
    reason: str
    seconds: int = 0


@dataclass
class ExplainedClock:
    view: ClockView
    rows: list[ExplainedRow] = field(default_factory=list)
    counted_seconds: int = 0


def _calendar_reason(code: str, label: str) -> str:
    # Looked up at call time so the reader's language applies.
    texts = {
        "working": _("counted: working hours"),
        "outside_hours": _("not counted: outside working hours"),
        "weekend": _("not counted: weekend"),
        "holiday": _("not counted: holiday %(name)s") % {"name": label},
        "makeup_workday": _("counted: make-up working day %(name)s") % {"name": label},
        "no_holiday_data": _("counted: no holiday data for this year"),
    }
    return texts.get(code, code)


def _paused_reason(pending_reason: str) -> str:
    if pending_reason == PendingReason.CUSTOMER:
        return _("paused: pending on the customer")
    if pending_reason == PendingReason.VENDOR:
        return _("paused: pending on a vendor")
    return _("paused")


def incident_clock_explanation(incident, *, now: dt.datetime | None = None) -> list[ExplainedClock]:  # noqa: ANN001
    """Each clock's counted and paused stretches with the reason for each, from the record's state history
    and the calendar (``businesstime.explain``)."""
    from .services import state_history

    now = now or clock.now()
    history = state_history(incident)
    out = []
    for c in IncidentClock.objects.filter(incident=incident).select_related("agreement").order_by("kind"):
        spec = calendar_spec(c.calendar_id)
        explained = ExplainedClock(view=clock_view(c, now))
        for part in segments(c.kind, history, c.agreement.pause_reasons, until=now):
            end = part.end or now
            if part.status == RUNNING:
                for period in businesstime.explain(spec, part.start, end):
                    seconds = int((period.end - period.start).total_seconds()) if period.counted else 0
                    explained.rows.append(ExplainedRow(period.start, period.end, period.counted,
                                                       _calendar_reason(period.reason, period.label), seconds))
                    explained.counted_seconds += seconds
            elif part.status == PAUSED and end > part.start:
                explained.rows.append(ExplainedRow(part.start, end, False, _paused_reason(part.pending_reason)))
        explained.rows = _merged(explained.rows)
        out.append(explained)
    return out


def _merged(rows: list[ExplainedRow]) -> list[ExplainedRow]:
    """Adjacent stretches with the same verdict and reason as one row (a state change inside a night is
    no news to the reader)."""
    merged: list[ExplainedRow] = []
    for row in rows:
        last = merged[-1] if merged else None
        if last is not None and last.end == row.start and last.counted == row.counted and last.reason == row.reason:
            merged[-1] = ExplainedRow(last.start, row.end, last.counted, last.reason, last.seconds + row.seconds)
        else:
            merged.append(row)
    return merged


def incident_group_spans(incident) -> list[GroupSpan]:  # noqa: ANN001
    return list(GroupSpan.objects.filter(incident=incident).select_related("group").order_by("started_at", "id"))
