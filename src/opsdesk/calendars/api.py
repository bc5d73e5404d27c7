"""API of the calendars app: business calendars, how they treat each day. Thin: parse, call, render."""

from __future__ import annotations

from datetime import date, time

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import ConfigDict, Field

from opsdesk.accounts.models import Organisation, User
from opsdesk.api.references import resolve
from opsdesk.core.errors import ValidationFailed
from opsdesk.core.pagination import DEFAULT_LIMIT, clamp_limit, paginate

from . import selectors, services
from .businesstime import DayInfo
from .models import BusinessCalendar

router = Router(tags=["calendars"])


def _actor(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined]


class PeriodOut(Schema):
    start: str = Field(description="Local time, HH:MM.")
    end: str = Field(description="Local time, HH:MM (24:00 for the end of the day).")


class CalendarOut(Schema):
    id: int
    code: str
    name: str
    name_en: str
    display_name: str = Field(description="The name in the caller's language.")
    description: str
    organisation: int | None = Field(validation_alias="organisation_id")
    time_zone: str
    always_open: bool
    is_default: bool
    holiday_region: str = Field(description='"CN" (Chinese public holidays) or "" (none).')
    version: int
    weekly: dict[str, list[PeriodOut]] = Field(description="Working periods per weekday, 0 = Monday.")
    holiday_years: list[int] = Field(description="Years whose official holiday list the calendar holds.")

    @staticmethod
    def resolve_display_name(obj: BusinessCalendar) -> str:
        return obj.display_name

    @staticmethod
    def resolve_weekly(obj: BusinessCalendar) -> dict[str, list[dict[str, str]]]:
        weekly: dict[str, list[dict[str, str]]] = {str(weekday): [] for weekday in range(7)}
        for period in obj.periods.all():
            weekly[str(period.weekday)].append({"start": f"{period.start:%H:%M}", "end": f"{period.end:%H:%M}"})
        return weekly

    @staticmethod
    def resolve_holiday_years(obj: BusinessCalendar) -> list[int]:
        return sorted(year.year for year in obj.holiday_years.all())


class CalendarPage(Schema):
    items: list[CalendarOut]
    next_cursor: str | None = Field(description="Pass as ``cursor`` for the next page; null on the last one.")


class PeriodIn(Schema):
    model_config = ConfigDict(extra="forbid")
    weekday: int = Field(ge=0, le=6, description="0 = Monday … 6 = Sunday.")
    start: time
    end: time


class CalendarCreateIn(Schema):
    model_config = ConfigDict(extra="forbid")
    code: str
    name: str
    name_en: str = ""
    description: str = ""
    organisation: int | str | None = Field(None, description="Id or code of the organisation it belongs to.")
    time_zone: str = "Asia/Shanghai"
    always_open: bool = False
    is_default: bool = False
    holiday_region: str = "CN"
    weekly: list[PeriodIn] | None = Field(
        None, description="Working periods; when left out, Monday–Friday 08:30–12:00 and 13:30–17:30."
    )


class DayOut(Schema):
    date: date
    working: bool
    kind: str = Field(description="weekday, weekend, holiday, workday (make-up day), no_holiday_data, always_open.")
    name: str = Field(description="The holiday's name for holidays and make-up days.")
    periods: list[PeriodOut]


class DaysOut(Schema):
    calendar: int
    time_zone: str
    items: list[DayOut]
    warnings: list[str] = Field(description="Years in the range the calendar holds no holiday list for.")


def _day_out(day: DayInfo) -> dict:
    periods = [
        {"start": f"{start:%H:%M}", "end": "24:00" if end == time(0) else f"{end:%H:%M}"}
        for start, end in day.periods
    ]
    return {"date": day.date, "working": day.working, "kind": day.kind, "name": day.name, "periods": periods}


def _date_param(value: str | None, name: str) -> date:
    if not value:
        message = _("Give '%(name)s' as a date like 2026-05-01.") % {"name": name}
        raise ValidationFailed(message, field_errors={name: [message]})
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        message = _("'%(name)s' must be a date like 2026-05-01, not “%(value)s”.") % {"name": name, "value": value}
        raise ValidationFailed(message, field_errors={name: [message]}) from None


@router.get("/calendars", response=CalendarPage, summary="Business calendars")
def calendar_list(request: HttpRequest, q: str = "", cursor: str | None = None, limit: int = DEFAULT_LIMIT) -> dict:
    queryset = selectors.calendar_list(user=_actor(request), q=q).prefetch_related("periods", "holiday_years")
    rows, next_cursor = paginate(queryset, cursor=cursor, limit=clamp_limit(limit))
    return {"items": rows, "next_cursor": next_cursor}


@router.post("/calendars", response={201: CalendarOut}, summary="Create a business calendar (administrators)")
def calendar_create(request: HttpRequest, payload: CalendarCreateIn) -> tuple[int, BusinessCalendar]:
    weekly = _weekly(payload.weekly) if payload.weekly is not None else None
    calendar = services.calendar_create(
        actor=_actor(request),
        code=payload.code,
        name=payload.name,
        name_en=payload.name_en,
        description=payload.description,
        organisation=resolve(Organisation, payload.organisation, "organisation"),
        time_zone=payload.time_zone,
        always_open=payload.always_open,
        is_default=payload.is_default,
        holiday_region=payload.holiday_region,
        weekly=weekly,
    )
    return 201, calendar


