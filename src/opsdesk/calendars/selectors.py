"""Reads of the calendars app: lists, the calendar an organisation works by, the pure spec, warnings.

Calendars are configuration that every signed-in user may read (SLA figures are counted in them);
only administrators change them (``services``).
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from opsdesk.accounts.models import Organisation, User
from opsdesk.accounts.roles import Permission as P
from opsdesk.core import clock
from opsdesk.core.errors import NotFound, ValidationFailed

from . import businesstime
from .businesstime import CalendarSpec, DayInfo, SpecialDay
from .models import BusinessCalendar, HolidayRegion
from .official_holidays import known_years

MAX_DAYS_RANGE = 366


def calendar_list(*, user: User | None = None, q: str = "") -> QuerySet[BusinessCalendar]:
    """Every calendar (configuration, readable by everyone signed in), filtered by a keyword."""
    queryset = BusinessCalendar.objects.select_related("organisation")
    q = (q or "").strip()
    if q:
        queryset = queryset.filter(Q(name__icontains=q) | Q(name_en__icontains=q) | Q(code__icontains=q))
    return queryset


def calendar_get(*, calendar_id: int | str, user: User | None = None) -> BusinessCalendar:
    try:
        return BusinessCalendar.objects.select_related("organisation").get(pk=int(calendar_id))
    except (BusinessCalendar.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("No such calendar.")) from None


def default_calendar() -> BusinessCalendar | None:
    return BusinessCalendar.objects.filter(is_default=True).first()


def calendar_for_organisation(organisation: Organisation | None) -> BusinessCalendar | None:
    """The organisation's own calendar, else its nearest ancestor's, else the default calendar."""
    if organisation is not None:
        lineage = [int(part) for part in organisation.path.strip("/").split("/") if part] or [organisation.pk]
        if organisation.pk not in lineage:
            lineage.append(organisation.pk)
        own = {c.organisation_id: c for c in BusinessCalendar.objects.filter(organisation_id__in=lineage)}
        for organisation_id in reversed(lineage):
            if organisation_id in own:
                return own[organisation_id]
    return default_calendar()


# The pure spec, cached per process and checked against the row's version on every call --------------

_specs: dict[int, tuple[uuid.UUID, CalendarSpec]] = {}
_specs_lock = threading.Lock()


def build_spec(calendar: BusinessCalendar) -> CalendarSpec:
    """The ``CalendarSpec`` of a calendar as stored now (three queries)."""
    weekly: list[list[tuple]] = [[] for _weekday in range(7)]
    for weekday, start, end in calendar.periods.order_by("weekday", "start").values_list("weekday", "start", "end"):
        weekly[weekday].append((start, end))
    days = {
        day: SpecialDay(kind, name)
        for day, kind, name in calendar.days.values_list("date", "kind", "name")
    }
    holiday_years: frozenset[int] | None = None
    if calendar.holiday_region:
        holiday_years = frozenset(calendar.holiday_years.values_list("year", flat=True))
    return CalendarSpec(
        time_zone=calendar.time_zone,
        weekly=tuple(tuple(periods) for periods in weekly),
        always_open=calendar.always_open,
        days=days,
        holiday_years=holiday_years,
    )


def calendar_spec(calendar_id: int) -> CalendarSpec:
    """The pure spec of a calendar, current after an edit on any node.

    Each call reads the row's stamp (one primary-key query; every write gives the row a new one); the
    spec itself is rebuilt only when the stamp changed since this process last built it. Specs keep their own per-day cache, so the
    arithmetic gets faster the more often one calendar is used.
    """
    stamp = BusinessCalendar.objects.filter(pk=calendar_id).values_list("stamp", flat=True).first()
    if stamp is None:
        raise NotFound(_("No such calendar."))
    cached = _specs.get(calendar_id)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    calendar = BusinessCalendar.objects.get(pk=calendar_id)
    spec = build_spec(calendar)
    with _specs_lock:
        _specs[calendar_id] = (calendar.stamp, spec)
    return spec


def calendar_spec_of(calendar: BusinessCalendar) -> CalendarSpec:
    """The spec of a calendar row the caller has already loaded (e.g. prefetched with a list of clocks).

    No query when this process holds the spec of the row's stamp; as current as the row itself.
    """
    cached = _specs.get(calendar.pk)
    if cached is not None and cached[0] == calendar.stamp:
        return cached[1]
    return calendar_spec(calendar.pk)


def local_today(calendar: BusinessCalendar) -> date:
    return clock.now().astimezone(ZoneInfo(calendar.time_zone)).date()


def calendar_days(*, calendar: BusinessCalendar, start: date, end: date) -> list[DayInfo]:
    """How the calendar treats each date from ``start`` to ``end`` (both included, at most a year)."""
    if start > end:
        message = _("'from' must not be after 'to'.")
        raise ValidationFailed(message, field_errors={"from": [message]})
    if (end - start).days + 1 > MAX_DAYS_RANGE:
        message = _("Ask for at most %(count)d days at a time.") % {"count": MAX_DAYS_RANGE}
        raise ValidationFailed(message, field_errors={"to": [message]})
    spec = calendar_spec(calendar.pk)
    return [businesstime.day_info(spec, start + timedelta(days=n)) for n in range((end - start).days + 1)]


# Warnings for administrators: a year without holiday data ahead --------------------------------------


@dataclass(frozen=True)
class CalendarWarning:
    calendar: BusinessCalendar
    year: int
    can_seed: bool  # the installed chinese-calendar knows the year: seeding it fixes the warning


def calendar_uncovered_years(calendar: BusinessCalendar, *, today: date | None = None) -> list[int]:
    """Years the calendar needs soon and holds no holiday list for (see ``businesstime.uncovered_years``)."""
    if calendar.always_open or calendar.holiday_region != HolidayRegion.CN:
        return []
    today = today or local_today(calendar)
    spec = calendar_spec(calendar.pk)
    return businesstime.uncovered_years(spec, today)


def calendar_warnings(user: User | None) -> list[CalendarWarning]:
    """For administrators: each calendar that soon reaches a year it has no holiday list for."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.holds(P.ADMINISTER):
        return []
    known = known_years()
    warnings: list[CalendarWarning] = []
    for calendar in BusinessCalendar.objects.filter(always_open=False, holiday_region=HolidayRegion.CN):
        for year in calendar_uncovered_years(calendar):
            warnings.append(CalendarWarning(calendar=calendar, year=year, can_seed=year in known))
    return warnings
