"""Thresholds: the scheduler pass finds what is due by an indexed query, each (clock, percent) fires once."""

from __future__ import annotations

import pytest
from django.test import override_settings

from opsdesk.audit.models import AuditEntry
from opsdesk.core import clock
from opsdesk.notifications.models import Notification
from opsdesk.sla.models import FiringStatus, IncidentClock, ThresholdFiring
from opsdesk.sla.services import firings_claim, threshold_fire, thresholds_enqueue_due

from .conftest import act, at

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def run_pass(when, capture) -> int:
    with clock.frozen_at(when), capture(execute=True):
        return thresholds_enqueue_due(when)


def sla_entries(incident) -> list[tuple[str, str, int]]:
    return [(e.action, e.data["clock"], e.data["percent"]) for e in AuditEntry.objects.filter(
        subject_type="incident", subject_id=incident.pk, action__startswith="incident.sla_").order_by("id")]


@override_settings(TASKS=IMMEDIATE)
def test_the_pass_fires_each_threshold_once_and_notifies(world, agreement, report,
                                                         django_capture_on_commit_callbacks):
    incident = report(group=world.l1_group, assignee=world.l1)  # P4: response 2 h → 50 % at 10:00
    assert run_pass(at(2, 9, 59), django_capture_on_commit_callbacks) == 0
    assert run_pass(at(2, 10, 1), django_capture_on_commit_callbacks) == 1
    assert sla_entries(incident) == [("incident.sla_threshold", "response", 50)]
    notes = Notification.objects.filter(kind="sla_threshold")
    assert sorted(notes.values_list("recipient__username", flat=True)) == ["l1", "l1b"]  # handler and group lead
    assert notes.first().data == {"clock": "response", "percent": 50, "due_at": "2026-03-02T03:00:00+00:00"}
    # Running the pass again at the same moment changes nothing.
    assert run_pass(at(2, 10, 2), django_capture_on_commit_callbacks) == 0
    assert len(sla_entries(incident)) == 1
    # Past 80 % and 100 % at once (the scheduler was down): both fire, the breach tells the incident managers.
    assert run_pass(at(2, 11, 30), django_capture_on_commit_callbacks) == 2
    assert sla_entries(incident) == [("incident.sla_threshold", "response", 50),
                                     ("incident.sla_threshold", "response", 80),
                                     ("incident.sla_breached", "response", 100)]
    breached = IncidentClock.objects.get(incident=incident, kind="response")
    assert breached.breached_at == at(2, 11) and breached.next_threshold_at is None
    assert set(Notification.objects.filter(kind="sla_breached").values_list("recipient__username", flat=True)) \
        == {"l1", "l1b", "incident_manager"}


def test_a_firing_acts_once_even_when_its_task_runs_twice(world, agreement, report,
                                                           django_capture_on_commit_callbacks):
    incident = report(group=world.l1_group, assignee=world.l1)
    with clock.frozen_at(at(2, 10, 1)), django_capture_on_commit_callbacks(execute=False):
        thresholds_enqueue_due(at(2, 10, 1))
    firing = ThresholdFiring.objects.get(clock__incident=incident)
    assert firing.status == FiringStatus.QUEUED and firing.percent == 50 and firing.reached_at == at(2, 10)
    with clock.frozen_at(at(2, 10, 2)):
        assert threshold_fire(firing_id=firing.pk) is True
        assert threshold_fire(firing_id=firing.pk) is False
    assert len(sla_entries(incident)) == 1
    assert Notification.objects.filter(kind="sla_threshold").count() == 2
    firing.refresh_from_db()
    assert firing.status == FiringStatus.DONE


def test_a_firing_whose_worker_died_is_enqueued_again_after_the_lease(world, agreement, report, settings,
                                                                       django_capture_on_commit_callbacks):
    settings.OPSDESK_SLA_FIRING_LEASE_SECONDS = 60
    report(group=world.l1_group, assignee=world.l1)
    with clock.frozen_at(at(2, 10, 1)), django_capture_on_commit_callbacks(execute=False):
        assert thresholds_enqueue_due(at(2, 10, 1)) == 1
    firing = ThresholdFiring.objects.get()
    with clock.frozen_at(at(2, 10, 2)):
        assert firings_claim([firing.pk]) == 1  # a worker started the task, then died before it committed
    with clock.frozen_at(at(2, 10, 3)), django_capture_on_commit_callbacks(execute=False):
        assert thresholds_enqueue_due(at(2, 10, 3)) == 0  # inside the lease: not handed out twice
    with clock.frozen_at(at(2, 10, 5)), django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert thresholds_enqueue_due(at(2, 10, 5)) == 1
    assert len(callbacks) == 1
    firing.refresh_from_db()
    assert firing.started_at is None and firing.enqueued_at == at(2, 10, 5)


