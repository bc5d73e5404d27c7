"""``opsdesk demo``: migrate, load the demo data once, then run the web server, the worker and the scheduler."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, connections

from opsdesk.demo.loader import DEFAULT_INCIDENTS, DemoNotLoadable, demo_loaded, load_demo
from opsdesk.demo.seed import DEMO_PASSWORD, PEOPLE

STOP_GRACE_SECONDS = 10


def port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


class Command(BaseCommand):
    help = (
        "Run the demo: migrate the database in the data directory (default ./var), load the demo data "
        "if it is not there yet, print the demo users, then serve http://127.0.0.1:PORT/ with the "
        "background worker and the scheduler. Ctrl-C stops everything."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 (default 8000)")
        parser.add_argument("--data-dir", help="where the SQLite database and attachments live (default ./var; "
                                               "the same as OPSDESK_DATA_DIR)")
        parser.add_argument("--incidents", type=int, default=DEFAULT_INCIDENTS,
                            help=f"incidents to generate on the first run (default {DEFAULT_INCIDENTS})")
        parser.add_argument("--no-serve", action="store_true", help="migrate and load, then exit")

    def handle(self, *args: Any, **options: Any) -> None:
        port: int = options["port"]
        if not options["no_serve"] and not port_free("127.0.0.1", port):
            raise CommandError(f"port {port} on 127.0.0.1 is in use: stop what runs there, or use --port.")
        where = (f"SQLite database {connection.settings_dict['NAME']}" if connection.vendor == "sqlite"
                 else f"{connection.vendor} database {connection.settings_dict['NAME']} (from OPSDESK_DATABASE_URL)")
        self.stdout.write(f"opsdesk demo: data directory {settings.DATA_DIR}, {where}")
        self.stdout.write("migrating …")
        call_command("migrate", interactive=False, verbosity=0)
        if demo_loaded():
            self.stdout.write("demo data already loaded")
        else:
            self.stdout.write(f"loading demo data ({options['incidents']} incidents; about half a minute) …")
            try:
                report = load_demo(incidents=options["incidents"])
            except DemoNotLoadable as error:
                raise CommandError(f"{error}. Use an empty --data-dir for the demo.")
            self.stdout.write(f"loaded {report.users} users and {report.incidents} incidents in {report.seconds:.1f}s")
        self.print_users(port)
        connections.close_all()
        if options["no_serve"]:
            return
        sys.exit(self.run_processes(port))

    def print_users(self, port: int) -> None:
        self.stdout.write("")
        self.stdout.write(f"Demo users (password for every one: {DEMO_PASSWORD})")
        width = max(len(p.username) for p in PEOPLE)
        shown = [p for p in PEOPLE if not (p.roles == ("requester",) and p.username not in ("requester", "requester2"))]
        for person in shown:
            self.stdout.write(f"  {person.username:<{width}}  {person.display_name}\t{person.does}")
        self.stdout.write(f"  (and {len(PEOPLE) - len(shown)} more requesters in the city companies)")
        self.stdout.write("")
        self.stdout.flush()

    def run_processes(self, port: int) -> int:
        """Run the web server, the worker and the scheduler until Ctrl-C or until one of them stops."""
        env = {**os.environ, "OPSDESK_DATA_DIR": str(settings.DATA_DIR)}
        base = [sys.executable, "-m", "opsdesk"]
        commands = {
            "web server": [*base, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
            "worker": [*base, "worker", "--verbosity", "0"],
            "scheduler": [*base, "scheduler", "--verbosity", "0"],
        }
        children = {name: subprocess.Popen(command, env=env) for name, command in commands.items()}
        stopping, ready = False, False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        failed = ""
        while not stopping and not failed:
            for name, child in children.items():
                if child.poll() is not None:
                    failed = name
            if not ready and not port_free("127.0.0.1", port):
                ready = True
                self.stdout.write(self.style.SUCCESS(
                    f"opsdesk is ready at http://127.0.0.1:{port}/  (API docs: http://127.0.0.1:{port}/api/v1/docs)."
                    "  Ctrl-C stops it."))
                self.stdout.flush()
            time.sleep(0.3)
        if failed:
            self.stderr.write(f"the {failed} stopped (exit code {children[failed].returncode}); stopping the rest")
        self.stdout.write("stopping …")
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGINT)  # what Ctrl-C sends: each stops at once, cleanly
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for child in children.values():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        self.stdout.write("stopped")
        return 1 if failed else 0
