"""Report reads: man-hours and cost (工时核算) and SLA compliance, aggregated in the database, scoped to the reader.

Scope. A reader sees the figures of the incidents of the organisations where they hold the permission:
``incident.internal`` for man-hours (work logs are internal records, as on the incident page) and
``incident.view`` for SLA compliance. Unlike an incident list, a report does not add records a reader
sees only as requester, assignee, group member or watcher: a city's figures are that city's incidents.

Man-hours. Each work log counts ``minutes`` for its author. Its cost is minutes / 60 × the hourly rate, in
effect on the log's date (in the reader's zone), of the staff level the author was at on that date. Sums are taken in the
database over whole units (minutes × rate in fen), so costs are exact; a log whose author has no level,
or whose level had no rate yet on that date, counts as unpriced time (shown apart, cost 0).
Group: the support group the author worked in — the incident's assigned group when the author is one
of its members, else the author's first group (the cost belongs to the team whose member did the work,
not to whichever team holds the record today).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import (
    Count,
    Expression,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Cast, Coalesce, Round, TruncDate, TruncMonth
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from opsdesk.accounts.models import (
    GroupMembership,
    Organisation,
    StaffLevel,
    StaffLevelRate,
    SupportGroup,
    User,
    UserStaffLevel,
)
from opsdesk.accounts.roles import Permission as P
from opsdesk.accounts.selectors import organisation_ids_where
from opsdesk.catalog.models import Service
from opsdesk.core import clock
from opsdesk.core.errors import PermissionDenied, ValidationFailed
from opsdesk.incidents.choices import Priority
from opsdesk.incidents.models import Incident, WorkLog
from opsdesk.sla.models import IncidentClock
from opsdesk.ui.naming import localized_name

from .periods import Period, month_label, next_month, parse_month

CENT = Decimal("0.01")
NO_KEY = "none"  # the key of the row for logs/records without a service, group, level …

MAN_HOUR_GROUP_BY = {
    "service": gettext_lazy("Service"),
    "organisation": gettext_lazy("Organisation"),
    "group": gettext_lazy("Support group"),
    "month": gettext_lazy("Month"),
    "level": gettext_lazy("Staff level"),
}
SLA_GROUP_BY = {
    "service": gettext_lazy("Service"),
    "group": gettext_lazy("Support group"),
    "organisation": gettext_lazy("Organisation"),
    "priority": gettext_lazy("Priority"),
    "month": gettext_lazy("Month"),
}


def check_group_by(value: str | None, allowed: dict[str, Any], default: str = "service") -> str:
    value = (value or "").strip() or default
    if value not in allowed:
        raise ValidationFailed(_("The grouping is not valid."), field_errors={
            "group_by": [_("Choose one of: %(expected)s.") % {"expected": ", ".join(allowed)}]})
    return value


def _scope(user: User, permission: str) -> list[int]:
    org_ids = organisation_ids_where(user, permission)
    if not org_ids:
        raise PermissionDenied(_("You may not see this report."))
    return sorted(org_ids)


def may_see_man_hours(user: User) -> bool:
    return bool(organisation_ids_where(user, P.INCIDENT_INTERNAL))


def may_see_sla(user: User) -> bool:
    return bool(organisation_ids_where(user, P.INCIDENT_VIEW))


@dataclass(frozen=True)
class ReportFilter:
    """What both reports filter by: a period, a service, an organisation (and those below it), a group."""

    period: Period
    service: int | None = None
    organisation: int | None = None
    group: int | None = None


def _organisation_subtree(organisation_id: int) -> Q:
    organisation = Organisation.objects.filter(pk=organisation_id).only("path").first()
    if organisation is None:
        raise ValidationFailed(_("No such organisation."), field_errors={"organisation": [_("No such organisation.")]})
    return Q(path__startswith=organisation.path)


def _key_text(value: Any, zone: ZoneInfo) -> str:
    """The key of a group as the API and the drill-down links carry it: an id, a ``YYYY-MM``, or ``none``."""
    if value is None:
        return NO_KEY
    if isinstance(value, dt.datetime):
        return month_label(value.astimezone(zone).date())
    if isinstance(value, dt.date):
        return month_label(value)
    return str(value)


def _labels(group_by: str, keys: Iterable[Any]) -> dict[Any, str]:
    ids = [k for k in keys if isinstance(k, int)]
    models: dict[str, Any] = {"service": Service, "organisation": Organisation, "group": SupportGroup,
                              "level": StaffLevel}
    if group_by in models:
        return {obj.pk: localized_name(obj) for obj in models[group_by].objects.filter(pk__in=ids)}
    if group_by == "priority":
        return {value: str(label) for value, label in Priority.choices}
    return {}


def _none_label(group_by: str) -> str:
    return {
        "service": _("No service"), "organisation": _("No organisation"), "group": _("No group"),
        "level": _("No staff level"), "priority": _("No priority"), "month": _("No month"),
    }[group_by]


# Man-hours ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ManHourRow:
    key: str
    label: str
    logs: int
    minutes: int
    unpriced_minutes: int
    minute_fen: int  # Σ minutes × rate in fen: the exact cost is minute_fen / 6000 yuan

    @property
    def hours(self) -> Decimal:
        return (Decimal(self.minutes) / 60).quantize(CENT, rounding=ROUND_HALF_UP)

    @property
    def unpriced_hours(self) -> Decimal:
        return (Decimal(self.unpriced_minutes) / 60).quantize(CENT, rounding=ROUND_HALF_UP)

    @property
    def cost(self) -> Decimal:
        return (Decimal(self.minute_fen) / 6000).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class ManHourReport:
    group_by: str
    rows: list[ManHourRow]
    total: ManHourRow
    filters: ReportFilter


def _level_on(day: str) -> Subquery:
    """The author's staff level in effect on ``day`` (NULL before their first level, or when set to none)."""
    levels = (
        UserStaffLevel.objects.filter(user_id=OuterRef("author_id"), effective_from__lte=OuterRef(day))
        .order_by("-effective_from").values("level_id")[:1]
    )
    return Subquery(levels, output_field=IntegerField())


