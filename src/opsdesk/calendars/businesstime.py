"""Business-time arithmetic: the one module that counts working time (no ORM, no Django).

A ``CalendarSpec`` describes a calendar: its IANA time zone, the working periods of each weekday (in
local wall-clock time), the dates that depart from them (holidays, make-up working days 调休) and the
years whose official holiday list it holds. The functions walk day by day and period by period, never
minute by minute, and cache each day's periods on the spec, so a scheduler that computes thousands of
deadlines with one spec pays for each day once.

Decisions, written down because SLA figures depend on them:

- Business time is counted in whole seconds: every instant is first truncated to its second.
- A make-up working day (调休) uses the hours of the calendar's first working weekday (Monday's in a
  Monday–Friday calendar): it replaces a regular working day, and the make-up days of the official list
  are Saturdays and Sundays, which usually have no hours of their own.
- A date in a year whose holiday list the calendar does not hold (``holiday_years`` given and the year
  missing) counts its plain weekly hours, because a running SLA clock cannot stop, but ``explain`` and
  ``day_info`` mark it ``no_holiday_data`` so that nobody mistakes it for a checked day; the calendar
  pages and the dashboard warn administrators ahead of time.
- A working period that a DST change makes shorter or longer counts the real time that passes between
  its local start and end; a local time that does not exist is read with the offset before the change.
- 7×24 (``always_open``) counts wall time: elapsed real time, whatever the zone.
- ``business_seconds_between(spec, a, b)`` is antisymmetric: negative when ``b`` is before ``a``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

REASONS = ("working", "outside_hours", "weekend", "holiday", "makeup_workday", "no_holiday_data")
DAY_KINDS = ("weekday", "weekend", "holiday", "workday", "no_holiday_data", "always_open")
HOLIDAY = "holiday"
WORKDAY = "workday"
_DAY_SECONDS = 86_400
_CACHE_LIMIT = 20_000


class NoWorkingTime(ValueError):
    """The calendar has no working time at all: no deadline could ever be reached."""


@dataclass(frozen=True)
class SpecialDay:
    """A date that departs from the weekly hours: ``kind`` is "holiday" or "workday" (a make-up day)."""

    kind: str
    name: str = ""

    def __post_init__(self) -> None:
        if self.kind not in (HOLIDAY, WORKDAY):
            raise ValueError(f"special day kind must be 'holiday' or 'workday', not {self.kind!r}")


@dataclass(frozen=True)
class Period:
    """A stretch of time and whether it counts as business time, with why (``reason``) and a ``label``."""

    start: datetime
    end: datetime
    counted: bool
    reason: str
    label: str = ""


@dataclass(frozen=True)
class DayInfo:
    """How a calendar treats one local date: working or not, why, and its local working periods."""

    date: date
    kind: str
    working: bool
    name: str
    periods: tuple[tuple[time, time], ...]


@dataclass(frozen=True)
class _DayPlan:
    start: int  # local midnight, UTC epoch seconds
    end: int  # next local midnight
    intervals: tuple[tuple[int, int], ...]  # counted intervals, epoch seconds, ordered, disjoint
    kind: str
    counted_reason: str
    gap_reason: str
    label: str


WeeklyHours = tuple[tuple[tuple[time, time], ...], ...]


@dataclass(frozen=True, eq=False)
class CalendarSpec:
    """Everything the arithmetic needs to know about one calendar.

    ``weekly`` has seven entries, Monday first, each a sorted tuple of (start, end) local times.
    ``days`` maps dates to holidays and make-up working days. ``holiday_years`` is the set of years
    whose official list the calendar holds, or None when it follows no public-holiday list.
    """

    time_zone: str = "Asia/Shanghai"
    weekly: WeeklyHours = ((),) * 7
    always_open: bool = False
    days: Mapping[date, SpecialDay] = field(default_factory=dict)
    holiday_years: frozenset[int] | None = None

    def __post_init__(self) -> None:
        zone = ZoneInfo(self.time_zone)  # raises for an unknown zone
        if len(self.weekly) != 7:
            raise ValueError("weekly hours need seven weekdays, Monday first")
        seconds: list[tuple[tuple[int, int], ...]] = []
        for weekday, periods in enumerate(self.weekly):
            day: list[tuple[int, int]] = []
            for start, end in periods:
                s, e = _seconds(start), _seconds(end)
                if s >= e:
                    raise ValueError(f"weekday {weekday}: a period must start before it ends ({start}–{end})")
                if day and s < day[-1][1]:
                    raise ValueError(f"weekday {weekday}: periods overlap or are out of order")
                day.append((s, e))
            seconds.append(tuple(day))
        if not self.always_open and not any(seconds):
            raise NoWorkingTime("the calendar has no working time: give at least one working period or make it 7×24")
        makeup = next((day for day in seconds if day), ())
        object.__setattr__(self, "_zone", zone)
        object.__setattr__(self, "_weekly_seconds", tuple(seconds))
        object.__setattr__(self, "_makeup_seconds", makeup)
        object.__setattr__(self, "_plans", {})

    @classmethod
    def standard(
        cls,
        periods: tuple[tuple[time, time], ...] = ((time(8, 30), time(12)), (time(13, 30), time(17, 30))),
        weekdays: tuple[int, ...] = (0, 1, 2, 3, 4),
        **kwargs: object,
    ) -> CalendarSpec:
        """A calendar with the same ``periods`` on each of ``weekdays`` (Monday is 0)."""
        weekly = tuple(tuple(periods) if weekday in weekdays else () for weekday in range(7))
        return cls(weekly=weekly, **kwargs)  # type: ignore[arg-type]

    @property
    def zone(self) -> ZoneInfo:
        return self._zone  # type: ignore[attr-defined,no-any-return]

    def makeup_hours(self) -> tuple[tuple[time, time], ...]:
        """The hours a make-up working day (调休) has: those of the first working weekday."""
        return tuple((_time(s), _time(e)) for s, e in self._makeup_seconds)  # type: ignore[attr-defined]


# -- the public functions ---------------------------------------------------------------------------


def add_business_seconds(spec: CalendarSpec, start: datetime, seconds: int) -> datetime:
    """The instant at which ``seconds`` of business time have passed since ``start`` (aware UTC).

    The result is inside a working period or at its end; with ``seconds == 0`` it is ``start`` when
    ``start`` is in working time, else the start of the next working period.
    """
    if seconds < 0:
        raise ValueError("seconds must not be negative")
    remaining = int(seconds)
    t = _epoch(start)
    if spec.always_open:
        return _utc(t + remaining)
    for s, e in _intervals_from(spec, t):
        if e <= t:
            continue
        s = max(s, t)
        available = e - s
        if remaining <= available:
            return _utc(s + remaining)
        remaining -= available
    raise AssertionError("unreachable: the interval walk is endless")  # pragma: no cover


def business_seconds_between(spec: CalendarSpec, start: datetime, end: datetime) -> int:
    """Business seconds from ``start`` to ``end`` (negative when ``end`` is before ``start``)."""
    a, b = _epoch(start), _epoch(end)
    if b < a:
        return -_between(spec, b, a)
    return _between(spec, a, b)


def explain(spec: CalendarSpec, start: datetime, end: datetime) -> list[Period]:
    """The stretches from ``start`` to ``end``, each counted or not, with a reason code and label."""
    a, b = _epoch(start), _epoch(end)
    if b <= a:
        return []
    if spec.always_open:
        return [Period(_utc(a), _utc(b), True, "working", "")]
    out: list[Period] = []
    day = _local_date(spec, a)
    while True:
        plan = _plan(spec, day)
        if plan.start >= b:
            break
        cursor = plan.start
        pieces: list[tuple[int, int, bool, str]] = []
        for s, e in plan.intervals:
            if s > cursor:
                pieces.append((cursor, s, False, plan.gap_reason))
            pieces.append((s, e, True, plan.counted_reason))
            cursor = e
        if cursor < plan.end:
            pieces.append((cursor, plan.end, False, plan.gap_reason))
        for s, e, counted, reason in pieces:
            s, e = max(s, a), min(e, b)
            if s >= e:
                continue
            last = out[-1] if out else None
            if last and last.counted == counted and last.reason == reason and last.label == plan.label:
                out[-1] = Period(last.start, _utc(e), counted, reason, plan.label)
            else:
                out.append(Period(_utc(s), _utc(e), counted, reason, plan.label))
        day += timedelta(days=1)
    return out


def day_info(spec: CalendarSpec, day: date) -> DayInfo:
    """How the calendar treats the local date ``day`` (for calendar pages and the days API)."""
    if spec.always_open:
        return DayInfo(day, "always_open", True, "", ((time(0), time(0)),))
    kind, seconds, label = _classify(spec, day)
    periods = tuple((_time(s), _time(e)) for s, e in seconds)
    return DayInfo(day, kind, bool(periods), label, periods)


def uncovered_years(spec: CalendarSpec, today: date, *, lookahead_days: int = 60) -> list[int]:
    """Years the calendar lacks holiday data for and needs soon, so administrators are warned.

    A year is needed when the next ``lookahead_days`` reach into it, and the coming year is needed from
    1 November (the official list is published around December).
    """
    if spec.always_open or spec.holiday_years is None:
        return []
    needed = set(range(today.year, (today + timedelta(days=lookahead_days)).year + 1))
    if today.month >= 11:
        needed.add(today.year + 1)
    return sorted(year for year in needed if year not in spec.holiday_years)


# -- internals --------------------------------------------------------------------------------------


def _seconds(value: time) -> int:
    return value.hour * 3600 + value.minute * 60 + value.second


def _time(seconds: int) -> time:
    seconds %= _DAY_SECONDS
    return time(seconds // 3600, seconds // 60 % 60, seconds % 60)


def _epoch(moment: datetime) -> int:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("business time needs aware datetimes")
    return int(moment.replace(microsecond=0).timestamp())


def _utc(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def _local_date(spec: CalendarSpec, epoch: int) -> date:
    return datetime.fromtimestamp(epoch, spec.zone).date()


def _local_epoch(spec: CalendarSpec, day: date, seconds: int) -> int:
    if seconds >= _DAY_SECONDS:
        day, seconds = day + timedelta(days=seconds // _DAY_SECONDS), seconds % _DAY_SECONDS
    local = datetime(day.year, day.month, day.day, seconds // 3600, seconds // 60 % 60, seconds % 60, tzinfo=spec.zone)
    return int(local.timestamp())


def _classify(spec: CalendarSpec, day: date) -> tuple[str, tuple[tuple[int, int], ...], str]:
    """(day kind, working periods as local seconds, label) of one local date."""
    special = spec.days.get(day)
    if special is not None:
        if special.kind == HOLIDAY:
            return "holiday", (), special.name
        return "workday", spec._makeup_seconds, special.name  # type: ignore[attr-defined]
    weekly = spec._weekly_seconds[day.weekday()]  # type: ignore[attr-defined]
    if spec.holiday_years is not None and day.year not in spec.holiday_years:
        return "no_holiday_data", weekly, ""
    return ("weekday" if weekly else "weekend"), weekly, ""


_REASONS_OF_KIND = {
    "weekday": ("working", "outside_hours"),
    "weekend": ("working", "weekend"),
    "holiday": ("working", "holiday"),
    "workday": ("makeup_workday", "outside_hours"),
    "no_holiday_data": ("no_holiday_data", "no_holiday_data"),
}


def _plan(spec: CalendarSpec, day: date) -> _DayPlan:
    plans: dict[date, _DayPlan] = spec._plans  # type: ignore[attr-defined]
    plan = plans.get(day)
    if plan is not None:
        return plan
    kind, seconds, label = _classify(spec, day)
    start = _local_epoch(spec, day, 0)
    end = _local_epoch(spec, day + timedelta(days=1), 0)
    intervals: list[tuple[int, int]] = []
    cursor = start
    for s, e in seconds:
        # Clamp to the day and to the previous period: a DST change must never make periods overlap.
        s, e = max(_local_epoch(spec, day, s), cursor), min(_local_epoch(spec, day, e), end)
        if s < e:
            intervals.append((s, e))
            cursor = e
    counted_reason, gap_reason = _REASONS_OF_KIND[kind]
    plan = _DayPlan(start, end, tuple(intervals), kind, counted_reason, gap_reason, label)
    if len(plans) >= _CACHE_LIMIT:
        plans.clear()
    plans[day] = plan
    return plan


def _intervals_from(spec: CalendarSpec, epoch: int) -> Iterator[tuple[int, int]]:
    """Counted intervals from the local day of ``epoch`` on, without end."""
    day = _local_date(spec, epoch)
    while True:
        yield from _plan(spec, day).intervals
        day += timedelta(days=1)


def _between(spec: CalendarSpec, a: int, b: int) -> int:
    if a == b:
        return 0
    if spec.always_open:
        return b - a
    total = 0
    day = _local_date(spec, a)
    while True:
        plan = _plan(spec, day)
        if plan.start >= b:
            return total
        if plan.end > a:
            for s, e in plan.intervals:
                s, e = max(s, a), min(e, b)
                if s < e:
                    total += e - s
        day += timedelta(days=1)
