"""``opsdesk scheduler``: the one loop that enqueues periodic work.

It only enqueues: the worker runs the tasks. Several nodes may run it at
once: on PostgreSQL the node holding a session-level advisory lock is the
leader and the others wait on standby (taking over when the leader's
connection goes); on SQLite a file lock in the data directory keeps a
second scheduler on the same database idle. The tasks themselves are
idempotent, so a tick that runs twice changes nothing the second time.
"""

from __future__ import annotations

import fcntl
import logging
import os
import signal
import time
from dataclasses import dataclass, field
from typing import IO, Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection
from django.utils.module_loading import import_string

log = logging.getLogger("opsdesk.scheduler")

# Dotted path of a django-tasks Task → seconds between enqueues. Named by path so
# the kernel imports no domain app; OPSDESK_PERIODIC_TASKS in settings may replace it.
DEFAULT_PERIODIC_TASKS: dict[str, int] = {
    "opsdesk.incidents.tasks.auto_confirm_resolved": 60,
    "opsdesk.sla.tasks.thresholds_tick": 30,
    "opsdesk.notifications.tasks.send_queued_email": 60,
}
_LEADER_LOCK_KEY = 0x0D5C4ED  # PostgreSQL advisory lock naming the scheduler leader


def periodic_tasks() -> dict[str, int]:
    return dict(getattr(settings, "OPSDESK_PERIODIC_TASKS", DEFAULT_PERIODIC_TASKS))


@dataclass
class Leadership:
    """Whether this process may enqueue: it holds the PostgreSQL advisory lock or the SQLite file lock."""

    lock_file: IO[str] | None = None
    held: bool = False

    def acquire(self) -> bool:
        if self.held:
            return True
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_lock(%s)", [_LEADER_LOCK_KEY])
                self.held = bool(cursor.fetchone()[0])
        else:
            handle = open(settings.DATA_DIR / "scheduler.lock", "a+")  # held for the life of the process
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.close()
                return False
            self.lock_file, self.held = handle, True
        return self.held

    def release(self) -> None:
        if not self.held:
            return
        if self.lock_file is not None:
            self.lock_file.close()  # closing the file drops the flock
            self.lock_file = None
        elif connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [_LEADER_LOCK_KEY])
        self.held = False

    def lose(self) -> None:
        """After a database error: the session (and so the advisory lock) may be gone."""
        if connection.vendor == "postgresql":
            self.held = False
            connection.close()


@dataclass
class Schedule:
    every: dict[str, int]
    last_enqueued: dict[str, float] = field(default_factory=dict)

    def due(self, now: float) -> list[str]:
        return [path for path, seconds in self.every.items()
                if now - self.last_enqueued.get(path, float("-inf")) >= seconds]


def tick(schedule: Schedule, leadership: Leadership, now: float | None = None) -> list[str]:
    """Enqueue every task that is due, if this process leads. Returns the paths enqueued."""
    now = time.monotonic() if now is None else now
    if not leadership.acquire():
        return []
    enqueued = []
    for path in schedule.due(now):
        import_string(path).enqueue()
        schedule.last_enqueued[path] = now
        enqueued.append(path)
    return enqueued


class Command(BaseCommand):
    help = "Enqueue periodic work (auto-confirm of resolved incidents, every minute). Run one or more per installation."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="enqueue what is due now, then exit")

    def handle(self, *args: Any, **options: Any) -> None:
        schedule, leadership = Schedule(periodic_tasks()), Leadership()
        if options["once"]:
            enqueued = tick(schedule, leadership)
            leadership.release()
            self.stdout.write(f"enqueued: {', '.join(enqueued) or 'nothing (another scheduler leads)'}")
            return
        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        # Explicit handlers: a process started in the background inherits SIGINT ignored.
        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        if options["verbosity"]:
            jobs = ", ".join(f"{path.rsplit('.', 1)[-1]} every {s}s" for path, s in schedule.every.items())
            self.stdout.write(f"opsdesk scheduler (pid {os.getpid()}): {jobs}; Ctrl-C stops it.")
            self.stdout.flush()
        was_leader: bool | None = None
        while not stopping:
            try:
                for path in tick(schedule, leadership):
                    log.info("enqueued %s", path)
            except Exception:  # the database or Redis is away: say so, retry next second
                log.exception("scheduler tick failed; retrying")
                leadership.lose()
            if leadership.held != was_leader and options["verbosity"]:
                self.stdout.write("leading: enqueuing periodic tasks" if leadership.held
                                  else "standing by: another scheduler leads")
                self.stdout.flush()
                was_leader = leadership.held
            time.sleep(1)
        leadership.release()
