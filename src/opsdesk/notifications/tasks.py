"""Background tasks of notifications. Each one parses nothing and calls one service."""

from __future__ import annotations

from django_tasks import task

from opsdesk.audit import context

from .services import outgoing_email_send_due


@task()
def send_queued_email() -> dict[str, int]:
    """Send the email that is due: enqueued after each notifying transaction commits, and every minute by
    the scheduler for retries. Safe to run twice or on two nodes at once: each message is claimed first."""
    with context.bound(source="task"):
        report = outgoing_email_send_due()
    return {"sent": report.sent, "deferred": report.deferred, "failed": report.failed}
