"""Excel workbooks of the reports (openpyxl): headers in the reader's language, number formats, a totals row."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from io import BytesIO
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from opsdesk.ui.naming import localized_name

from .periods import Period, month_label
from .selectors import MAN_HOUR_GROUP_BY, SLA_GROUP_BY, Compliance, ManHourReport, SlaReport, WorkLogLine

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HOURS_FORMAT = "#,##0.00"
MONEY_FORMAT = "#,##0.00"
COUNT_FORMAT = "#,##0"
PERCENT_FORMAT = "0.0%"
HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")
BOLD = Font(bold=True)


def period_text(period: Period) -> str:
    if period.first and period.last:
        if period.first == period.last:
            return month_label(period.first)
        return _("%(first)s to %(last)s") % {"first": month_label(period.first), "last": month_label(period.last)}
    if period.first:
        return _("from %(first)s") % {"first": month_label(period.first)}
    if period.last:
        return _("until %(last)s") % {"last": month_label(period.last)}
    return _("all months")


def _sheet_header(sheet: Worksheet, title: str, period: Period, headers: Sequence[str]) -> int:
    """A title line, the period, an empty line, then the column headers; returns the header row's number."""
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([_("Period"), period_text(period)])
    sheet.append([])
    sheet.append(list(headers))
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = BOLD
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    sheet.freeze_panes = f"A{header_row + 1}"
    return header_row


def _formats(sheet: Worksheet, row: int, formats: Sequence[str | None]) -> None:
    for column, number_format in enumerate(formats, start=1):
        if number_format:
            sheet.cell(row=row, column=column).number_format = number_format


def _widths(sheet: Worksheet, widths: Sequence[int]) -> None:
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width


def _save(workbook: Workbook) -> bytes:
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def man_hours_workbook(report: ManHourReport, logs: Iterable[WorkLogLine]) -> bytes:
    """Sheet 1: the report's rows and the total; sheet 2: every work log counted, with its rate and cost."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Man-hours")[:31]
    headers = [str(MAN_HOUR_GROUP_BY[report.group_by]), _("Work logs"), _("Hours"), _("Unpriced hours"),
               _("Cost (CNY)")]
    formats = [None, COUNT_FORMAT, HOURS_FORMAT, HOURS_FORMAT, MONEY_FORMAT]
    _sheet_header(sheet, _("Man-hours and cost"), report.filters.period, headers)
    for row in report.rows:
        sheet.append([row.label, row.logs, row.hours, row.unpriced_hours, row.cost])
        _formats(sheet, sheet.max_row, formats)
    total = report.total
    sheet.append([_("Total"), total.logs, total.hours, total.unpriced_hours, total.cost])
    _formats(sheet, sheet.max_row, formats)
    for cell in sheet[sheet.max_row]:
        cell.font = BOLD
    _widths(sheet, [28, 12, 12, 14, 16])

    detail = workbook.create_sheet(_("Work logs")[:31])
    detail_headers = [_("Incident"), _("Title"), _("Service"), _("Organisation"), _("Author"), _("Staff level"),
                      _("Logged at"), _("Minutes"), _("Hours"), _("Cost per hour (CNY)"), _("Cost (CNY)"),
                      _("What was done")]
    detail_formats = [None, None, None, None, None, None, "yyyy-mm-dd hh:mm", COUNT_FORMAT, HOURS_FORMAT,
                      MONEY_FORMAT, MONEY_FORMAT, None]
    _sheet_header(detail, _("Work logs"), report.filters.period, detail_headers)
    zone = report.filters.period.zone
    for line in logs:
        log = line.log
        detail.append([
            log.incident.number, log.incident.title, localized_name(log.incident.service),
            localized_name(log.incident.organisation), str(log.author), localized_name(line.level),
            timezone.localtime(log.created_at, zone).replace(tzinfo=None), log.minutes, line.hours,
            line.hourly_rate, line.cost, log.note,
        ])
        _formats(detail, detail.max_row, detail_formats)
    _widths(detail, [20, 36, 18, 18, 14, 14, 18, 10, 10, 16, 14, 48])
    return _save(workbook)


def _ratio(part: Compliance) -> float | None:
    percent: Decimal | None = part.percent
    return None if percent is None else float(percent) / 100


def sla_workbook(report: SlaReport) -> bytes:
    """The compliance table: per row, response and resolution met / breached / in progress / compliance."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("SLA compliance")[:31]
    headers = [
        str(SLA_GROUP_BY[report.group_by]), _("Records"),
        _("Response met"), _("Response breached"), _("Response in progress"), _("Response compliance"),
        _("Resolution met"), _("Resolution breached"), _("Resolution in progress"), _("Resolution compliance"),
    ]
    formats = [None, COUNT_FORMAT, COUNT_FORMAT, COUNT_FORMAT, COUNT_FORMAT, PERCENT_FORMAT,
               COUNT_FORMAT, COUNT_FORMAT, COUNT_FORMAT, PERCENT_FORMAT]
    _sheet_header(sheet, _("SLA compliance"), report.filters.period, headers)

    def cells(label: str, row: Any) -> list[Any]:
        return [label, row.records,
                row.response.met, row.response.breached, row.response.in_progress, _ratio(row.response),
                row.resolution.met, row.resolution.breached, row.resolution.in_progress, _ratio(row.resolution)]

    for row in report.rows:
        sheet.append(cells(row.label, row))
        _formats(sheet, sheet.max_row, formats)
    sheet.append(cells(_("Total"), report.total))
    _formats(sheet, sheet.max_row, formats)
    for cell in sheet[sheet.max_row]:
        cell.font = BOLD
    _widths(sheet, [28, 10, 12, 12, 12, 12, 12, 12, 12, 12])
    return _save(workbook)
