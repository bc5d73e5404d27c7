"""Periodic work in process: the scheduler enqueues auto-confirm once a minute; a second one stands by.

The worker running what the scheduler queued is tested as processes, in test_commands."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.test import override_settings

from opsdesk.audit.models import AuditEntry
from opsdesk.core import clock
from opsdesk.core.management.commands.scheduler import Leadership, Schedule, periodic_tasks, tick
from opsdesk.incidents.choices import IncidentState
from opsdesk.incidents.models import Incident
from opsdesk.incidents.services import incident_create, incident_transition

AUTO_CONFIRM = "opsdesk.incidents.tasks.auto_confirm_resolved"
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def resolved_days_ago(world, days: int) -> Incident:
    with clock.frozen_at(clock.now() - dt.timedelta(days=days)):
        incident = incident_create(actor=world.requester, title="打印机无法打印", description="打印时提示脱机。",
                                   service=world.production, category=world.categories["operation"])
        incident_transition(actor=world.desk, incident=incident.number, transition="assign",
                            group=world.l1_group, assignee=world.l1)
        incident_transition(actor=world.l1, incident=incident.number, transition="accept")
        incident_transition(actor=world.l1, incident=incident.number, transition="resolve", resolution="重装驱动。")
    return incident


@pytest.fixture(autouse=True)
def own_data_dir(settings, tmp_path) -> None:
    """The SQLite leader lock lives in the data directory: one per test, so parallel runs never share it."""
    settings.DATA_DIR = tmp_path


@pytest.fixture
def leadership():
    lead = Leadership()
    yield lead
    lead.release()


@override_settings(TASKS=IMMEDIATE, OPSDESK_AUTO_CONFIRM_DAYS=3)
def test_the_scheduler_enqueues_auto_confirm_which_closes_only_stale_resolved_incidents(world, leadership) -> None:
    stale, fresh = resolved_days_ago(world, 5), resolved_days_ago(world, 1)
    schedule = Schedule(periodic_tasks())
    assert AUTO_CONFIRM in tick(schedule, leadership, now=1000.0)
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert (stale.state, stale.auto_confirmed) == (IncidentState.CLOSED, True)
    assert fresh.state == IncidentState.RESOLVED
    entry = AuditEntry.objects.get(action="incident.auto_confirmed", subject_id=stale.pk)
    assert (entry.actor_id, entry.source) == (None, "task")


@override_settings(TASKS=IMMEDIATE)
def test_the_scheduler_enqueues_once_a_minute_and_a_repeat_changes_nothing(world, leadership) -> None:
    resolved_days_ago(world, 10)
    schedule = Schedule(periodic_tasks())
    assert AUTO_CONFIRM in tick(schedule, leadership, now=1000.0)
    entries = AuditEntry.objects.count()
    assert AUTO_CONFIRM not in tick(schedule, leadership, now=1030.0)
    assert AUTO_CONFIRM in tick(schedule, leadership, now=1060.0)
    assert AuditEntry.objects.count() == entries


def test_a_second_scheduler_stands_by_until_the_leader_lets_go(db, leadership) -> None:
    assert leadership.acquire()
    outcomes: list[bool] = []

    def other_node() -> None:  # its own thread: its own database session, as another node would have
        other = Leadership()
        try:
            outcomes.append(other.acquire())
            leadership_released.wait(30)
            outcomes.append(other.acquire())
            other.release()
        finally:
            connection.close()

    leadership_released = threading.Event()
    thread = threading.Thread(target=other_node)
    thread.start()
    for _ in range(300):
        if outcomes:
            break
        threading.Event().wait(0.1)
    leadership.release()
    leadership_released.set()
    thread.join(60)
    assert outcomes == [False, True]
