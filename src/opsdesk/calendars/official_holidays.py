"""The official Chinese holiday list as the ``chinese-calendar`` package knows it (pinned 1.11.0).

The State Council publishes each year's list around December; the package only knows the years released
with it. ``known_years`` says which, ``official_days`` gives a year's holidays and make-up working days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache

import chinese_calendar
from chinese_calendar.constants import Holiday

HOLIDAY = "holiday"
WORKDAY = "workday"


@dataclass(frozen=True)
class OfficialDay:
    date: date
    kind: str  # "holiday" or "workday" (a make-up working day, 调休)
    name: str  # Chinese name of the holiday, e.g. 劳动节
    name_en: str  # English name, e.g. Labour Day


@cache
def _chinese_names() -> dict[str, str]:
    return {holiday.value: holiday.chinese for holiday in Holiday}


@cache
def known_years() -> frozenset[int]:
    """The years whose official list the installed package holds."""
    return frozenset(day.year for day in (*chinese_calendar.holidays, *chinese_calendar.workdays))


def official_days(year: int) -> list[OfficialDay]:
    """The year's holidays and make-up working days, by date; empty for a year the package does not know."""
    names = _chinese_names()
    days = [
        OfficialDay(day, HOLIDAY, names.get(english, english), english)
        for day, english in chinese_calendar.holidays.items()
        if day.year == year
    ]
    days += [
        OfficialDay(day, WORKDAY, names.get(english, english), english)
        for day, english in chinese_calendar.workdays.items()
        if day.year == year
    ]
    return sorted(days, key=lambda day: day.date)
