"""Properties of the business-time arithmetic (hypothesis), on real calendars: the Chinese official list
with 调休, a 7×24 calendar and a calendar in a DST zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opsdesk.calendars.businesstime import (
    CalendarSpec,
    NoWorkingTime,
    SpecialDay,
    add_business_seconds,
    business_seconds_between,
    explain,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")

OFFICIAL = {day: SpecialDay("holiday", name) for day, name in chinese_calendar.holidays.items()}
OFFICIAL |= {day: SpecialDay("workday", name) for day, name in chinese_calendar.workdays.items()}
CN = CalendarSpec.standard(days=OFFICIAL, holiday_years=frozenset(range(2004, 2027)))
ALWAYS = CalendarSpec(time_zone="Asia/Shanghai", always_open=True)
# Office hours across the DST changes of New York (02:00 local), with an early period touching them.
NY = CalendarSpec.standard(
    periods=((time(1, 30), time(3, 30)), (time(9), time(17))), weekdays=(0, 1, 2, 3, 4, 5, 6),
    time_zone="America/New_York",
)
SPECS = st.sampled_from([CN, ALWAYS, NY])

# Whole seconds from 2024 to the end of 2026 (the years the official list holds).
moments = st.integers(
    min_value=int(datetime(2024, 1, 1, tzinfo=UTC).timestamp()),
    max_value=int(datetime(2026, 12, 1, tzinfo=UTC).timestamp()),
).map(lambda epoch: datetime.fromtimestamp(epoch, UTC))
durations = st.integers(min_value=0, max_value=40 * 8 * 3600)  # up to 40 working days


@settings(max_examples=300, deadline=None)
@given(spec=SPECS, start=moments, seconds=durations)
def test_adding_then_measuring_round_trips(spec: CalendarSpec, start: datetime, seconds: int) -> None:
    end = add_business_seconds(spec, start, seconds)
    assert end >= start
    assert business_seconds_between(spec, start, end) == seconds


@settings(max_examples=300, deadline=None)
@given(spec=SPECS, a=moments, b=moments, c=moments)
def test_between_is_additive(spec: CalendarSpec, a: datetime, b: datetime, c: datetime) -> None:
    assert business_seconds_between(spec, a, b) + business_seconds_between(spec, b, c) == business_seconds_between(
        spec, a, c
    )


@settings(max_examples=200, deadline=None)
@given(spec=SPECS, a=moments, b=moments, s1=durations, s2=durations)
def test_add_is_monotonic(spec: CalendarSpec, a: datetime, b: datetime, s1: int, s2: int) -> None:
    (a, b), (s1, s2) = sorted((a, b)), sorted((s1, s2))
    assert add_business_seconds(spec, a, s1) <= add_business_seconds(spec, b, s1)
    assert add_business_seconds(spec, a, s1) <= add_business_seconds(spec, a, s2)


@settings(max_examples=300, deadline=None)
@given(spec=st.sampled_from([CN, NY]), start=moments, seconds=durations)
def test_result_lies_in_a_working_period_or_at_its_end(spec: CalendarSpec, start: datetime, seconds: int) -> None:
    end = add_business_seconds(spec, start, seconds)
    around = explain(spec, end - timedelta(days=1), end + timedelta(days=1))
    before = [p for p in around if p.start < end <= p.end]
    after = [p for p in around if p.start <= end < p.end]
    # Inside a counted period, at the start of one (seconds == 0 from outside hours) or at the end of one.
    assert any(p.counted for p in before) or any(p.counted for p in after)


@settings(max_examples=200, deadline=None)
@given(a=moments, b=moments, seconds=durations)
def test_7x24_is_wall_time(a: datetime, b: datetime, seconds: int) -> None:
    assert business_seconds_between(ALWAYS, a, b) == int((b - a).total_seconds())
    assert add_business_seconds(ALWAYS, a, seconds) == a + timedelta(seconds=seconds)


@settings(max_examples=150, deadline=None)
@given(start=moments, end=moments)
def test_explain_covers_the_span_and_agrees_with_between(start: datetime, end: datetime) -> None:
    start, end = sorted((start, end))
    end = min(end, start + timedelta(days=45))
    periods = explain(CN, start, end)
    if start == end:
        assert periods == []
        return
    assert periods[0].start == start and periods[-1].end == end
    assert all(p.end == q.start for p, q in zip(periods, periods[1:], strict=False))
    counted = sum(int((p.end - p.start).total_seconds()) for p in periods if p.counted)
    assert counted == business_seconds_between(CN, start, end)
    # Holidays never count; make-up days always do.
    for period in periods:
        local_day = period.start.astimezone(SHANGHAI).date()
        if period.reason == "holiday":
            assert not period.counted and chinese_calendar.holidays.get(local_day)
        if period.reason == "makeup_workday":
            assert period.counted and chinese_calendar.workdays.get(local_day)


@settings(max_examples=100, deadline=None)
@given(day=st.sampled_from(sorted(d for d in chinese_calendar.holidays if 2024 <= d.year <= 2026)))
def test_holidays_never_count(day: date) -> None:
    start = datetime.combine(day, time(0), SHANGHAI)
    assert business_seconds_between(CN, start, start + timedelta(days=1)) == 0


@settings(max_examples=50, deadline=None)
@given(day=st.sampled_from(sorted(d for d in chinese_calendar.workdays if 2024 <= d.year <= 2026)))
def test_make_up_weekend_days_count_a_full_working_day(day: date) -> None:
    assert day.weekday() >= 5  # the official make-up days are Saturdays and Sundays
    start = datetime.combine(day, time(0), SHANGHAI)
    assert business_seconds_between(CN, start, start + timedelta(days=1)) == (3.5 + 4) * 3600


# Santiago changes its clocks at local midnight: day boundaries themselves move.
SANTIAGO = CalendarSpec.standard(
    periods=((time(0), time(0, 30)), (time(8), time(12)), (time(23), time(23, 59, 59))), weekdays=tuple(range(7)),
    time_zone="America/Santiago",
)


@settings(max_examples=200, deadline=None)
@given(a=moments, b=moments, seconds=durations)
def test_a_zone_that_changes_clocks_at_midnight(a: datetime, b: datetime, seconds: int) -> None:
    assert business_seconds_between(SANTIAGO, a, add_business_seconds(SANTIAGO, a, seconds)) == seconds
    a, b = sorted((a, b))
    b = min(b, a + timedelta(days=20))
    periods = explain(SANTIAGO, a, b)
    assert all(p.end == q.start for p, q in zip(periods, periods[1:], strict=False))
    assert sum(int((p.end - p.start).total_seconds()) for p in periods if p.counted) == business_seconds_between(
        SANTIAGO, a, b
    )


def test_dst_days_count_real_elapsed_time() -> None:
    # 2026-03-08: New York springs forward at 02:00 → 03:00; the 01:30–03:30 period lasts one real hour.
    spring = datetime(2026, 3, 8, tzinfo=NEW_YORK)
    assert business_seconds_between(NY, spring, spring + timedelta(hours=23)) == 1 * 3600 + 8 * 3600
    # 2026-11-01: falls back at 02:00 → 01:00; the period lasts three real hours.
    autumn = datetime(2026, 11, 1, tzinfo=NEW_YORK)
    assert business_seconds_between(NY, autumn, autumn + timedelta(hours=25)) == 3 * 3600 + 8 * 3600
    # An ordinary day: two hours and eight hours.
    plain = datetime(2026, 6, 1, tzinfo=NEW_YORK)
    assert business_seconds_between(NY, plain, plain + timedelta(days=1)) == 10 * 3600


def test_no_working_time_is_refused() -> None:
    with pytest.raises(NoWorkingTime):
        CalendarSpec()
    with pytest.raises(ValueError, match="start before it ends"):
        CalendarSpec.standard(periods=((time(12), time(9)),))
    with pytest.raises(ValueError, match="overlap"):
        CalendarSpec.standard(periods=((time(8), time(12)), (time(11), time(13))))
    with pytest.raises(ValueError, match="aware"):
        add_business_seconds(CN, datetime(2026, 5, 6, 9), 60)  # noqa: DTZ001 - a naive datetime on purpose