def _rate_fen(day: Expression | str) -> Subquery:
    """The author's level rate in fen (integer) in effect on ``day``; NULL without a level or a rate yet."""
    rates = (
        StaffLevelRate.objects.filter(level_id=OuterRef("author_level"), effective_from__lte=OuterRef(day))
        .order_by("-effective_from")
        .annotate(fen=Cast(Round(F("hourly_rate") * 100), IntegerField()))
        .values("fen")[:1]
    )
    return Subquery(rates, output_field=IntegerField())


def _work_group() -> Coalesce:
    """The group the author worked in: the incident's group if the author is a member, else their first group."""
    in_incident_group = GroupMembership.objects.filter(user_id=OuterRef("author_id"),
                                                       group_id=OuterRef("incident_group")).values("group_id")[:1]
    first_group = GroupMembership.objects.filter(user_id=OuterRef("author_id")).order_by("group_id").values("group_id")[:1]
    return Coalesce(Subquery(in_incident_group, output_field=IntegerField()),
                    Subquery(first_group, output_field=IntegerField()), output_field=IntegerField())


def worklogs_in_scope(*, user: User, filters: ReportFilter) -> QuerySet[WorkLog]:
    """The work logs the report counts, annotated with ``log_day``, ``rate_fen`` and ``work_group``."""
    org_ids = _scope(user, P.INCIDENT_INTERNAL)
    zone = filters.period.zone
    queryset = (
        WorkLog.objects.filter(incident__organisation_id__in=org_ids, **filters.period.filter_kwargs("created_at"))
        .annotate(log_day=TruncDate("created_at", tzinfo=zone), incident_group=F("incident__assigned_group_id"))
        .annotate(author_level=_level_on("log_day"))
        .annotate(rate_fen=_rate_fen("log_day"), work_group=_work_group())
    )
    if filters.service:
        queryset = queryset.filter(incident__service_id=filters.service)
    if filters.organisation:
        subtree = Organisation.objects.filter(_organisation_subtree(filters.organisation)).values("id")
        queryset = queryset.filter(incident__organisation_id__in=subtree)
    if filters.group:
        queryset = queryset.filter(work_group=filters.group)
    return queryset