@router.get("/calendars/{calendar_id}", response=CalendarOut, summary="One business calendar")
def calendar_detail(request: HttpRequest, calendar_id: int) -> BusinessCalendar:
    return selectors.calendar_get(calendar_id=calendar_id, user=_actor(request))


@router.get("/calendars/{calendar_id}/days", response=DaysOut, summary="How the calendar treats each day")
def calendar_days(
    request: HttpRequest,
    calendar_id: int,
    start: str | None = Query(None, alias="from", description="First day, YYYY-MM-DD."),
    end: str | None = Query(None, alias="to", description="Last day, YYYY-MM-DD (at most 366 days in all)."),
) -> dict:
    calendar = selectors.calendar_get(calendar_id=calendar_id, user=_actor(request))
    first, last = _date_param(start, "from"), _date_param(end, "to")
    days = selectors.calendar_days(calendar=calendar, start=first, end=last)
    uncovered = sorted({day.date.year for day in days if day.kind == "no_holiday_data"})
    warnings = [
        _("The calendar holds no official holiday list for %(year)d: those days count their plain weekly hours.")
        % {"year": year}
        for year in uncovered
    ]
    return {"calendar": calendar.pk, "time_zone": calendar.time_zone, "items": [_day_out(d) for d in days],
            "warnings": warnings}


class CalendarUpdateIn(Schema):
    model_config = ConfigDict(extra="forbid")
    version: int | None = Field(None, description="The version you read; a newer one on the server is a 409.")
    name: str | None = None
    name_en: str | None = None
    description: str | None = None
    organisation: int | str | None = Field(None, description="Id of the organisation; send null to detach.")
    time_zone: str | None = None
    always_open: bool | None = None
    is_default: bool | None = None
    holiday_region: str | None = None
    weekly: list[PeriodIn] | None = Field(None, description="Replaces the hours of every weekday.")


class DayIn(Schema):
    model_config = ConfigDict(extra="forbid")
    kind: str = Field(description='"holiday" or "workday" (a make-up working day, 调休).')
    name: str = ""
    name_en: str = ""


class SeedOut(Schema):
    calendar: int
    year: int
    days: int


def _weekly(periods: list[PeriodIn]) -> dict[int, list[tuple[time, time]]]:
    weekly: dict[int, list[tuple[time, time]]] = {weekday: [] for weekday in range(7)}
    for period in periods:
        weekly[period.weekday].append((period.start, period.end))
    return weekly


@router.patch("/calendars/{calendar_id}", response=CalendarOut, summary="Change a calendar (administrators)")
def calendar_update(request: HttpRequest, calendar_id: int, payload: CalendarUpdateIn) -> BusinessCalendar:
    calendar = selectors.calendar_get(calendar_id=calendar_id, user=_actor(request))
    sent = payload.model_dump(exclude_unset=True)
    changes: dict = {key: value for key, value in sent.items() if key not in ("version", "organisation", "weekly")}
    if "organisation" in sent:
        changes["organisation"] = resolve(Organisation, payload.organisation, "organisation")
    if payload.weekly is not None:
        changes["weekly"] = _weekly(payload.weekly)
    return services.calendar_update(actor=_actor(request), calendar=calendar, version=payload.version, **changes)


@router.put("/calendars/{calendar_id}/days/{day}", response=DayOut, summary="Make a date a holiday or make-up day")
def calendar_day_set(request: HttpRequest, calendar_id: int, day: str, payload: DayIn) -> dict:
    calendar = selectors.calendar_get(calendar_id=calendar_id, user=_actor(request))
    entry = services.day_set(actor=_actor(request), calendar=calendar, date=_date_param(day, "date"),
                             kind=payload.kind, name=payload.name, name_en=payload.name_en)
    (info,) = selectors.calendar_days(calendar=calendar, start=entry.date, end=entry.date)
    return _day_out(info)


@router.delete("/calendars/{calendar_id}/days/{day}", response={204: None},
               summary="Let a date follow the weekly hours again")
def calendar_day_remove(request: HttpRequest, calendar_id: int, day: str) -> tuple[int, None]:
    calendar = selectors.calendar_get(calendar_id=calendar_id, user=_actor(request))
    services.day_remove(actor=_actor(request), calendar=calendar, date=_date_param(day, "date"))
    return 204, None


@router.post("/calendars/{calendar_id}/years/{year}/seed", response=SeedOut,
             summary="(Re)seed a year's holidays and make-up days from chinese-calendar")
def calendar_seed_year(request: HttpRequest, calendar_id: int, year: int) -> dict:
    calendar = selectors.calendar_get(calendar_id=calendar_id, user=_actor(request))
    count = services.calendar_seed_year(actor=_actor(request), calendar=calendar, year=year)
    return {"calendar": calendar.pk, "year": year, "days": count}
