"""Business time over real Chinese holiday weeks (the official list of chinese-calendar 1.11.0)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from opsdesk.calendars.businesstime import (
    CalendarSpec,
    add_business_seconds,
    business_seconds_between,
    day_info,
    explain,
    uncovered_years,
)
from tests.calendars.test_businesstime_properties import CN, SHANGHAI

HOUR = 3600
DAY = 7.5 * HOUR  # 08:30–12:00 and 13:30–17:30


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def test_may_day_2026_skips_the_holiday_and_counts_the_make_up_saturday() -> None:
    # Thursday 30 April 16:00 + 3 working hours: 1.5 h on Thursday, then 1–5 May are off, Wednesday 6 May.
    assert add_business_seconds(CN, at(2026, 4, 30, 16), 3 * HOUR) == at(2026, 5, 6, 10).astimezone(UTC)
    # Friday 8 May 17:00 + 1 h: Saturday 9 May is the make-up working day (劳动节调休).
    assert add_business_seconds(CN, at(2026, 5, 8, 17), HOUR) == at(2026, 5, 9, 9).astimezone(UTC)
    # The whole week from Thursday 30 April to Monday 11 May: 30 Apr, 6, 7, 8, 9 (Saturday) and 11 May.
    assert business_seconds_between(CN, at(2026, 4, 30), at(2026, 5, 12)) == 6 * DAY
    saturday = day_info(CN, date(2026, 5, 9))
    assert (saturday.kind, saturday.working, saturday.name) == ("workday", True, "Labour Day")
    assert saturday.periods == ((time(8, 30), time(12)), (time(13, 30), time(17, 30)))


def test_may_day_2025_make_up_day_is_sunday_27_april() -> None:
    assert day_info(CN, date(2025, 4, 27)).kind == "workday"
    assert day_info(CN, date(2025, 4, 26)).kind == "weekend"
    # Friday 25 April 17:00 + 1 h lands on the make-up Sunday, not on Monday.
    assert add_business_seconds(CN, at(2025, 4, 25, 17), HOUR) == at(2025, 4, 27, 9).astimezone(UTC)
    # 30 April 17:00 + 1 h: 1–5 May are the holiday, Tuesday 6 May 09:00.
    assert add_business_seconds(CN, at(2025, 4, 30, 17), HOUR) == at(2025, 5, 6, 9).astimezone(UTC)


def test_spring_festival_2026() -> None:
    # Saturday 14 February is a make-up day; 15–23 February are off; Saturday 28 February works.
    assert add_business_seconds(CN, at(2026, 2, 13, 17), HOUR) == at(2026, 2, 14, 9).astimezone(UTC)
    assert add_business_seconds(CN, at(2026, 2, 14, 17), HOUR) == at(2026, 2, 24, 9).astimezone(UTC)
    assert business_seconds_between(CN, at(2026, 2, 15), at(2026, 2, 24)) == 0
    assert business_seconds_between(CN, at(2026, 2, 23), at(2026, 3, 2)) == 5 * DAY  # 24–27 Feb and Saturday 28
    reasons = {p.reason for p in explain(CN, at(2026, 2, 15), at(2026, 2, 24))}
    assert reasons == {"holiday"}
    labels = {p.label for p in explain(CN, at(2026, 2, 15), at(2026, 2, 24))}
    assert labels == {"Spring Festival"}


def test_zero_seconds_outside_hours_is_the_next_opening() -> None:
    assert add_business_seconds(CN, at(2026, 5, 8, 12, 30), 0) == at(2026, 5, 8, 13, 30).astimezone(UTC)
    assert add_business_seconds(CN, at(2026, 5, 8, 10, 15), 0) == at(2026, 5, 8, 10, 15).astimezone(UTC)
    # Ending exactly at a period's end stays there.
    assert add_business_seconds(CN, at(2026, 5, 8, 11), HOUR) == at(2026, 5, 8, 12).astimezone(UTC)


def test_uncovered_year_is_marked_and_needed_from_november() -> None:
    assert day_info(CN, date(2027, 1, 1)).kind == "no_holiday_data"
    periods = explain(CN, at(2027, 1, 4, 8), at(2027, 1, 4, 10))
    assert {p.reason for p in periods} == {"no_holiday_data"}
    assert uncovered_years(CN, date(2026, 10, 31)) == []
    assert uncovered_years(CN, date(2026, 11, 1)) == [2027]
    assert uncovered_years(CN, date(2026, 6, 1)) == []
    # Without November, the 60 days ahead reaching into a year is enough.
    short = CalendarSpec.standard(holiday_years=frozenset({2026}))
    assert uncovered_years(short, date(2025, 10, 20)) == [2025]
    assert uncovered_years(CalendarSpec.standard(), date(2026, 11, 1)) == []


def test_negative_spans_are_antisymmetric_and_negative_seconds_refused() -> None:
    assert business_seconds_between(CN, at(2026, 5, 7, 10), at(2026, 5, 6, 10)) == -DAY
    with pytest.raises(ValueError):
        add_business_seconds(CN, at(2026, 5, 7, 10), -1)