def _man_hour_key(group_by: str, zone: ZoneInfo) -> Expression:
    return {
        "service": F("incident__service_id"),
        "organisation": F("incident__organisation_id"),
        "group": F("work_group"),
        "level": F("author_level"),
        "month": TruncMonth("created_at", tzinfo=zone),
    }[group_by]


# Named apart from the model's fields: an aggregate called "minutes" would shadow the column in the others.
_MAN_HOUR_SUMS = {
    "sum_logs": Count("id"),
    "sum_minutes": Coalesce(Sum("minutes"), 0),
    "sum_unpriced_minutes": Coalesce(Sum("minutes", filter=Q(rate_fen__isnull=True)), 0),
    "sum_minute_fen": Coalesce(Sum(F("minutes") * Coalesce(F("rate_fen"), 0), output_field=IntegerField()), 0),
}


def _man_hour_row(key: str, label: str, values: dict[str, Any]) -> ManHourRow:
    return ManHourRow(key=key, label=label, logs=int(values["sum_logs"]), minutes=int(values["sum_minutes"]),
                      unpriced_minutes=int(values["sum_unpriced_minutes"]), minute_fen=int(values["sum_minute_fen"]))


def man_hour_report(*, user: User, group_by: str, filters: ReportFilter) -> ManHourReport:
    """Man-hours and cost per ``group_by`` (service, organisation, group, month, level), with a total row."""
    group_by = check_group_by(group_by, MAN_HOUR_GROUP_BY)
    zone = filters.period.zone
    queryset = worklogs_in_scope(user=user, filters=filters)
    grouped = list(
        queryset.annotate(report_key=_man_hour_key(group_by, zone)).values("report_key")
        .annotate(**_MAN_HOUR_SUMS).order_by("report_key")
    )
    labels = _labels(group_by, [row["report_key"] for row in grouped])
    rows = []
    for row in grouped:
        key = _key_text(row["report_key"], zone)
        if row["report_key"] is None:
            label = _none_label(group_by)
        else:
            label = labels.get(row["report_key"], key)
        rows.append(_man_hour_row(key, label, row))
    if group_by != "month":
        rows.sort(key=lambda r: (r.key == NO_KEY, -r.minute_fen, -r.minutes, r.label))
    # Every log is in exactly one row: the total is the sum of the rows' whole units (exact, no re-rounding).
    total = _man_hour_row("total", _("Total"), {name: sum(row[name] for row in grouped) for name in _MAN_HOUR_SUMS})
    return ManHourReport(group_by=group_by, rows=rows, total=total, filters=filters)


def _key_filter(group_by: str, key: str, zone: ZoneInfo, fields: dict[str, str], field_name: str = "key") -> Q:
    """The condition that selects the records of one report row (the drill-down)."""
    key = (key or "").strip()
    if group_by == "month":
        first = parse_month(key, field_name)
        if first is None:
            raise ValidationFailed(_("Say which row to open."), field_errors={field_name: [_("This field is required.")]})
        start = dt.datetime.combine(first, dt.time(), tzinfo=zone)
        end = dt.datetime.combine(next_month(first), dt.time(), tzinfo=zone)
        return Q(**{f"{fields['month']}__gte": start, f"{fields['month']}__lt": end})
    target = fields[group_by]
    if key == NO_KEY:
        return Q(**{f"{target}__isnull": True})
    if not key.isdigit():
        raise ValidationFailed(_("The row is not valid."), field_errors={field_name: [_("Not a row of this report.")]})
    return Q(**{target: int(key)})


@dataclass(frozen=True)
class WorkLogLine:
    """One work log of a drill-down, with its price."""

    log: WorkLog
    rate_fen: int | None
    level: StaffLevel | None = None  # the author's level on the log's date

    @property
    def hours(self) -> Decimal:
        return (Decimal(self.log.minutes) / 60).quantize(CENT, rounding=ROUND_HALF_UP)

    @property
    def hourly_rate(self) -> Decimal | None:
        return None if self.rate_fen is None else (Decimal(self.rate_fen) / 100).quantize(CENT)

    @property
    def cost(self) -> Decimal:
        if self.rate_fen is None:
            return Decimal("0.00")
        return (Decimal(self.log.minutes * self.rate_fen) / 6000).quantize(CENT, rounding=ROUND_HALF_UP)


