"""Report pages: man-hours and SLA compliance, their drill-downs and Excel downloads. Parse, read, render."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from opsdesk.accounts.roles import Permission as P
from opsdesk.core import clock
from opsdesk.core.errors import DomainError
from opsdesk.core.pagination import paginate

from . import exports, selectors
from .forms import ReportForm

DRILL_PAGE = 100
EXPORT_LOG_LIMIT = 100_000  # work logs in the workbook's detail sheet


def _frame(request: HttpRequest) -> dict[str, Any]:
    """What every report page's frame needs: the layout, and which reports the tabs offer."""
    return {
        "base_template": "ui/workspace.html" if request.user.holds(P.INCIDENT_INTERNAL) else "ui/base.html",
        "may_see_man_hours": selectors.may_see_man_hours(request.user),
        "may_see_sla": selectors.may_see_sla(request.user),
    }


def _query_without(request: HttpRequest, *names: str, group_by: str = "") -> str:
    """The page's query string less ``names`` (and with the grouping actually shown)."""
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    if group_by:
        query["group_by"] = group_by
    return query.urlencode()


def _form(request: HttpRequest, group_by_choices: dict[str, Any]) -> tuple[ReportForm, int]:
    form = ReportForm(request.GET or None, user=request.user, group_by_choices=group_by_choices)
    status = 422 if request.GET and not form.is_valid() else 200
    return form, status


def _denied(request: HttpRequest, error: DomainError) -> HttpResponse:
    return render(request, "ui/error.html", {"status": error.status, "message": str(error.message)},
                  status=error.status)


def _download(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=exports.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_GET
def report_index(request: HttpRequest) -> HttpResponse:
    if selectors.may_see_man_hours(request.user):
        return redirect("ui:report_man_hours")
    return redirect("ui:report_sla")


# Man-hours ---------------------------------------------------------------------------------------------


@login_required
@require_GET
def man_hours(request: HttpRequest) -> HttpResponse:
    form, status = _form(request, selectors.MAN_HOUR_GROUP_BY)
    try:
        report = selectors.man_hour_report(user=request.user, group_by=form.grouping, filters=form.to_filter())
    except DomainError as error:
        return _denied(request, error)
    return render(request, "reports/man_hours.html", {
        **_frame(request), "form": form, "report": report,
        "query": _query_without(request, "key", "cursor", group_by=report.group_by),
        "group_label": selectors.MAN_HOUR_GROUP_BY[report.group_by],
    }, status=status)


@login_required
@require_GET
def man_hours_worklogs(request: HttpRequest) -> HttpResponse:
    form, status = _form(request, selectors.MAN_HOUR_GROUP_BY)
    key = request.GET.get("key", "")
    try:
        report = selectors.man_hour_report(user=request.user, group_by=form.grouping, filters=form.to_filter())
        logs = selectors.man_hour_worklogs(user=request.user, group_by=form.grouping, key=key,
                                           filters=form.to_filter())
        rows, next_cursor = paginate(logs, cursor=request.GET.get("cursor"), limit=DRILL_PAGE)
    except DomainError as error:
        return _denied(request, error)
    row = next((r for r in report.rows if r.key == key), None)
    return render(request, "reports/man_hours_worklogs.html", {
        **_frame(request), "form": form, "row": row, "key": key, "lines": selectors.priced(rows),
        "next_cursor": next_cursor, "query": _query_without(request, "key", "cursor"),
        "page_query": _query_without(request, "cursor"),
    }, status=status)


@login_required
@require_GET
def man_hours_export(request: HttpRequest) -> HttpResponse:
    form, status = _form(request, selectors.MAN_HOUR_GROUP_BY)
    if status != 200:
        return man_hours(request)
    try:
        report = selectors.man_hour_report(user=request.user, group_by=form.grouping, filters=form.to_filter())
        logs = selectors.worklogs_in_scope(user=request.user, filters=form.to_filter()).select_related(
            "author", "incident", "incident__service", "incident__organisation",
        ).order_by("created_at", "id")[:EXPORT_LOG_LIMIT]
    except DomainError as error:
        return _denied(request, error)
    stamp = clock.now().strftime("%Y%m%d")
    return _download(exports.man_hours_workbook(report, selectors.priced(logs)), f"man-hours-{stamp}.xlsx")


# SLA compliance ----------------------------------------------------------------------------------------


@login_required
@require_GET
def sla(request: HttpRequest) -> HttpResponse:
    form, status = _form(request, selectors.SLA_GROUP_BY)
    try:
        report = selectors.sla_report(user=request.user, group_by=form.grouping, filters=form.to_filter())
    except DomainError as error:
        return _denied(request, error)
    return render(request, "reports/sla.html", {
        **_frame(request), "form": form, "report": report,
        "query": _query_without(request, "key", "cursor", "kind", "status", group_by=report.group_by),
        "group_label": selectors.SLA_GROUP_BY[report.group_by],
    }, status=status)


@login_required
@require_GET
def sla_incidents(request: HttpRequest) -> HttpResponse:
    form, status = _form(request, selectors.SLA_GROUP_BY)
    key = request.GET.get("key", "")
    kind = request.GET.get("kind", "resolution")
    clock_status = request.GET.get("status", "")
    try:
        report = selectors.sla_report(user=request.user, group_by=form.grouping, filters=form.to_filter())
        incidents = selectors.sla_records(user=request.user, group_by=form.grouping, key=key,
                                          filters=form.to_filter(), kind=kind, status=clock_status)
        rows, next_cursor = paginate(incidents, cursor=request.GET.get("cursor"), limit=DRILL_PAGE)
    except DomainError as error:
        return _denied(request, error)
    row = report.total if key == "total" else next((r for r in report.rows if r.key == key), None)
    lines = [(incident, selectors.record_status(incident, "response"), selectors.record_status(incident, "resolution"))
             for incident in rows]
    return render(request, "reports/sla_incidents.html", {
        **_frame(request), "form": form, "row": row, "key": key, "kind": kind,
        "status": clock_status, "lines": lines, "next_cursor": next_cursor,
        "query": _query_without(request, "key", "cursor", "kind", "status"),
        "page_query": _query_without(request, "cursor"),
    }, status=status)


@login_required
@require_GET
def sla_export(request: HttpRequest) -> HttpResponse:
    form, status = _form(request, selectors.SLA_GROUP_BY)
    if status != 200:
        return sla(request)
    try:
        report = selectors.sla_report(user=request.user, group_by=form.grouping, filters=form.to_filter())
    except DomainError as error:
        return _denied(request, error)
    stamp = clock.now().strftime("%Y%m%d")
    return _download(exports.sla_workbook(report), f"sla-compliance-{stamp}.xlsx")
