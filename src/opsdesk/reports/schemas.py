"""API shapes of the reports."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Field, Schema

from .selectors import NO_KEY, Compliance, ManHourRow, SlaRow


class ReportQuery(Schema):
    group_by: str = Field("service", description="What each row is.")
    month: str | None = Field(None, description="One month, YYYY-MM (in the reader's time zone).")
    month_from: str | None = Field(None, description="First month of a range, YYYY-MM (ignored with month).")
    month_to: str | None = Field(None, description="Last month of a range, YYYY-MM (ignored with month).")
    service: int | None = Field(None, description="Only this service's records.")
    organisation: int | None = Field(None, description="Only records of this organisation and those below it.")
    group: int | None = Field(None, description="Only this support group's records.")


class DrillQuery(ReportQuery):
    key: str = Field(..., description="The row's key id as the report answered it (an id, YYYY-MM, or none).")
    cursor: str | None = None
    limit: int = Field(50, description="Page size, 1–200 (larger values are read as 200).")


class SlaDrillQuery(DrillQuery):
    kind: str = Field("resolution", description="response or resolution.")
    status: str = Field("", description="met, breached or in_progress; empty for all.")


class RowKey(Schema):
    id: int | str | None = Field(description="The service, organisation, group, level or priority id; YYYY-MM for "
                                             "months; null for records without one.")
    label: str


def row_key(key: str, label: str) -> RowKey:
    if key == NO_KEY:
        return RowKey(id=None, label=label)
    return RowKey(id=int(key) if key.isdigit() else key, label=label)


class ManHourRowOut(Schema):
    key: RowKey
    logs: int
    minutes: int
    hours: Decimal
    unpriced_hours: Decimal = Field(description="Hours of authors without a staff level or a rate on that date.")
    cost: Decimal = Field(description="CNY, exact to the fen.")


def man_hour_row_out(row: ManHourRow) -> ManHourRowOut:
    return ManHourRowOut(key=row_key(row.key, row.label), logs=row.logs, minutes=row.minutes, hours=row.hours,
                         unpriced_hours=row.unpriced_hours, cost=row.cost)


class ManHourReportOut(Schema):
    group_by: str
    rows: list[ManHourRowOut]
    total: ManHourRowOut


class ComplianceOut(Schema):
    met: int
    breached: int
    in_progress: int
    compliance: float | None = Field(description="met / (met + breached) in per cent; null while none is decided.")


def compliance_out(part: Compliance) -> ComplianceOut:
    return ComplianceOut(met=part.met, breached=part.breached, in_progress=part.in_progress,
                         compliance=None if part.percent is None else float(part.percent))


class SlaRowOut(Schema):
    key: RowKey
    records: int
    met: int = Field(description="Resolution clocks met.")
    breached: int = Field(description="Resolution clocks missed, or running past their due time.")
    in_progress: int
    compliance: float | None = Field(description="Resolution: met / (met + breached) in per cent.")
    response: ComplianceOut


def sla_row_out(row: SlaRow) -> SlaRowOut:
    part = compliance_out(row.resolution)
    return SlaRowOut(key=row_key(row.key, row.label), records=row.records, met=part.met, breached=part.breached,
                     in_progress=part.in_progress, compliance=part.compliance, response=compliance_out(row.response))


class SlaReportOut(Schema):
    group_by: str
    rows: list[SlaRowOut]
    total: SlaRowOut


class WorkLogLineOut(Schema):
    id: int
    incident: str
    author: int
    author_name: str
    minutes: int
    created_at: dt.datetime
    hourly_rate: Decimal | None
    cost: Decimal
    note: str


class WorkLogLinePage(Schema):
    items: list[WorkLogLineOut]
    next_cursor: str | None = None


class SlaRecordOut(Schema):
    number: str
    title: str
    state: str
    priority: int
    created_at: dt.datetime
    response: str = Field(description="met, breached, in_progress, or empty without a clock.")
    resolution: str


class SlaRecordPage(Schema):
    items: list[SlaRecordOut]
    next_cursor: str | None = None
