"""Every SLA threshold fires exactly once: two schedulers and two workers, one worker killed mid-batch.

The test commits a few hundred incidents whose clocks started days ago (every threshold of every running
clock is due), then starts two ``opsdesk scheduler`` and two ``opsdesk worker`` processes on the test's own
PostgreSQL database — RQ workers on a Redis database of their own, or the database queue — and, once some
but not all thresholds have fired, kills one worker (and the work horse running its job) with SIGKILL. The
job in hand is lost; the system must notice and fire what it never finished. The child processes' lease is
five seconds (child_settings.py), so firings still waiting in the queue are enqueued again and delivered
twice: each must still act once (a fire task without its queued → done guard fails here with
duplicates; checked by hand with such a mutant: 200 duplicates). When the work has settled it
checks, against what the test computed itself: one firing row per due threshold, one in-app notification
per (clock, threshold, recipient) and one timeline entry per firing — none twice, none missing.

It needs PostgreSQL (SQLite's test database lives in the test process's memory, where no other process can
see it) and, for the RQ variant, Redis (OPSDESK_REDIS_URL).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import time
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from opsdesk.audit.models import AuditEntry
from opsdesk.core import clock
from opsdesk.core.management.commands.scheduler import DEFAULT_PERIODIC_TASKS
from opsdesk.incidents.models import Incident
from opsdesk.incidents.services import incident_create, incident_transition
from opsdesk.notifications.models import Notification

from .fleet import Fleet, child_env, database_url, redis_url_with_db, wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

# Incidents per variant (three thresholds each). A pass that finds more than 50 firings hands them
# out in chunked fire_thresholds tasks (250 ids each), fewer as one fire_threshold task each (a variant
# may run both). Each firing notifies and appends to the audit chain (one writer at a time).
INCIDENTS = {"rq": int(os.environ.get("OPSDESK_SLA_EXACTLY_ONCE_INCIDENTS", "200")),
             "database": int(os.environ.get("OPSDESK_SLA_EXACTLY_ONCE_INCIDENTS_DB", "100"))}
REDIS_DB = int(os.environ.get("OPSDESK_SLA_EXACTLY_ONCE_REDIS_DB", "13"))  # CI's cache uses 0
DEADLINE = 150.0  # seconds for every firing to be done after the processes start
THRESHOLDS = (50, 80, 100)
SLA_KINDS = ("sla_threshold", "sla_breached")
TIMELINE_ACTIONS = ("incident.sla_threshold", "incident.sla_breached")
# One task per firing, or (a pass with more than 500) one per chunk of 50, each firing its own transaction.
FIRE_TASKS = ("opsdesk.sla.tasks.fire_threshold", "opsdesk.sla.tasks.fire_thresholds")


@pytest.fixture(params=["rq", "database"])
def backend(request) -> str:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: the scheduler and worker processes must share the test's database, "
                    "and SQLite's test database is in this process's memory")
    if request.param == "rq" and not settings.REDIS_URL:
        pytest.skip("the RQ variant needs Redis: set OPSDESK_REDIS_URL")
    return request.param


def configure_agreement(world) -> None:
    """A 7×24 agreement on the production service: P3 response 60 min, resolution 8 h; thresholds 50/80/100 %."""
    from opsdesk.calendars.models import BusinessCalendar
    from opsdesk.sla.models import AgreementTarget, AgreementThreshold, ServiceLevelAgreement
    from opsdesk.sla.services import service_agreement_set

    moment = clock.now()
    calendar = BusinessCalendar.objects.create(code="always", name="7×24", always_open=True,
                                               created_at=moment, updated_at=moment)
    agreement = ServiceLevelAgreement.objects.create(code="standard", name="标准", calendar=calendar,
                                                     created_at=moment, updated_at=moment)
    for priority in (1, 2, 3, 4):
        AgreementTarget.objects.create(agreement=agreement, priority=priority, response_minutes=60,
                                       resolution_minutes=480)
    for percent in THRESHOLDS:
        AgreementThreshold.objects.create(agreement=agreement, percent=percent, notify_assignee=True,
                                          notify_group_lead=True, notify_managers=percent == 100)
    service_agreement_set(actor=world.admin, service=world.production, agreement=agreement)


def open_incidents_started_days_ago(world, count: int) -> list[Incident]:
    """``count`` incidents recorded three days ago and taken at once (the response clock stopped, met): the
    resolution clock runs, far past 100 %, so each has its 50 %, 80 % and 100 % threshold due."""
    incidents = []
    with clock.frozen_at(clock.now() - dt.timedelta(days=3)):
        for n in range(count):
            incident = incident_create(actor=world.requester, title=f"营销系统无法登录 {n}",
                                       description="登录时提示会话超时。", service=world.production,
                                       category=world.categories["operation"])
            incident_transition(actor=world.desk, incident=incident.number, transition="assign",
                                group=world.l1_group, assignee=world.l1)
            incident_transition(actor=world.l1, incident=incident.number, transition="accept")
            incidents.append(incident)
    return incidents


def due_thresholds(now: dt.datetime) -> set[tuple[int, int]]:
    """(clock id, percent) of every threshold reached by ``now``, worked out here from the stored clocks
    (7×24 calendar, never paused: threshold p is reached at started_at + p % of the target)."""
    from opsdesk.sla.models import IncidentClock

    due = set()
    for clock_id, started, target in IncidentClock.objects.filter(stopped_at__isnull=True).values_list(
            "pk", "started_at", "target_seconds"):
        for percent in THRESHOLDS:
            if started + dt.timedelta(seconds=target * percent / 100) <= now:
                due.add((clock_id, percent))
    return due


def done_count() -> int:
    from opsdesk.sla.models import FiringStatus, ThresholdFiring

    return ThresholdFiring.objects.filter(status=FiringStatus.DONE).count()


def progress(fleet: Fleet, total: int) -> str:
    """Where the work stands, for a timeout's message: firings by status, and each process's last lines."""
    from opsdesk.sla.models import ThresholdFiring

    by_status = dict(Counter(ThresholdFiring.objects.values_list("status", flat=True)))
    return f"firings: {by_status} of {total} due\n{fleet.logs()}"


def _firing_status(firing_id: int) -> str:
    from opsdesk.sla.models import ThresholdFiring

    return ThresholdFiring.objects.get(pk=firing_id).status


RQ_JOB_STARTED = re.compile(r"default: ([\w.]+)\((.*?)\) \((\w+)\)")
DB_WORKER_ID = re.compile(r"Starting worker worker_id=(\S+)")


def _ids(args: object) -> list[int]:
    """The firing ids a fire task was given: one id (``fire_threshold``) or a chunk (``fire_thresholds``)."""
    return [int(i) for i in args] if isinstance(args, list) else [int(args)]  # type: ignore[union-attr]


def firing_in_hand(fleet: Fleet, backend: str, redis: str) -> tuple[str, str, list[int]] | None:
    """(worker, task path, firing ids) of a worker busy with a firing task right now, if one is."""
    for name in ("worker-1", "worker-2"):
        log = fleet.log(name, tail=50000)
        if backend == "rq":
            started = RQ_JOB_STARTED.findall(log)
            if started and fleet.horses(name):
                path, args, job = started[-1]
                if path in FIRE_TASKS and f"Job OK ({job})" not in log:
                    return name, path, _ids(_rq_job_args(redis, job))  # the log shortens long arguments
        else:
            from django_tasks_db.models import DBTaskResult

            worker_id = DB_WORKER_ID.search(log)
            running = worker_id and DBTaskResult.objects.filter(
                status="RUNNING", task_path__in=FIRE_TASKS, worker_ids__contains=[worker_id.group(1)]).first()
            if running:
                return name, running.task_path, _ids(running.args_kwargs["args"][0])
    return None


def _rq_job_args(redis: str, job_id: str) -> object:
    import redis as redis_client
    from rq.job import Job

    return Job.fetch(job_id, connection=redis_client.Redis.from_url(redis)).args[0]


def fire_tasks_run(fleet: Fleet, backend: str) -> Counter[str]:
    """How many firing tasks of each kind the workers started (more than needed: re-enqueued ones)."""
    if backend == "rq":
        return Counter(path.rsplit(".", 1)[1] for name in ("worker-1", "worker-2")
                       for path, _args, _job in RQ_JOB_STARTED.findall(fleet.log(name, tail=10**9))
                       if path in FIRE_TASKS)
    from django_tasks_db.models import DBTaskResult

    return Counter(path.rsplit(".", 1)[1] for path in DBTaskResult.objects.filter(task_path__in=FIRE_TASKS)
                   .exclude(status="READY").values_list("task_path", flat=True))


def activity() -> tuple[int, int, int]:
    from opsdesk.sla.models import ThresholdFiring

    return (ThresholdFiring.objects.filter(status="done").count(),
            Notification.objects.filter(kind__in=SLA_KINDS).count(),
            AuditEntry.objects.filter(action__in=TIMELINE_ACTIONS).count())


def test_every_threshold_fires_exactly_once_across_processes_with_a_worker_killed(
        backend: str, world, tmp_path: Path) -> None:
    assert any(path.startswith("opsdesk.sla.") for path in DEFAULT_PERIODIC_TASKS), \
        "the scheduler runs no SLA pass: register it in DEFAULT_PERIODIC_TASKS"
    configure_agreement(world)
    incidents = open_incidents_started_days_ago(world, INCIDENTS[backend])
    expected = due_thresholds(clock.now())
    assert len(expected) == len(incidents) * len(THRESHOLDS)  # the resolution clock of each incident, every threshold

    redis = redis_url_with_db(settings.REDIS_URL, REDIS_DB) if backend == "rq" else ""
    if redis:
        import redis as redis_client

        redis_client.Redis.from_url(redis).flushdb()
    env = child_env(database=database_url(connection.settings_dict), data_dir=tmp_path / "data", redis=redis)
    # The processes' output: in the test's scratch directory, or where OPSDESK_SLA_EXACTLY_ONCE_LOGS says.
    logs = Path(os.environ.get("OPSDESK_SLA_EXACTLY_ONCE_LOGS") or tmp_path / "logs") / backend
    fleet = Fleet(env=env, log_dir=logs)
    began = time.monotonic()
    killed: dict[str, object] = {}
    try:
        for name in ("scheduler-1", "scheduler-2"):
            fleet.start(name, "scheduler")
        for name in ("worker-1", "worker-2"):
            fleet.start(name, "worker")

        # Mid-batch: some firings done, most not, and the victim in the middle of a firing task.
        total = len(expected)
        wait_until(lambda: done_count() >= total // 10, timeout=DEADLINE, what=f"a tenth of {total} firings done",
                   on_timeout=lambda: progress(fleet, total))
        victim, task_path, in_hand = wait_until(lambda: firing_in_hand(fleet, backend, redis), timeout=30, interval=0.01,
                                                what="a worker running a firing task", on_timeout=fleet.logs)
        fleet.sigkill(victim)
        # Still queued after the kill: the firings of that task it had not committed (lost, to be recovered).
        lost = [firing for firing in in_hand if _firing_status(firing) == "queued"]
        killed = {"worker": victim, "done_before": done_count(), "task": task_path.rsplit(".", 1)[1],
                  "in_hand": in_hand, "lost": lost}
        assert killed["done_before"] < total, "every threshold fired before the kill: nothing was mid-batch"

        shown = {"at": 0.0}

        def all_done() -> bool:
            done = done_count()
            if time.monotonic() - shown["at"] >= 5:  # a line every few seconds for whoever watches with -s
                print(f"  {time.monotonic() - began:5.1f} s: {done}/{total} firings done", flush=True)
                shown["at"] = time.monotonic()
            return done >= total

        wait_until(all_done, timeout=max(1.0, DEADLINE - (time.monotonic() - began)),
                   what=f"all {total} firings done after killing {victim}",
                   on_timeout=lambda: progress(fleet, total))
        # Settled: nothing changes for three seconds (a late duplicate would show up here).
        last = {"value": activity(), "since": time.monotonic()}

        def settled() -> bool:
            now_activity = activity()
            if now_activity != last["value"]:
                last.update(value=now_activity, since=time.monotonic())
            return time.monotonic() - last["since"] >= 3

        wait_until(settled, timeout=60, interval=0.25, what="the work to settle", on_timeout=fleet.logs)
        elapsed = time.monotonic() - began
    finally:
        fleet.stop()
        if redis:
            redis_client.Redis.from_url(redis).flushdb()
    task_runs = fire_tasks_run(fleet, backend)

    firings = _firings()
    notifications = _threshold_notifications()
    timeline = _timeline_entries()
    fired = set(firings)
    duplicates = {
        "firings": sum(n - 1 for n in firings.values() if n > 1),
        "notifications": sum(n - 1 for n in notifications.values() if n > 1),
        "timeline": sum(n - 1 for n in timeline.values() if n > 1),
    }
    missing = {
        "firings": len(expected - fired),
        "notifications": len(expected - {(c, p) for c, p, _r in notifications}),
        "timeline": len(expected - set(timeline)),
    }
    print(f"\nSLA exactly-once ({backend}): {len(incidents)} incidents, {len(expected)} thresholds due, "
          f"{len(fired & expected)} fired, {sum(notifications.values())} notifications, "
          f"{sum(timeline.values())} timeline entries; killed {killed['worker']} with SIGKILL after "
          f"{killed['done_before']} firings, in the middle of {killed['task']} of {len(killed['in_hand'])} "
          f"firing(s), {len(killed['lost'])} of them not committed (fired later by the other worker); "
          f"tasks run: {dict(task_runs)}; "
          f"duplicates {sum(duplicates.values())}, missing {sum(missing.values())}; {elapsed:.1f} s")
    assert fired == expected, f"fired but not due: {sorted(fired - expected)[:5]}; due, not fired: {sorted(expected - fired)[:5]}"
    assert duplicates == {"firings": 0, "notifications": 0, "timeline": 0}, fleet.logs()
    assert missing == {"firings": 0, "notifications": 0, "timeline": 0}
    _assert_recipients(notifications, world)


def _firings() -> Counter[tuple[int, int]]:
    from opsdesk.sla.models import ThresholdFiring

    return Counter(ThresholdFiring.objects.filter(status="done").values_list("clock_id", "percent"))


def _clock_ids() -> dict[tuple[int, str], int]:
    from opsdesk.sla.models import IncidentClock

    return {(i, k): c for c, i, k in IncidentClock.objects.values_list("pk", "incident_id", "kind")}


def _threshold_notifications() -> Counter[tuple[int, int, int]]:
    """(clock id, percent, recipient) → how many threshold/breach notifications say so."""
    clocks = _clock_ids()
    return Counter(
        (clocks[(subject, data["clock"])], int(data["percent"]), recipient)
        for subject, data, recipient in Notification.objects.filter(kind__in=SLA_KINDS, subject_type="incident")
        .values_list("subject_id", "data", "recipient_id")
    )


def _timeline_entries() -> Counter[tuple[int, int]]:
    """(clock id, percent) → how many timeline (audit) entries record that threshold reached."""
    clocks = _clock_ids()
    return Counter(
        (clocks[(subject, data["clock"])], int(data["percent"]))
        for subject, data in AuditEntry.objects.filter(action__in=TIMELINE_ACTIONS, subject_type="incident")
        .values_list("subject_id", "data")
    )


def _assert_recipients(notifications: Counter[tuple[int, int, int]], world) -> None:
    """The handler and the group lead hear of every threshold (the agreement says so)."""
    recipients: dict[tuple[int, int], set[int]] = {}
    for clock_id, percent, recipient in notifications:
        recipients.setdefault((clock_id, percent), set()).add(recipient)
    lacking = [key for key, who in recipients.items() if not {world.l1.pk, world.l1b.pk} <= who]
    assert not lacking, f"{len(lacking)} firings did not notify both the handler and the group lead"
