"""``opsdesk demo_load``: load the demo organisation and incidents into an empty database."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from opsdesk.demo.loader import DEFAULT_INCIDENTS, DEFAULT_SEED, DemoNotLoadable, demo_loaded, load_demo


class Command(BaseCommand):
    help = "Load the demo data (users with password 'demo', organisations, services, incidents) into an empty database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--incidents", type=int, default=DEFAULT_INCIDENTS,
                            help=f"how many incidents besides the two major-incident families (default {DEFAULT_INCIDENTS})")
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (the same seed, the same story)")
        parser.add_argument("--if-empty", action="store_true",
                            help="do nothing (and succeed) when the demo data is already loaded")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["incidents"] < 7:
            raise CommandError("--incidents must be at least 7 (one per state).")
        if options["if_empty"] and demo_loaded():
            self.stdout.write("demo data already loaded")
            return
        try:
            report = load_demo(incidents=options["incidents"], seed=options["seed"])
        except DemoNotLoadable as error:
            raise CommandError(str(error))
        states = ", ".join(f"{state} {count}" for state, count in sorted(report.states.items()))
        self.stdout.write(f"demo data loaded in {report.seconds:.1f}s: {report.users} users, "
                          f"{report.incidents} incidents ({states})")
