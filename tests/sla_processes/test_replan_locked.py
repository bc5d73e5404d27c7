"""A calendar re-plan meets a clock another transaction holds (an incident being updated): it re-plans every
other clock, waits for that one, re-plans it too, and only then records the calendar as planned.

Before SLA3 the re-plan skipped locked clocks (``SKIP LOCKED``) and recorded the calendar as done anyway, so a
clock locked at that moment was never re-planned. It needs PostgreSQL (row locks held by a second session).
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid

import psycopg
import pytest
from django.db import connection

from opsdesk.core import clock

from .fleet import wait_until
from .test_exactly_once import configure_agreement, open_incidents_started_days_ago

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

FAR = dt.datetime(2099, 1, 1, tzinfo=dt.UTC)  # a next threshold no plan would give: marks "not re-planned"


def waiting_for_a_lock() -> int:
    """Sessions waiting for a row lock of the clock table (read from the test's own session: another session
    in a transaction would see the statistics as they were when its transaction began)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE %s",
                       ["%sla_incidentclock%"])
        return cursor.fetchone()[0]


def test_a_clock_locked_during_a_calendar_replan_is_replanned_before_the_calendar_counts_as_done(world):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: a second session must hold a clock's row lock")
    from opsdesk.calendars.models import BusinessCalendar
    from opsdesk.sla.models import CalendarWatermark, IncidentClock
    from opsdesk.sla.services import clocks_replan_changed_calendars

    configure_agreement(world)
    open_incidents_started_days_ago(world, 3)
    now = clock.now()
    clocks_replan_changed_calendars(now)  # first sight: the stamps are remembered
    running = IncidentClock.objects.filter(running_since__isnull=False)
    ids = sorted(running.values_list("id", flat=True))
    assert len(ids) == 3
    running.update(next_threshold_at=FAR)
    calendar = BusinessCalendar.objects.get(code="always")
    new_stamp = uuid.uuid4()
    BusinessCalendar.objects.filter(pk=calendar.pk).update(stamp=new_stamp)

    held = ids[1]
    other = psycopg.connect(**connection.get_connection_params())
    other.execute("SELECT id FROM sla_incidentclock WHERE id = %s FOR UPDATE", [held])  # an incident update
    errors: list[BaseException] = []

    def replan() -> None:
        from django.db import connection as thread_connection
        try:
            clocks_replan_changed_calendars(now)
        except BaseException as error:  # reported by the test below
            errors.append(error)
        finally:
            thread_connection.close()

    worker = threading.Thread(target=replan)
    worker.start()
    try:
        wait_until(lambda: waiting_for_a_lock(), timeout=30, interval=0.05, what="the re-plan waiting for the lock")
        plans = dict(IncidentClock.objects.filter(id__in=ids).values_list("id", "next_threshold_at"))
        assert plans[held] == FAR  # still held by the other transaction
        assert all(plans[i] != FAR for i in ids if i != held)  # the rest of the chunk is re-planned and committed
        assert CalendarWatermark.objects.get(calendar=calendar).stamp != new_stamp  # not recorded as done yet
    finally:
        other.rollback()  # the incident update ends
        other.close()
        worker.join(timeout=60)
    assert not errors, errors
    assert IncidentClock.objects.get(id=held).next_threshold_at != FAR
    assert CalendarWatermark.objects.get(calendar=calendar).stamp == new_stamp
