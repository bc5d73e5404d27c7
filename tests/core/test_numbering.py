"""Record numbers: INC + the date in Asia/Shanghai + four digits, increasing, unique under concurrency."""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import close_old_connections, connection, transaction

from opsdesk.audit.services import audit_verify_chain
from opsdesk.core import clock
from opsdesk.core.errors import ValidationFailed
from opsdesk.core.numbering import next_number
from opsdesk.incidents import services
from opsdesk.incidents.models import Incident

UTC = dt.UTC


def _report(world, actor=None) -> Incident:
    return services.incident_create(actor=actor or world.requester, title="Scanner offline",
                                    description="The warehouse scanner cannot reach the server.",
                                    service=world.production)


def test_a_number_is_inc_the_shanghai_date_and_four_digits(world) -> None:
    # 17:30 UTC on the 27th is already 01:30 on the 28th in Shanghai.
    with clock.frozen_at(dt.datetime(2026, 11, 27, 17, 30, tzinfo=UTC)):
        incident = _report(world)
    assert incident.number == "INC202611280001"
    assert re.fullmatch(r"INC\d{8}\d{4}", incident.number)


def test_numbers_increase_and_restart_each_shanghai_day(world) -> None:
    with clock.frozen_at(dt.datetime(2026, 11, 27, 15, 59, tzinfo=UTC)):  # 23:59 in Shanghai
        first, second = _report(world), _report(world)
    with clock.frozen_at(dt.datetime(2026, 11, 27, 16, 0, tzinfo=UTC)):  # midnight in Shanghai
        third = _report(world)
    assert [first.number, second.number, third.number] == ["INC202611270001", "INC202611270002", "INC202611280001"]


def test_prefixes_count_separately(db) -> None:
    moment = dt.datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
    assert [next_number("INC", at=moment), next_number("PRB", at=moment), next_number("INC", at=moment)] == \
        ["INC202611270001", "PRB202611270001", "INC202611270002"]


def test_a_refused_report_does_not_use_up_a_number(world) -> None:
    with clock.frozen_at(dt.datetime(2026, 11, 27, 2, 0, tzinfo=UTC)):
        with pytest.raises(ValidationFailed):
            services.incident_create(actor=world.requester, title="", description="x", service=world.production)
        assert _report(world).number == "INC202611270001"


# Concurrency: real threads, real transactions (PostgreSQL) ----------------------------------------------

needs_threads = pytest.mark.skipif(
    "connection.vendor == 'sqlite'",
    reason="the SQLite test database is in memory and cannot be shared by threads; run on PostgreSQL",
)


def _in_threads(count: int, work: Callable[[int], Any]) -> list[Any]:
    barrier = threading.Barrier(count)
    results: list[Any] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(index: int) -> None:
        try:
            barrier.wait()
            value = work(index)
            with lock:
                results.append(value)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


@needs_threads
@pytest.mark.django_db(transaction=True)
def test_numbers_are_unique_when_many_writers_ask_at_once() -> None:
    moment = dt.datetime(2026, 11, 27, 2, 0, tzinfo=UTC)

    def take_many(_: int) -> list[str]:
        taken = []
        for _ in range(20):
            with transaction.atomic():
                taken.append(next_number("INC", at=moment))
        return taken

    numbers = [n for batch in _in_threads(8, take_many) for n in batch]
    assert len(numbers) == len(set(numbers)) == 160
    assert sorted(numbers) == [f"INC20261127{i:04d}" for i in range(1, 161)]


@needs_threads
@pytest.mark.django_db(transaction=True)
def test_incidents_reported_at_once_get_distinct_numbers_and_a_sound_audit_chain(world) -> None:
    reporters = [world.requester, world.requester2, world.viewer_a, world.l1, world.l2, world.desk]

    def report_three(index: int) -> list[str]:
        return [_report(world, reporters[index]).number for _ in range(3)]

    numbers = [n for batch in _in_threads(len(reporters), report_three) for n in batch]
    assert len(set(numbers)) == len(numbers) == 18
    assert Incident.objects.count() == 18
    assert audit_verify_chain().intact
