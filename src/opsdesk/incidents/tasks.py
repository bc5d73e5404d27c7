"""Background tasks of the incident process. Each one parses nothing and calls one service."""

from __future__ import annotations

from django_tasks import task

from opsdesk.audit import context

from .services import incidents_auto_confirm


@task()
def auto_confirm_resolved() -> list[str]:
    """Close the resolved incidents whose requester has not answered in OPSDESK_AUTO_CONFIRM_DAYS.

    Idempotent: the service re-checks each record's state under a row lock, so
    running it twice, or on two nodes at once, closes each record once.
    """
    with context.bound(source="task"):
        return incidents_auto_confirm()
