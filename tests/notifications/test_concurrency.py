"""Two workers sending at once deliver each message once (PostgreSQL: row locks with SKIP LOCKED)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from opsdesk.accounts.models import User
from opsdesk.notifications.models import EmailStatus, OutgoingEmail
from opsdesk.notifications.services import DeliveryReport, notify, outgoing_email_send_due
from tests.incidents.records import Maker

from .conftest import SmtpServer

DUMMY = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


@pytest.mark.django_db(transaction=True)
def test_two_workers_sending_at_once_deliver_every_message_exactly_once(smtp: SmtpServer, settings) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers, so there is no race to lose")
    from tests.conftest import build_world

    settings.TASKS = DUMMY  # nothing sends on commit: the two workers below do all of it
    world = build_world()
    people = [User.objects.create(username=f"p{n}", email=f"p{n}@example.test") for n in range(40)]
    incident = Maker(world).report()
    notify(recipients=people, kind="assigned", subject=incident, actor=world.desk)
    assert OutgoingEmail.objects.filter(status=EmailStatus.QUEUED).count() == 40

    start = threading.Barrier(2)
    reports: list[DeliveryReport] = []

    def worker() -> None:
        try:
            start.wait()
            reports.append(outgoing_email_send_due(limit=5))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    delivered = sorted(str(m["To"]) for m in smtp.mailbox.messages)
    assert delivered == sorted(f"p{n}@example.test" for n in range(40))  # every one, none twice
    assert sum(r.sent for r in reports) == 40
    assert OutgoingEmail.objects.filter(status=EmailStatus.SENT).count() == 40
