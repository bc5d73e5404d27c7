"""Time the re-plan after a calendar edit on a benchmark database: every running clock of the 100k (or 10k, 1M)
database counts in its one calendar, so moving that calendar's stamp makes the scheduler re-plan them all.

    OPSDESK_DATABASE_URL=postgres://postgres@127.0.0.1:5432/opsdesk_bench_sla_100000 \\
        .venv/bin/python bench/sla/replan.py

It records the watermark when missing (first sight), gives every calendar a new stamp (the working hours
stay as they are, so the clocks get the values they had and the pass benchmark is not disturbed), then calls
``clocks_replan_changed_calendars`` the way the tick does — one call per tick, each within the re-plan budget
— until the calendars are recorded as planned, and prints each call's clocks and seconds and the total.
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsdesk.config.settings")


def main() -> None:
    import django

    django.setup()
    from opsdesk.calendars.models import BusinessCalendar
    from opsdesk.core import clock
    from opsdesk.sla.models import CalendarWatermark, IncidentClock
    from opsdesk.sla.services import clocks_replan_changed_calendars

    now = clock.now()
    clocks_replan_changed_calendars(now)  # first sight records the stamps (and finishes any re-plan under way)
    while CalendarWatermark.objects.filter(replan_stamp__isnull=False).exists():
        clocks_replan_changed_calendars(now)
    for calendar in BusinessCalendar.objects.all():
        BusinessCalendar.objects.filter(pk=calendar.pk).update(stamp=uuid.uuid4())
    running = IncidentClock.objects.filter(running_since__isnull=False).count()
    print(f"{running:,} running clocks; load average {os.getloadavg()[0]:.1f}")
    total, calls, started = 0, 0, time.perf_counter()
    while True:
        t0 = time.perf_counter()
        done = clocks_replan_changed_calendars(now)
        calls += 1
        total += done
        print(f"  call {calls}: {done:,} clocks in {time.perf_counter() - t0:.2f} s")
        if not CalendarWatermark.objects.filter(replan_stamp__isnull=False).exists():
            break
    print(f"re-planned {total:,} clocks in {calls} calls, {time.perf_counter() - started:.1f} s; "
          f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