MAN_HOUR_KEY_FIELDS = {
    "service": "incident__service_id", "organisation": "incident__organisation_id", "group": "work_group",
    "level": "author_level", "month": "created_at",
}


def man_hour_worklogs(*, user: User, group_by: str, key: str, filters: ReportFilter) -> QuerySet[WorkLog]:
    """The work logs behind one row of the man-hour report (newest first); each has ``rate_fen``."""
    group_by = check_group_by(group_by, MAN_HOUR_GROUP_BY)
    queryset = worklogs_in_scope(user=user, filters=filters)
    queryset = queryset.filter(_key_filter(group_by, key, filters.period.zone, MAN_HOUR_KEY_FIELDS))
    return queryset.select_related("author", "incident", "incident__service",
                                   "incident__organisation").order_by("-id")


def priced(logs: Iterable[WorkLog]) -> list[WorkLogLine]:
    """Work logs read through ``worklogs_in_scope`` with their rate and the level they were priced at."""
    logs = list(logs)
    level_ids = {getattr(log, "author_level", None) for log in logs} - {None}
    levels = StaffLevel.objects.in_bulk(sorted(level_ids)) if level_ids else {}
    return [WorkLogLine(log=log, rate_fen=getattr(log, "rate_fen", None), level=levels.get(getattr(log, "author_level", None)))
            for log in logs]


# SLA compliance ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Compliance:
    met: int = 0
    breached: int = 0
    in_progress: int = 0

    @property
    def decided(self) -> int:
        return self.met + self.breached

    @property
    def percent(self) -> Decimal | None:
        """met / (met + breached) in per cent, one decimal; None while nothing is decided."""
        if not self.decided:
            return None
        return (Decimal(self.met) * 100 / self.decided).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class SlaRow:
    key: str
    label: str
    records: int
    response: Compliance = field(default_factory=Compliance)
    resolution: Compliance = field(default_factory=Compliance)

    @property
    def parts(self) -> list[tuple[str, Compliance]]:
        return [("response", self.response), ("resolution", self.resolution)]


@dataclass(frozen=True)
class SlaReport:
    group_by: str
    rows: list[SlaRow]
    total: SlaRow
    filters: ReportFilter


SLA_STATUSES = ("met", "breached", "in_progress")
CLOCK_KINDS = ("response", "resolution")


def clock_status_q(status: str, now: dt.datetime) -> Q:
    """A clock's status as the report counts it.

    met: stopped within its target. breached: stopped late, or not stopped and past its due time (whether or
    not the scheduler has marked ``breached_at`` yet). in progress: not stopped and not yet due (running or
    paused). Clocks of cancelled records (stopped, neither met nor missed) are left out of the report.
    """
    if status == "met":
        return Q(met=True)
    if status == "breached":
        return Q(met=False) | Q(met__isnull=True, stopped_at__isnull=True) & (
            Q(breached_at__isnull=False) | Q(due_at__lt=now))
    return Q(met__isnull=True, stopped_at__isnull=True, breached_at__isnull=True) & (
        Q(due_at__isnull=True) | Q(due_at__gte=now))


SLA_KEY_FIELDS = {
    "service": "incident__service_id", "organisation": "incident__organisation_id",
    "group": "incident__assigned_group_id", "priority": "incident__priority", "month": "incident__created_at",
}


def clocks_in_scope(*, user: User, filters: ReportFilter) -> QuerySet[IncidentClock]:
    """The response and resolution clocks of the incidents in the reader's scope, reported in the period."""
    org_ids = _scope(user, P.INCIDENT_VIEW)
    queryset = IncidentClock.objects.filter(
        kind__in=CLOCK_KINDS, incident__organisation_id__in=org_ids,
        **filters.period.filter_kwargs("incident__created_at"),
    ).exclude(stopped_at__isnull=False, met__isnull=True)  # cancelled records: no verdict either way
    if filters.service:
        queryset = queryset.filter(incident__service_id=filters.service)
    if filters.organisation:
        subtree = Organisation.objects.filter(_organisation_subtree(filters.organisation)).values("id")
        queryset = queryset.filter(incident__organisation_id__in=subtree)
    if filters.group:
        queryset = queryset.filter(incident__assigned_group_id=filters.group)
    return queryset


