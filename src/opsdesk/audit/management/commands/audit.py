from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from opsdesk.audit.services import audit_verify_chain


class Command(BaseCommand):
    help = "Audit trail tools. 'verify' checks the hash chain and names the first broken entry."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["verify"])

    def handle(self, *args, **options) -> None:
        report = audit_verify_chain()
        if not report.intact:
            raise CommandError(
                f"audit chain broken at entry {report.first_broken_id}: {report.reason} "
                f"({report.checked} entries before it are intact)"
            )
        self.stdout.write(f"audit chain intact: {report.checked} entries verified")
