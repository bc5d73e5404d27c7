"""Optimistic locking: a write made on an old version is refused (409) and changes nothing."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from opsdesk.audit.models import AuditEntry
from opsdesk.core.errors import Conflict, StaleVersion, ValidationFailed
from opsdesk.incidents import services
from opsdesk.incidents.models import Incident

from .records import step


def _row(incident: Incident) -> dict[str, Any]:
    return Incident.objects.filter(pk=incident.pk).values().get()


def test_each_write_bumps_the_version_by_one(world, make) -> None:
    incident = make.report()
    assert incident.version == 1
    updated = services.incident_update(actor=world.desk, incident=incident.number, version=1, title="Login fails again")
    assert updated.version == 2
    assert step(updated, world.desk, "assign", group=world.l1_group).version == 3


def test_a_stale_update_is_refused_and_nothing_changes(world, make) -> None:
    incident = make.assigned(assignee=world.l1)
    # The desk and the engineer both open version N; the engineer saves first.
    seen_by_desk = incident.version
    services.incident_update(actor=world.l1, incident=incident.number, version=incident.version,
                             description="All users of the plant, since 08:00")
    before, audit_before = _row(incident), AuditEntry.objects.count()
    with pytest.raises(StaleVersion) as caught:
        services.incident_update(actor=world.desk, incident=incident.number, version=seen_by_desk,
                                 title="Overwritten title", impact=1)
    assert caught.value.status == 409 and caught.value.code == "stale_version"
    assert incident.number in str(caught.value)
    assert _row(incident) == before
    assert AuditEntry.objects.count() == audit_before


@pytest.mark.parametrize(("state", "actor", "transition", "inputs"), [
    ("new", "desk", "assign", {"group": "l1_group"}),
    ("assigned", "l1", "accept", {}),
    ("in_progress", "l1", "resolve", {"resolution": "Fixed"}),
    ("in_progress", "l1", "escalate", {"group": "l2_group", "reason": "Needs L2"}),
    ("resolved", "requester", "confirm", {"rating": 5}),
    ("resolved", "desk", "close", {}),
    ("new", "requester", "chase", {}),
])
def test_a_transition_on_a_stale_version_is_refused_and_nothing_changes(world, make, state, actor, transition,
                                                                         inputs) -> None:
    incident = make.at(state)
    services.incident_comment(actor=world.desk, incident=incident.number, body="unrelated")  # no version bump
    Incident.objects.filter(pk=incident.pk).update(version=incident.version + 1)  # someone else saved meanwhile
    before, audit_before = _row(incident), AuditEntry.objects.count()
    inputs = {k: getattr(world, v) if k == "group" else v for k, v in inputs.items()}
    with pytest.raises(StaleVersion):
        services.incident_transition(actor=getattr(world, actor), incident=incident.number, transition=transition,
                                     version=incident.version, **inputs)
    assert _row(incident) == before
    assert AuditEntry.objects.count() == audit_before


def test_a_stale_major_flag_is_refused(world, make) -> None:
    incident = make.in_progress()
    stale = incident.version
    step(incident, world.l1, "pend", reason="Waiting")
    with pytest.raises(StaleVersion):
        services.incident_flag_major(actor=world.manager, incident=incident.number, version=stale)
    assert not Incident.objects.get(pk=incident.pk).is_major


def test_an_update_without_a_version_is_refused(world, make) -> None:
    incident = make.report()
    with pytest.raises(ValidationFailed) as caught:
        services.incident_update(actor=world.desk, incident=incident.number, version=None, title="No version")
    assert "version" in caught.value.field_errors
    assert Incident.objects.get(pk=incident.pk).title == incident.title


def test_the_version_sent_as_text_by_a_form_is_accepted(world, make) -> None:
    incident = make.report()
    updated = services.incident_update(actor=world.desk, incident=incident.number, version=str(incident.version),
                                       title="From a form")
    assert updated.title == "From a form" and updated.version == incident.version + 1


@pytest.mark.parametrize("version", ["abc", "1.5", [1]])
def test_a_version_that_is_not_a_number_is_refused_by_name(world, make, version) -> None:
    incident = make.report()
    with pytest.raises(ValidationFailed) as caught:
        services.incident_update(actor=world.desk, incident=incident.number, version=version, title="x")
    assert "version" in caught.value.field_errors
    with pytest.raises(ValidationFailed) as caught:
        step_with = {"group": world.l1_group}
        services.incident_transition(actor=world.desk, incident=incident.number, transition="assign",
                                     version=version, **step_with)
    assert "version" in caught.value.field_errors
    assert Incident.objects.get(pk=incident.pk).version == incident.version


# Two people at the same moment (real threads and transactions: PostgreSQL) ------------------------------


def _at_once(*works: Callable[[], Any]) -> list[Any]:
    """Run each callable in its own thread and connection, all released together; return results or errors."""
    barrier = threading.Barrier(len(works))
    outcomes: list[Any] = [None] * len(works)

    def run(index: int) -> None:
        try:
            barrier.wait()
            outcomes[index] = works[index]()
        except Exception as error:  # noqa: BLE001 - the test inspects it
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(works))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.mark.skipif("connection.vendor == 'sqlite'",
                    reason="the SQLite test database is in memory and cannot be shared by threads; run on PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_engineers_taking_the_same_record_at_once_one_wins(world, make) -> None:
    incident = make.assigned()
    outcomes = _at_once(lambda: step(incident, world.l1, "accept"), lambda: step(incident, world.l1b, "accept"))
    winners = [o for o in outcomes if isinstance(o, Incident)]
    losers = [o for o in outcomes if not isinstance(o, Incident)]
    assert len(winners) == 1 and len(losers) == 1
    assert isinstance(losers[0], Conflict)  # stale version or no longer "assigned": 409 either way
    fresh = Incident.objects.get(pk=incident.pk)
    assert (fresh.assignee, fresh.version) == (winners[0].assignee, incident.version + 1)
    assert AuditEntry.objects.filter(subject_id=incident.pk, action="incident.accepted").count() == 1


@pytest.mark.skipif("connection.vendor == 'sqlite'",
                    reason="the SQLite test database is in memory and cannot be shared by threads; run on PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_editors_saving_the_same_version_at_once_one_is_refused(world, make) -> None:
    incident = make.report()

    def edit(title: str) -> Callable[[], Any]:
        return lambda: services.incident_update(actor=world.desk, incident=incident.number,
                                                version=incident.version, title=title)

    outcomes = _at_once(edit("Title from the desk"), edit("Title from the manager"))
    assert sorted(type(o).__name__ for o in outcomes) == ["Incident", "StaleVersion"]
    winner = next(o for o in outcomes if isinstance(o, Incident))
    assert Incident.objects.get(pk=incident.pk).title == winner.title
