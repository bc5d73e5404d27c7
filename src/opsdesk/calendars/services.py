"""Every write to business calendars: the calendar, its weekly hours, its days and its holiday years.

Each function owns its transaction, requires ``P.ADMINISTER`` (``actor=None`` is the system, e.g. the
demo or ``default_calendar_ensure``), validates everything before it writes (a ``ValidationFailed`` names
each field), bumps the calendar's ``version`` so every node rebuilds its spec, and appends the audit
trail as its last step.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.db import transaction
from django.utils.translation import gettext as _

from opsdesk.accounts.models import Organisation, User
from opsdesk.accounts.roles import Permission as P
from opsdesk.audit.services import audit_record
from opsdesk.core import clock
from opsdesk.core.errors import NotFound, PermissionDenied, StaleVersion
from opsdesk.core.validation import Errors
from opsdesk.core.validation import add_error as _add
from opsdesk.core.validation import clean_text as _text
from opsdesk.core.validation import field_error as _fail
from opsdesk.core.validation import raise_if_any as _raise

from .models import (
    BusinessCalendar,
    CalendarDay,
    CalendarDayKind,
    CalendarDaySource,
    HolidayRegion,
    HolidayYear,
    Weekday,
    WorkingPeriod,
)
from .official_holidays import known_years, official_days

CODE_PATTERN = re.compile(r"^[-a-zA-Z0-9_]+$")
PERIOD_PATTERN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–~]\s*(\d{1,2}):(\d{2})\s*$")
UNSET: Any = object()
STANDARD_HOURS = ((time(8, 30), time(12)), (time(13, 30), time(17, 30)))
MIN_YEAR, MAX_YEAR = 2000, 2100

WeeklyHours = Mapping[int, Sequence[tuple[time, time]]]

CALENDAR_FIELDS = ("code", "name", "name_en", "description", "organisation", "time_zone", "always_open",
                   "is_default", "holiday_region")


# Shared checks ------------------------------------------------------------------------------------


def _require_admin(actor: User | None) -> None:
    if actor is not None and not actor.holds(P.ADMINISTER):
        raise PermissionDenied(_("Only administrators may change business calendars."))


def _value(value: Any) -> Any:
    if hasattr(value, "pk"):
        return {"id": value.pk, "label": str(value)}
    return value


def _snapshot(calendar: BusinessCalendar) -> dict[str, Any]:
    return {field: _value(getattr(calendar, field)) for field in CALENDAR_FIELDS}


def _hours_snapshot(calendar: BusinessCalendar) -> dict[str, list[str]]:
    hours: dict[str, list[str]] = {}
    for period in calendar.periods.order_by("weekday", "start"):
        hours.setdefault(str(period.weekday), []).append(f"{period.start:%H:%M}-{period.end:%H:%M}")
    return hours


def _touch(calendar: BusinessCalendar) -> None:
    """Bump the version (every node's cached spec goes stale) and the update time."""
    calendar.version += 1
    calendar.stamp = uuid.uuid4()
    calendar.updated_at = clock.now()
    calendar.save(update_fields=["version", "stamp", "updated_at"])


def _lock(calendar: BusinessCalendar) -> BusinessCalendar:
    try:
        return BusinessCalendar.objects.select_for_update().get(pk=calendar.pk)
    except BusinessCalendar.DoesNotExist:
        raise NotFound(_("No such calendar.")) from None


def parse_hours(text: str) -> list[tuple[time, time]]:
    """Parse "08:30-12:00, 13:30-17:30" (commas, semicolons or new lines between periods).

    Raises ``ValueError`` with a translated message naming the part it could not read.
    """
    periods: list[tuple[time, time]] = []
    for part in re.split(r"[,;，；\n]+", text or ""):
        if not part.strip():
            continue
        match = PERIOD_PATTERN.match(part)
        if not match:
            raise ValueError(_("“%(part)s” is not a period like 08:30-12:00.") % {"part": part.strip()})
        h1, m1, h2, m2 = (int(group) for group in match.groups())
        try:
            periods.append((time(h1, m1), time(h2, m2)))
        except ValueError:
            raise ValueError(_("“%(part)s” is not a time of day.") % {"part": part.strip()}) from None
    return periods


def format_hours(periods: Iterable[tuple[time, time]]) -> str:
    return ", ".join(f"{start:%H:%M}-{end:%H:%M}" for start, end in periods)


def _weekly(errors: Errors, weekly: WeeklyHours) -> dict[int, list[tuple[time, time]]]:
    """Validated weekly hours: each period starts before it ends, none overlap. Errors per weekday."""
    clean: dict[int, list[tuple[time, time]]] = {}
    for weekday, periods in weekly.items():
        if weekday not in Weekday.values:
            _add(errors, "weekly", _("Weekdays are numbered 0 (Monday) to 6 (Sunday)."))
            continue
        field = f"weekly_{weekday}"
        label = Weekday(weekday).label
        ordered = sorted(periods)
        for start, end in ordered:
            if start >= end:
                _add(errors, field, _("%(weekday)s: a period must start before it ends (%(start)s–%(end)s).")
                     % {"weekday": label, "start": f"{start:%H:%M}", "end": f"{end:%H:%M}"})
        for (_s1, end1), (start2, _e2) in zip(ordered, ordered[1:], strict=False):
            if start2 < end1:
                _add(errors, field, _("%(weekday)s: periods overlap at %(time)s.")
                     % {"weekday": label, "time": f"{start2:%H:%M}"})
        clean[weekday] = ordered
    return clean


def _time_zone(errors: Errors, value: Any) -> str:
    name = str(value or "").strip()
    if not name:
        _add(errors, "time_zone", _("This field is required."))
        return ""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        _add(errors, "time_zone", _("“%(zone)s” is not an IANA time zone such as Asia/Shanghai.") % {"zone": name})
        return ""
    if name not in available_timezones():
        _add(errors, "time_zone", _("“%(zone)s” is not an IANA time zone such as Asia/Shanghai.") % {"zone": name})
    return name


def _check_organisation(errors: Errors, organisation: Organisation | None, calendar: BusinessCalendar | None) -> None:
    if organisation is None:
        return
    taken = BusinessCalendar.objects.filter(organisation=organisation)
    if calendar is not None:
        taken = taken.exclude(pk=calendar.pk)
    other = taken.first()
    if other is not None:
        _add(errors, "organisation", _("%(organisation)s already works by the calendar %(calendar)s.")
             % {"organisation": organisation, "calendar": other.display_name})


def _write_hours(calendar: BusinessCalendar, weekly: Mapping[int, Sequence[tuple[time, time]]]) -> None:
    calendar.periods.filter(weekday__in=list(weekly)).delete()
    WorkingPeriod.objects.bulk_create(
        WorkingPeriod(calendar=calendar, weekday=weekday, start=start, end=end)
        for weekday, periods in weekly.items()
        for start, end in periods
    )


def _unset_other_defaults(calendar: BusinessCalendar) -> None:
    for other in BusinessCalendar.objects.select_for_update().filter(is_default=True).exclude(pk=calendar.pk):
        other.is_default = False
        other.version += 1
        other.stamp = uuid.uuid4()
        other.updated_at = clock.now()
        other.save(update_fields=["is_default", "version", "stamp", "updated_at"])


# Calendars ----------------------------------------------------------------------------------------


@transaction.atomic
def calendar_create(
    *,
    actor: User | None,
    code: str,
    name: str,
    name_en: str = "",
    description: str = "",
    organisation: Organisation | None = None,
    time_zone: str = "Asia/Shanghai",
    always_open: bool = False,
    is_default: bool = False,
    holiday_region: str = HolidayRegion.CN,
    weekly: WeeklyHours | None = None,
    seed_years: Iterable[int] | None = None,
) -> BusinessCalendar:
    """Create a calendar with its weekly hours (Monday–Friday 08:30–12:00, 13:30–17:30 when not given).

    A calendar that follows the Chinese holiday list is seeded from chinese-calendar for ``seed_years``
    (by default last year through the last year the package knows, when it knows them).
    """
    _require_admin(actor)
    errors: Errors = {}
    code = _text(errors, "code", code, max_length=60)
    if code and "code" not in errors:
        if not CODE_PATTERN.match(code):
            _add(errors, "code", _("Use only letters, digits, hyphens and underscores."))
        elif BusinessCalendar.objects.filter(code=code).exists():
            _add(errors, "code", _("A calendar with this code already exists."))
    name = _text(errors, "name", name, max_length=120)
    name_en = _text(errors, "name_en", name_en, max_length=120, required=False)
    description = str(description or "").strip()
    time_zone = _time_zone(errors, time_zone)
    if holiday_region not in HolidayRegion.values:
        _add(errors, "holiday_region", _("Choose one of the listed values."))
    if weekly is None:
        weekly = {weekday: list(STANDARD_HOURS) for weekday in range(5)}
    hours = _weekly(errors, weekly)
    if not always_open and not any(hours.values()) and not any(key.startswith("weekly") for key in errors):
        _add(errors, "weekly", _("Give at least one working period, or make the calendar always open (7×24)."))
    _check_organisation(errors, organisation, None)
    _raise(errors)

    now = clock.now()
    calendar = BusinessCalendar(
        code=code, name=name, name_en=name_en, description=description, organisation=organisation,
        time_zone=time_zone, always_open=bool(always_open), is_default=bool(is_default),
        holiday_region=holiday_region, created_at=now, updated_at=now,
    )
    if calendar.is_default:
        _unset_other_defaults(calendar)
    calendar.save()
    _write_hours(calendar, hours)
    seeded: list[int] = []
    if calendar.holiday_region == HolidayRegion.CN and not calendar.always_open:
        years = sorted(seed_years) if seed_years is not None else _default_seed_years()
        for year in years:
            if year in known_years():
                _seed(calendar, year)
                seeded.append(year)
    audit_record(actor=actor, action="calendar.created", subject=calendar,
                 data={"fields": _snapshot(calendar), "hours": _hours_snapshot(calendar), "seeded_years": seeded})
    return calendar


def _default_seed_years() -> list[int]:
    this_year = clock.now().year
    known = known_years()
    return [year for year in range(this_year - 1, max(known, default=this_year) + 1) if year in known]


@transaction.atomic
def calendar_update(
    *,
    actor: User | None,
    calendar: BusinessCalendar,
    version: int | None = None,
    name: str = UNSET,
    name_en: str = UNSET,
    description: str = UNSET,
    organisation: Organisation | None = UNSET,
    time_zone: str = UNSET,
    always_open: bool = UNSET,
    is_default: bool = UNSET,
    holiday_region: str = UNSET,
    weekly: WeeklyHours = UNSET,
) -> BusinessCalendar:
    """Change fields and weekly hours; ``weekly`` replaces the hours of the weekdays it names.

    With ``version`` the change is refused (409) when someone else changed the calendar since.
    """
    _require_admin(actor)
    locked = _lock(calendar)
    if version is not None and int(version) != locked.version:
        raise StaleVersion(_("Someone else changed this calendar since you opened it. Reload and try again."))
    before, hours_before = _snapshot(locked), _hours_snapshot(locked)
    errors: Errors = {}
    if name is not UNSET:
        locked.name = _text(errors, "name", name, max_length=120)
    if name_en is not UNSET:
        locked.name_en = _text(errors, "name_en", name_en, max_length=120, required=False)
    if description is not UNSET:
        locked.description = str(description or "").strip()
    if time_zone is not UNSET:
        locked.time_zone = _time_zone(errors, time_zone)
    if always_open is not UNSET:
        locked.always_open = bool(always_open)
    if holiday_region is not UNSET:
        if holiday_region not in HolidayRegion.values:
            _add(errors, "holiday_region", _("Choose one of the listed values."))
        locked.holiday_region = holiday_region
    if organisation is not UNSET:
        _check_organisation(errors, organisation, locked)
        locked.organisation = organisation
    if is_default is not UNSET:
        if not is_default and locked.is_default:
            _add(errors, "is_default", _("There must be a default calendar: make another one the default instead."))
        locked.is_default = bool(is_default)
    hours: dict[int, list[tuple[time, time]]] = {}
    if weekly is not UNSET:
        hours = _weekly(errors, weekly)
    if not errors and not locked.always_open:
        merged = {p.weekday: True for p in locked.periods.all() if p.weekday not in hours}
        if not any(merged.values()) and not any(hours.values()):
            _add(errors, "weekly", _("Give at least one working period, or make the calendar always open (7×24)."))
    _raise(errors)

    if locked.is_default and not before["is_default"]:
        _unset_other_defaults(locked)
    locked.version += 1
    locked.stamp = uuid.uuid4()
    locked.updated_at = clock.now()
    locked.save()
    if weekly is not UNSET:
        _write_hours(locked, hours)
    changes = {field: [before[field], value] for field, value in _snapshot(locked).items() if before[field] != value}
    hours_after = _hours_snapshot(locked)
    if hours_after != hours_before:
        changes["hours"] = [hours_before, hours_after]
    audit_record(actor=actor, action="calendar.updated", subject=locked, data={"changes": changes})
    return locked


# Days: holidays and make-up working days ----------------------------------------------------------


def _check_date(errors: Errors, value: Any) -> date | None:
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        try:
            value = date.fromisoformat(str(value or "").strip())
        except ValueError:
            _add(errors, "date", _("Enter a date like 2026-05-01."))
            return None
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        _add(errors, "date", _("Enter a date between %(first)d and %(last)d.") % {"first": MIN_YEAR, "last": MAX_YEAR})
        return None
    return value


@transaction.atomic
def day_set(
    *,
    actor: User | None,
    calendar: BusinessCalendar,
    date: date | str,
    kind: str,
    name: str = "",
    name_en: str = "",
) -> CalendarDay:
    """Mark a date a holiday or a make-up working day (replacing what the date had)."""
    _require_admin(actor)
    locked = _lock(calendar)
    errors: Errors = {}
    day = _check_date(errors, date)
    if kind not in CalendarDayKind.values:
        _add(errors, "kind", _("Choose one of the listed values."))
    name = _text(errors, "name", name, max_length=120, required=False)
    name_en = _text(errors, "name_en", name_en, max_length=120, required=False)
    if locked.always_open and not errors:
        _add(errors, "date", _("A 7×24 calendar is always open: it has no holidays or make-up days."))
    _raise(errors)
    assert day is not None
    existing = locked.days.filter(date=day).first()
    before = {"kind": existing.kind, "name": existing.name, "source": existing.source} if existing else None
    entry, _created = CalendarDay.objects.update_or_create(
        calendar=locked, date=day,
        defaults={"kind": kind, "name": name, "name_en": name_en, "source": CalendarDaySource.MANUAL},
    )
    _touch(locked)
    audit_record(actor=actor, action="calendar.day_set", subject=locked,
                 data={"date": day.isoformat(), "changes": {"day": [before, {"kind": kind, "name": name}]}})
    return entry


@transaction.atomic
def day_remove(*, actor: User | None, calendar: BusinessCalendar, date: date | str) -> None:
    """Remove a holiday or make-up day: the date follows the weekly hours again."""
    _require_admin(actor)
    locked = _lock(calendar)
    errors: Errors = {}
    day = _check_date(errors, date)
    _raise(errors)
    entry = locked.days.filter(date=day).first()
    if entry is None:
        raise NotFound(_("%(date)s is neither a holiday nor a make-up day in this calendar.")
                       % {"date": day.isoformat() if day else ""})
    before = {"kind": entry.kind, "name": entry.name, "source": entry.source}
    entry.delete()
    _touch(locked)
    audit_record(actor=actor, action="calendar.day_removed", subject=locked,
                 data={"date": day.isoformat() if day else "", "changes": {"day": [before, None]}})


# Holiday years ------------------------------------------------------------------------------------


def _seed(calendar: BusinessCalendar, year: int) -> tuple[int, int]:
    """Replace the seeded days of ``year`` by the official list; manual entries stay. (added, kept)"""
    calendar.days.filter(date__year=year, source=CalendarDaySource.SEEDED).delete()
    manual = set(calendar.days.filter(date__year=year).values_list("date", flat=True))
    official = [day for day in official_days(year) if day.date not in manual]
    CalendarDay.objects.bulk_create(
        CalendarDay(calendar=calendar, date=day.date, kind=day.kind, name=day.name, name_en=day.name_en,
                    source=CalendarDaySource.SEEDED)
        for day in official
    )
    HolidayYear.objects.update_or_create(
        calendar=calendar, year=year, defaults={"source": CalendarDaySource.SEEDED, "recorded_at": clock.now()}
    )
    return len(official), len(manual)


def _check_year(year: Any) -> int:
    try:
        value = int(year)
    except (TypeError, ValueError):
        raise _fail("year", _("Enter a year like 2026.")) from None
    if not MIN_YEAR <= value <= MAX_YEAR:
        raise _fail("year", _("Enter a year between %(first)d and %(last)d.") % {"first": MIN_YEAR, "last": MAX_YEAR})
    return value


@transaction.atomic
def calendar_seed_year(*, actor: User | None, calendar: BusinessCalendar, year: int | str) -> int:
    """(Re)seed a year's holidays and make-up days from chinese-calendar; days entered by hand are kept.

    Returns the number of days seeded. Refused for a year the installed package does not know.
    """
    _require_admin(actor)
    year = _check_year(year)
    locked = _lock(calendar)
    if locked.always_open or locked.holiday_region != HolidayRegion.CN:
        raise _fail("year", _("This calendar does not follow the Chinese public-holiday list."))
    known = known_years()
    if year not in known:
        raise _fail("year", _("The installed chinese-calendar has no holiday list for %(year)d (it knows "
                              "%(first)d–%(last)d). Enter the official days by hand and confirm the year, or "
                              "update the package.") % {"year": year, "first": min(known), "last": max(known)})
    added, kept = _seed(locked, year)
    _touch(locked)
    audit_record(actor=actor, action="calendar.year_seeded", subject=locked,
                 data={"year": year, "days": added, "manual_days_kept": kept})
    return added


@transaction.atomic
def holiday_year_confirm(*, actor: User | None, calendar: BusinessCalendar, year: int | str) -> HolidayYear:
    """Record that the calendar now holds the official list of ``year``, entered by hand."""
    _require_admin(actor)
    year = _check_year(year)
    locked = _lock(calendar)
    if locked.always_open or locked.holiday_region != HolidayRegion.CN:
        raise _fail("year", _("This calendar does not follow the Chinese public-holiday list."))
    if locked.holiday_years.filter(year=year).exists():
        raise _fail("year", _("The calendar already holds the holiday list of %(year)d.") % {"year": year})
    entry = HolidayYear.objects.create(calendar=locked, year=year, source=CalendarDaySource.MANUAL,
                                       recorded_at=clock.now())
    _touch(locked)
    audit_record(actor=actor, action="calendar.year_confirmed", subject=locked, data={"year": year})
    return entry


# The default calendar -----------------------------------------------------------------------------


@transaction.atomic
def default_calendar_ensure() -> BusinessCalendar:
    """The default calendar, created when there is none: Monday–Friday 08:30–12:00 and 13:30–17:30 in
    Asia/Shanghai with the Chinese holiday list seeded (written by the system, audited)."""
    existing = BusinessCalendar.objects.filter(is_default=True).first()
    if existing is not None:
        return existing
    code = "standard"
    if BusinessCalendar.objects.filter(code=code).exists():
        code = "standard-default"
    return calendar_create(
        actor=None, code=code, name="标准工作日历", name_en="Standard working calendar", is_default=True,
    )
