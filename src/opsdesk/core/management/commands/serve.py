"""``opsdesk serve``: the production web server (gunicorn) for one machine or one node of many."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import connections
from django.db.migrations.executor import MigrationExecutor
from gunicorn.app.base import BaseApplication


class OpsdeskServer(BaseApplication):
    """gunicorn configured from the command line, serving opsdesk's WSGI application."""

    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if value is not None:
                self.cfg.set(key, value)

    def load(self) -> Any:
        from opsdesk.config.wsgi import application

        return application


def pending_migrations() -> int:
    connection = connections["default"]
    executor = MigrationExecutor(connection)
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


class Command(BaseCommand):
    help = (
        "Serve opsdesk with gunicorn (static files through WhiteNoise). "
        "Run 'opsdesk migrate' first. Put nginx or another proxy in front for TLS."
    )
    requires_system_checks = "__all__"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default=os.environ.get("OPSDESK_BIND", "127.0.0.1:8000"),
                            help="address:port to listen on (default: $OPSDESK_BIND or 127.0.0.1:8000)")
        parser.add_argument("--workers", type=int, default=int(os.environ.get("OPSDESK_WEB_WORKERS", "2")),
                            help="worker processes (default: $OPSDESK_WEB_WORKERS or 2)")
        parser.add_argument("--threads", type=int, default=int(os.environ.get("OPSDESK_WEB_THREADS", "16")),
                            help="threads per worker process; each holds a database connection "
                                 "(default: $OPSDESK_WEB_THREADS or 16)")
        parser.add_argument("--timeout", type=int, default=int(os.environ.get("OPSDESK_WEB_TIMEOUT", "60")),
                            help="seconds before a silent worker is restarted (default: 60)")
        parser.add_argument("--access-log", action="store_true", help="log every request to standard output")

    def handle(self, *args: Any, **options: Any) -> None:
        pending = pending_migrations()
        if pending:
            self.stderr.write(self.style.WARNING(
                f"{pending} migration(s) are not applied: run 'opsdesk migrate' before serving."))
        Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)  # WhiteNoise warns when it is missing
        # Nothing opened here may leak into the forked workers.
        connections.close_all()
        self.stdout.write(f"opsdesk serving on http://{options['bind']}/ "
                          f"({options['workers']} workers × {options['threads']} threads); Ctrl-C stops it.")
        self.stdout.flush()
        OpsdeskServer({
            "bind": options["bind"],
            "workers": max(1, options["workers"]),
            "threads": max(1, options["threads"]),
            "worker_class": "gthread" if options["threads"] > 1 else "sync",
            "timeout": options["timeout"],
            "graceful_timeout": 10,
            "accesslog": "-" if options["access_log"] else None,
            "errorlog": "-",
            "loglevel": "warning",
            "proc_name": "opsdesk",
        }).run()
