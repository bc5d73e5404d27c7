"""Benchmark of the business-time arithmetic (not a test): deadlines for 100,000 incidents.

Run: .venv/bin/python bench/calendars/businesstime_bench.py
Measures add_business_seconds and business_seconds_between on the standard Chinese calendar (official
holidays and make-up days of chinese-calendar) with one shared spec, as an SLA scheduler uses it.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta

import chinese_calendar

from opsdesk.calendars.businesstime import (
    CalendarSpec,
    SpecialDay,
    add_business_seconds,
    business_seconds_between,
)

N = 100_000


def main() -> None:
    days = {d: SpecialDay("holiday", n) for d, n in chinese_calendar.holidays.items()}
    days |= {d: SpecialDay("workday", n) for d, n in chinese_calendar.workdays.items()}
    spec = CalendarSpec.standard(days=days, holiday_years=frozenset(range(2004, 2027)))
    rng = random.Random(1)
    base = datetime(2025, 1, 1, tzinfo=UTC)
    starts = [base + timedelta(seconds=rng.randrange(0, 700 * 86400)) for _ in range(N)]
    targets = [rng.choice((4, 8, 24, 72, 120)) * 3600 for _ in range(N)]
    began = time.perf_counter()
    dues = [add_business_seconds(spec, s, t) for s, t in zip(starts, targets, strict=True)]
    added = time.perf_counter() - began
    began = time.perf_counter()
    for s, d in zip(starts, dues, strict=True):
        business_seconds_between(spec, s, d)
    measured = time.perf_counter() - began
    print(f"add_business_seconds: {N} in {added:.2f} s ({added / N * 1e6:.1f} µs each)")
    print(f"business_seconds_between: {N} in {measured:.2f} s ({measured / N * 1e6:.1f} µs each)")


if __name__ == "__main__":
    main()
