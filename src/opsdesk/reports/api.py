"""API of the reports: man-hours and cost, SLA compliance, and the records behind each row."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router

from opsdesk.accounts.models import User
from opsdesk.core.errors import PermissionDenied
from opsdesk.core.pagination import clamp_limit, paginate

from . import selectors
from .periods import period_of
from .schemas import (
    DrillQuery,
    ManHourReportOut,
    ReportQuery,
    SlaDrillQuery,
    SlaRecordOut,
    SlaRecordPage,
    SlaReportOut,
    WorkLogLineOut,
    WorkLogLinePage,
    man_hour_row_out,
    sla_row_out,
)

router = Router(tags=["reports"])


def _reader(request: HttpRequest, may_see: Callable[[User], bool]) -> User:
    """The caller, if they may see this report at all: checked before the parameters, so someone without a
    scope is told 403 whatever they sent, never which parameter was wrong."""
    user: User = request.auth  # type: ignore[attr-defined]
    if not may_see(user):
        raise PermissionDenied(_("You may not see this report."))
    return user


def report_filter(user: User, query: ReportQuery) -> selectors.ReportFilter:
    return selectors.ReportFilter(
        period=period_of(user=user, month=query.month, month_from=query.month_from, month_to=query.month_to),
        service=query.service, organisation=query.organisation, group=query.group,
    )


@router.get("/reports/man-hours", response=ManHourReportOut,
            summary="Man-hours and cost per service, organisation, group, month or staff level")
def man_hours(request: HttpRequest, query: Query[ReportQuery]) -> ManHourReportOut:
    user = _reader(request, selectors.may_see_man_hours)
    group_by = selectors.check_group_by(query.group_by, selectors.MAN_HOUR_GROUP_BY)
    report = selectors.man_hour_report(user=user, group_by=group_by, filters=report_filter(user, query))
    return ManHourReportOut(group_by=report.group_by, rows=[man_hour_row_out(row) for row in report.rows],
                            total=man_hour_row_out(report.total))


@router.get("/reports/man-hours/worklogs", response=WorkLogLinePage, summary="The work logs behind one row")
def man_hour_worklogs(request: HttpRequest, query: Query[DrillQuery]) -> WorkLogLinePage:
    user = _reader(request, selectors.may_see_man_hours)
    group_by = selectors.check_group_by(query.group_by, selectors.MAN_HOUR_GROUP_BY)
    filters = report_filter(user, query)
    logs = selectors.man_hour_worklogs(user=user, group_by=group_by, key=query.key, filters=filters)
    rows, next_cursor = paginate(logs, cursor=query.cursor, limit=clamp_limit(query.limit))
    items = [
        WorkLogLineOut(id=line.log.pk, incident=line.log.incident.number, author=line.log.author_id,
                       author_name=str(line.log.author), minutes=line.log.minutes, created_at=line.log.created_at,
                       hourly_rate=line.hourly_rate, cost=line.cost, note=line.log.note)
        for line in selectors.priced(rows)
    ]
    return WorkLogLinePage(items=items, next_cursor=next_cursor)


@router.get("/reports/sla", response=SlaReportOut,
            summary="SLA compliance (met, breached, in progress) per service, group, organisation, priority or month")
def sla(request: HttpRequest, query: Query[ReportQuery]) -> SlaReportOut:
    user = _reader(request, selectors.may_see_sla)
    group_by = selectors.check_group_by(query.group_by, selectors.SLA_GROUP_BY)
    report = selectors.sla_report(user=user, group_by=group_by, filters=report_filter(user, query))
    return SlaReportOut(group_by=report.group_by, rows=[sla_row_out(row) for row in report.rows],
                        total=sla_row_out(report.total))


@router.get("/reports/sla/incidents", response=SlaRecordPage, summary="The incidents behind one cell")
def sla_incidents(request: HttpRequest, query: Query[SlaDrillQuery]) -> SlaRecordPage:
    user = _reader(request, selectors.may_see_sla)
    group_by = selectors.check_group_by(query.group_by, selectors.SLA_GROUP_BY)
    incidents = selectors.sla_records(user=user, group_by=group_by, key=query.key, filters=report_filter(user, query),
                                      kind=query.kind, status=query.status)
    rows, next_cursor = paginate(incidents, cursor=query.cursor, limit=clamp_limit(query.limit))
    items = [
        SlaRecordOut(number=row.number, title=row.title, state=row.state, priority=row.priority,
                     created_at=row.created_at, response=selectors.record_status(row, "response"),
                     resolution=selectors.record_status(row, "resolution"))
        for row in rows
    ]
    return SlaRecordPage(items=items, next_cursor=next_cursor)
