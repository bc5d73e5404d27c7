"""``opsdesk worker``: runs queued background tasks (the database queue, or RQ when Redis is configured)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import connections


class Command(BaseCommand):
    help = (
        "Run queued background tasks. Uses the database queue (django-tasks-db) by default, "
        "or an RQ worker when OPSDESK_REDIS_URL is set. Run one or more per installation."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--burst", action="store_true", help="run what is queued now, then exit")

    def handle(self, *args: Any, **options: Any) -> None:
        verbosity = options["verbosity"]
        if settings.REDIS_URL:
            self._run_rq(burst=options["burst"], verbosity=verbosity)
        else:
            self._run_database_queue(burst=options["burst"], verbosity=verbosity)

    def _run_database_queue(self, *, burst: bool, verbosity: int) -> None:
        if verbosity:
            self.stdout.write("opsdesk worker: database queue" + (" (burst)" if burst else "; Ctrl-C stops it."))
        call_command("db_worker", queue_name="*", batch=burst, reload=False, startup_delay=not burst,
                     verbosity=verbosity)

    def _run_rq(self, *, burst: bool, verbosity: int) -> None:
        from django_rq.workers import get_worker
        from rq.logutils import setup_loghandlers

        level = "WARNING" if verbosity == 0 else "INFO"
        setup_loghandlers(level)
        if verbosity:
            self.stdout.write("opsdesk worker: RQ on OPSDESK_REDIS_URL" + (" (burst)" if burst else "; Ctrl-C stops it."))
        worker = get_worker(*settings.TASKS["default"].get("QUEUES", ["default"]), job_class="django_tasks_rq.Job")
        connections.close_all()  # RQ forks a work horse per job: never share a connection with it
        worker.work(burst=burst, logging_level=level)