def test_a_firing_still_waiting_in_the_queue_is_enqueued_again_only_after_the_queue_timeout(
        world, agreement, report, settings, django_capture_on_commit_callbacks):
    settings.OPSDESK_SLA_FIRING_LEASE_SECONDS = 60
    settings.OPSDESK_SLA_FIRING_QUEUE_TIMEOUT_SECONDS = 1800
    report(group=world.l1_group, assignee=world.l1)
    with clock.frozen_at(at(2, 10, 1)), django_capture_on_commit_callbacks(execute=False):
        assert thresholds_enqueue_due(at(2, 10, 1)) == 1  # enqueued; no worker got to it yet
    with clock.frozen_at(at(2, 10, 20)), django_capture_on_commit_callbacks(execute=False):
        assert thresholds_enqueue_due(at(2, 10, 20)) == 0  # a slow queue is not filled again every pass
    with clock.frozen_at(at(2, 10, 32)), django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert thresholds_enqueue_due(at(2, 10, 32)) == 1  # its job was lost: handed out again
    assert len(callbacks) == 1


def test_a_paused_clock_reaches_no_threshold(world, agreement, report, django_capture_on_commit_callbacks):
    incident = report(group=world.l1_group, assignee=world.l1, impact=1, urgency=1)  # P1: resolution 4 h
    act(at(2, 9, 5), world.l1, incident, "accept")
    act(at(2, 9, 30), world.l1, incident, "pend", reason="screenshot please", pending_reason="customer")
    with clock.frozen_at(at(3, 17)), django_capture_on_commit_callbacks(execute=False):
        thresholds_enqueue_due(at(3, 17))
    assert not ThresholdFiring.objects.filter(clock__incident=incident, clock__kind="resolution").exists()


@pytest.mark.parametrize("percent", [50])
def test_a_threshold_moved_by_a_longer_target_is_withdrawn(world, agreement, report, percent,
                                                           django_capture_on_commit_callbacks):
    from opsdesk.incidents import services as incidents

    incident = report(group=world.l1_group, assignee=world.l1, impact=1, urgency=1)  # P1 response 15 min
    with clock.frozen_at(at(2, 9, 10)), django_capture_on_commit_callbacks(execute=False):
        thresholds_enqueue_due(at(2, 9, 10))
    firing = ThresholdFiring.objects.get(clock__incident=incident, clock__kind="response", percent=percent)
    with clock.frozen_at(at(2, 9, 11)):
        incidents.incident_update(actor=world.desk, incident=incident.number, version=incident.version,
                                  impact=3, urgency=2)  # back to P4: response 2 h
        assert threshold_fire(firing_id=firing.pk) is False
    assert not ThresholdFiring.objects.filter(pk=firing.pk).exists()
    assert IncidentClock.objects.get(incident=incident, kind="response").next_threshold_at == at(2, 10)


def test_a_backlog_is_enqueued_in_chunks_and_fires_once(world, agreement, report, monkeypatch,
                                                        django_capture_on_commit_callbacks):
    from opsdesk.sla import services as sla_services
    from opsdesk.sla.tasks import fire_thresholds

    monkeypatch.setattr(sla_services, "SINGLE_TASKS_UP_TO", 2)
    monkeypatch.setattr(sla_services, "ENQUEUE_CHUNK", 4)
    for _ in range(3):
        report(group=world.l1_group, assignee=world.l1)
    with clock.frozen_at(at(2, 11, 30)), django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert thresholds_enqueue_due(at(2, 11, 30)) == 9  # response 50, 80, 100 % of three records
    assert len(callbacks) == 1
    ids = list(ThresholdFiring.objects.order_by("id").values_list("id", flat=True))
    with clock.frozen_at(at(2, 11, 31)):
        assert fire_thresholds.call(ids[:4]) == 4
        assert fire_thresholds.call(ids) == 5  # the first four are done already
    assert AuditEntry.objects.filter(action__startswith="incident.sla_").count() == 9


def test_the_scheduler_enqueues_no_second_pass_while_one_still_waits(world, agreement, report):
    import datetime as dt

    from opsdesk.sla.services import TICK_WAIT_SECONDS
    from opsdesk.sla.tasks import thresholds_pass, thresholds_tick

    report(group=world.l1_group, assignee=world.l1)
    with clock.frozen_at(at(2, 10, 1)):
        first = thresholds_tick.enqueue()
        assert first is not None and first.task.name == thresholds_pass.name  # queued (database or RQ)
        assert thresholds_tick.enqueue() is None  # thirty seconds later the first still waits: none added
    with clock.frozen_at(at(2, 10, 2)):
        assert thresholds_pass.call() == 1  # a worker runs it: the mark is cleared as it starts
        assert thresholds_tick.enqueue() is not None
        assert thresholds_tick.enqueue() is None
    with clock.frozen_at(at(2, 10, 2) + dt.timedelta(seconds=TICK_WAIT_SECONDS + 1)):
        assert thresholds_tick.enqueue() is not None  # the waiting one was lost: another goes in
