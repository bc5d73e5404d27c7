"""Concurrent API creates through the real server: ``opsdesk serve`` (gunicorn, threads) on the test's PostgreSQL.

Requests that one worker process serves at the same moment are written together (core/groupcommit.py):
one transaction, one number range, one audit-chain append. What a user of the API must still see: every
valid create answers 201 with its own record (its own title, a number nobody else got), a bad one
answers 422 naming its field without sinking the creates it was batched with, and the timeline of every
record starts with its own creation entry, from the API and the caller's address; the audit chain stays
intact. That creates were really batched shows in the records: one batch shares one creation time.

Needs PostgreSQL: the server process must see the test's committed database (SQLite's lives in memory).
"""

from __future__ import annotations

import socket
import threading
from collections import Counter
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from django.db import connection

from opsdesk.accounts.services import api_token_create
from opsdesk.audit.models import AuditEntry
from opsdesk.audit.services import audit_verify_chain
from opsdesk.incidents.models import Incident
from tests.sla_processes.fleet import Fleet, child_env, database_url, wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 12
ROUNDS = 6


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def server(world, tmp_path: Path):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: the server process must share the test's database, and SQLite's test "
                    "database is in this process's memory")
    port = free_port()
    env = child_env(database=database_url(settings.DATABASES["default"]), data_dir=tmp_path / "data",
                    extra={"DJANGO_SETTINGS_MODULE": "opsdesk.config.settings"})
    fleet = Fleet(env=env, log_dir=tmp_path / "logs")
    fleet.start("web", "serve", "--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "8")
    base = f"http://127.0.0.1:{port}"

    def answering() -> bool:
        if not fleet.alive("web"):
            raise AssertionError(f"opsdesk serve stopped:\n{fleet.logs()}")
        try:
            return httpx.get(f"{base}/api/v1/openapi.json", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    wait_until(answering, timeout=60, what="opsdesk serve to answer", on_timeout=fleet.logs)
    try:
        yield base, fleet
    finally:
        fleet.stop()


def test_concurrent_creates_are_batched_and_each_caller_gets_its_own_answer(world, server) -> None:
    base, fleet = server
    secret = api_token_create(actor=world.users.desk, name="concurrent").secret
    requesters = [world.users.requester.pk, world.users.requester2.pk]
    answers: list[tuple[str, int, dict]] = []
    lock = threading.Lock()

    def post(thread: int, round_: int) -> None:
        with httpx.Client(base_url=base, timeout=60, headers={"Authorization": f"Bearer {secret}",
                                                              "Accept-Language": "en"}) as client:
            for index in range(3):
                title = f"并发报障 {round_}-{thread}-{index}"
                bad = (thread + index) % 5 == 0  # some creates name a service that does not exist
                payload = {"title": title, "description": "打印机卡纸", "service": 999999 if bad else world.production.pk,
                           "requester": requesters[(thread + index) % 2], "impact": 2, "urgency": 2}
                response = client.post("/api/v1/incidents", json=payload)
                with lock:
                    answers.append((title if not bad else f"bad {title}", response.status_code, response.json()))

    for round_ in range(ROUNDS):
        pool = [threading.Thread(target=post, args=(thread, round_)) for thread in range(THREADS)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join(120)
        assert not any(thread.is_alive() for thread in pool), fleet.logs()
        batches = Counter(Incident.objects.values_list("created_at", flat=True))
        if max(batches.values(), default=0) > 1:
            break

    good = [(title, body) for title, status, body in answers if not title.startswith("bad ")]
    bad = [(status, body) for title, status, body in answers if title.startswith("bad ")]
    assert bad and good
    assert all(status == 201 for title, status, body in answers if not title.startswith("bad ")), \
        [a for a in answers if a[1] != 201 and not a[0].startswith("bad ")][:3]
    # Each caller got its own record back, under a number nobody else got.
    assert all(body["title"] == title for title, body in good)
    numbers = [body["number"] for title, body in good]
    assert len(set(numbers)) == len(numbers)
    # A refused create names its field and left nothing behind; the others of its batch were written.
    assert all(status == 422 and "service" in body["errors"] for status, body in bad), bad[:3]
    assert set(Incident.objects.values_list("number", flat=True)) == set(numbers)
    # Creates were written together: several records share the creation time of their batch.
    assert max(Counter(Incident.objects.values_list("created_at", flat=True)).values()) > 1
    # Every record's timeline starts with its own creation, by the desk, from the API and this address.
    created = AuditEntry.objects.filter(action="incident.created")
    assert sorted(created.values_list("subject_label", flat=True)) == sorted(numbers)
    assert set(created.values_list("actor__username", "source", "ip")) == {("desk", "api", "127.0.0.1")}
    assert created.values("correlation_id").distinct().count() == len(numbers)  # one per request
    assert audit_verify_chain().intact
