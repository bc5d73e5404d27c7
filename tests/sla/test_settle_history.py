"""Settling history: thresholds a bulk-written history (the demo) passed count as fired, without anyone being
told; the scheduler's first pass then has nothing to do, and later thresholds fire as usual."""

from __future__ import annotations

import datetime as dt

from django.test import override_settings

from opsdesk.audit.models import AuditEntry
from opsdesk.core import clock
from opsdesk.demo.loader import load_demo
from opsdesk.notifications.models import Notification
from opsdesk.sla.models import FiringStatus, IncidentClock, ThresholdFiring
from opsdesk.sla.services import clocks_settle_history, thresholds_enqueue_due

from .conftest import act, at

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
FAST_HASHER = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])


def sla_entries() -> list[tuple[str, str, int]]:
    return [(e.action, e.data["clock"], e.data["percent"])
            for e in AuditEntry.objects.filter(action__startswith="incident.sla_").order_by("id")]


@override_settings(TASKS=IMMEDIATE)
def test_passed_thresholds_are_recorded_fired_without_notifications(world, agreement, report,
                                                                    django_capture_on_commit_callbacks):
    late = report(group=world.l1_group, assignee=world.l1)  # P4: response 2 h, resolution 32 h (50 % Tue 17:00)
    taken = report(group=world.l1_group, assignee=world.l1)
    act(at(2, 9, 30), world.l1, taken, "accept")  # responded within 50 %: nothing reached
    with clock.frozen_at(at(3, 16)), django_capture_on_commit_callbacks(execute=True):
        assert clocks_settle_history(at(3, 16)) == 3
        assert thresholds_enqueue_due(at(3, 16)) == 0
    response = IncidentClock.objects.get(incident=late, kind="response")
    assert response.breached_at == at(2, 11) and response.next_threshold_at is None
    done = ThresholdFiring.objects.filter(clock=response)
    assert sorted(done.values_list("percent", "status")) == [(50, FiringStatus.DONE), (80, FiringStatus.DONE),
                                                           (100, FiringStatus.DONE)]
    assert done.get(percent=100).fired_at == at(2, 11) and done.get(percent=100).enqueued_at is None
    assert not ThresholdFiring.objects.filter(status=FiringStatus.QUEUED).exists()
    assert not Notification.objects.filter(kind__startswith="sla_").exists()
    assert sla_entries() == []
    assert IncidentClock.objects.get(incident=taken, kind="response").breached_at is None
    # Thresholds reached after the settling fire as usual: both resolution clocks pass 50 % at 17:00.
    with clock.frozen_at(at(3, 17, 1)), django_capture_on_commit_callbacks(execute=True):
        assert thresholds_enqueue_due(at(3, 17, 1)) == 2
    assert sla_entries() == [("incident.sla_threshold", "resolution", 50)] * 2
    assert Notification.objects.filter(kind="sla_threshold").exists()


@override_settings(TASKS=IMMEDIATE)
def test_the_demo_leaves_no_threshold_for_the_first_scheduler_pass(db, django_capture_on_commit_callbacks):
    now = dt.datetime(2026, 11, 27, 2, 0, tzinfo=dt.UTC)
    with FAST_HASHER:
        load_demo(incidents=20, now=now)
    assert ThresholdFiring.objects.filter(status=FiringStatus.DONE).exists()  # sixty days passed many
    assert IncidentClock.objects.filter(breached_at__isnull=False, stopped_at__isnull=True).exists()
    assert not ThresholdFiring.objects.filter(status=FiringStatus.QUEUED).exists()
    with clock.frozen_at(now), django_capture_on_commit_callbacks(execute=True):
        assert thresholds_enqueue_due(now) == 0
    assert not Notification.objects.filter(kind__startswith="sla_").exists()
    assert sla_entries() == []