def _sla_key(group_by: str, zone: ZoneInfo) -> Expression:
    if group_by == "month":
        return TruncMonth("incident__created_at", tzinfo=zone)
    return F(SLA_KEY_FIELDS[group_by])


def _sla_counts(now: dt.datetime) -> dict[str, Any]:
    counts: dict[str, Any] = {"records": Count("incident_id", distinct=True)}
    for kind in CLOCK_KINDS:
        for status in SLA_STATUSES:
            counts[f"{kind}_{status}"] = Count("id", filter=Q(kind=kind) & clock_status_q(status, now))
    return counts


def _sla_row(key: str, label: str, values: dict[str, Any]) -> SlaRow:
    def part(kind: str) -> Compliance:
        return Compliance(**{status: int(values[f"{kind}_{status}"]) for status in SLA_STATUSES})

    return SlaRow(key=key, label=label, records=int(values["records"]), response=part("response"),
                  resolution=part("resolution"))


def sla_report(*, user: User, group_by: str, filters: ReportFilter) -> SlaReport:
    """Met / breached / in progress per ``group_by``, for the response and the resolution clocks."""
    group_by = check_group_by(group_by, SLA_GROUP_BY)
    zone = filters.period.zone
    now = clock.now()
    queryset = clocks_in_scope(user=user, filters=filters)
    grouped = list(queryset.annotate(report_key=_sla_key(group_by, zone)).values("report_key")
                   .annotate(**_sla_counts(now)).order_by("report_key"))
    labels = _labels(group_by, [row["report_key"] for row in grouped])
    rows = []
    for row in grouped:
        key = _key_text(row["report_key"], zone)
        label = _none_label(group_by) if row["report_key"] is None else labels.get(row["report_key"], key)
        rows.append(_sla_row(key, label, row))
    if group_by not in {"month", "priority"}:
        rows.sort(key=lambda r: (r.key == NO_KEY, -r.records, r.label))
    # Every record is in exactly one row (its service, group … or month): the total is the rows' sum.
    total = _sla_row("total", _("Total"), {name: sum(row[name] for row in grouped) for name in _sla_counts(now)})
    return SlaReport(group_by=group_by, rows=rows, total=total, filters=filters)


def sla_records(*, user: User, group_by: str, key: str, filters: ReportFilter, kind: str = "resolution",
                status: str = "") -> QuerySet[Incident]:
    """The incidents behind one cell of the SLA report (newest first), each with its clocks prefetched."""
    group_by = check_group_by(group_by, SLA_GROUP_BY)
    if kind not in CLOCK_KINDS:
        raise ValidationFailed(_("The clock is not valid."), field_errors={
            "kind": [_("Choose one of: %(expected)s.") % {"expected": ", ".join(CLOCK_KINDS)}]})
    if status and status not in SLA_STATUSES:
        raise ValidationFailed(_("The status is not valid."), field_errors={
            "status": [_("Choose one of: %(expected)s.") % {"expected": ", ".join(SLA_STATUSES)}]})
    clocks = clocks_in_scope(user=user, filters=filters).filter(kind=kind)
    if key != "total":
        clocks = clocks.filter(_key_filter(group_by, key, filters.period.zone, SLA_KEY_FIELDS))
    if status:
        clocks = clocks.filter(clock_status_q(status, clock.now()))
    return (Incident.objects.filter(pk__in=clocks.values("incident_id"))
            .select_related("service", "organisation", "assigned_group", "assignee")
            .prefetch_related("sla_clocks").order_by("-id"))


def record_status(incident: Incident, kind: str, now: dt.datetime | None = None) -> str:
    """The status of ``incident``'s clock of ``kind`` as the report counts it (see ``clock_status_q``);
    "" without a clock or for a cancelled record."""
    found = next((c for c in incident.sla_clocks.all() if c.kind == kind), None)
    if found is None:
        return ""
    now = now or clock.now()
    if found.met is not None:
        return "met" if found.met else "breached"
    if found.stopped_at is not None:
        return ""
    if found.breached_at is not None or (found.due_at is not None and found.due_at < now):
        return "breached"
    return "in_progress"

