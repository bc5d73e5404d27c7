"""After resolution: confirm and rate, reject, reopen within the window, auto-confirm, call-back."""

from __future__ import annotations

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from opsdesk.audit.models import AuditEntry
from opsdesk.audit.services import audit_verify_chain
from opsdesk.core import clock
from opsdesk.core.errors import PermissionDenied, TransitionNotAllowed, ValidationFailed
from opsdesk.incidents import services
from opsdesk.incidents.models import Incident
from opsdesk.incidents.workflow import INCIDENT_WORKFLOW

from .records import step

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = dt.datetime(2026, 11, 27, 10, 0, tzinfo=SHANGHAI)


def test_each_rejection_counts_and_the_requester_finally_confirms(world, make) -> None:
    incident = make.resolved()
    for n in (1, 2):
        incident = step(incident, world.requester, "reject", reason=f"Still broken ({n})")
        assert (incident.state, incident.reopen_count) == ("assigned", n)
        incident = step(incident, world.l1, "accept")
        incident = step(incident, world.l1, "resolve", resolution=f"Attempt {n + 1}")
    incident = step(incident, world.requester, "confirm", rating=3, comment="Third time lucky")
    assert (incident.state, incident.satisfaction, incident.reopen_count) == ("closed", 3, 2)


def test_reopen_within_the_window_and_not_after(world, make) -> None:
    with clock.frozen_at(T0):
        closed = make.closed()
    with clock.frozen_at(T0 + dt.timedelta(days=7, minutes=-1)):
        assert "reopen" in {t.name for t in INCIDENT_WORKFLOW.allowed(world.requester, closed)}
    with clock.frozen_at(T0 + dt.timedelta(days=7, minutes=1)):
        assert "reopen" not in {t.name for t in INCIDENT_WORKFLOW.allowed(world.requester, closed)}
        with pytest.raises(PermissionDenied):
            step(closed, world.requester, "reopen", reason="Too late")
        with pytest.raises(PermissionDenied):
            step(closed, world.desk, "reopen", reason="Too late for the desk too")
    assert Incident.objects.get(pk=closed.pk).state == "closed"
    with clock.frozen_at(T0 + dt.timedelta(days=6)):
        reopened = step(closed, world.requester, "reopen", reason="Same error today")
    assert (reopened.state, reopened.reopen_count, reopened.assigned_group) == ("assigned", 1, world.l1_group)
    assert audit_verify_chain().intact


def test_the_reopen_window_is_a_setting(world, make, settings) -> None:
    settings.OPSDESK_REOPEN_WINDOW_DAYS = 1
    with clock.frozen_at(T0):
        closed = make.closed()
    with clock.frozen_at(T0 + dt.timedelta(days=2)), pytest.raises(PermissionDenied):
        step(closed, world.requester, "reopen", reason="Two days later")


def test_the_desk_reopens_for_a_caller_and_the_rating_is_cleared(world, make) -> None:
    closed = make.closed()
    assert closed.satisfaction == 5
    reopened = step(closed, world.desk, "reopen", reason="Caller phoned: it is back")
    assert (reopened.satisfaction, reopened.closed_at, reopened.resolved_at) == (None, None, None)
    again = step(step(step(reopened, world.l1, "accept"), world.l1, "resolve", resolution="Really fixed"),
                 world.requester, "confirm", rating=4)
    assert (again.state, again.reopen_count, again.satisfaction) == ("closed", 1, 4)


def test_a_cancelled_record_cannot_be_reopened(world, make) -> None:
    with pytest.raises(TransitionNotAllowed):
        step(make.cancelled(), world.desk, "reopen", reason="x")


# Auto-confirm -----------------------------------------------------------------------------------------


def test_auto_confirm_closes_records_left_unanswered_for_n_days(world, make) -> None:
    with clock.frozen_at(T0):
        old = make.resolved()
    with clock.frozen_at(T0 + dt.timedelta(days=2)):
        recent = make.resolved()
    with clock.frozen_at(T0 + dt.timedelta(days=3, minutes=-1)):
        assert services.incidents_auto_confirm() == []
    with clock.frozen_at(T0 + dt.timedelta(days=3, minutes=1)):
        assert services.incidents_auto_confirm() == [old.number]
    old = Incident.objects.get(pk=old.pk)
    assert (old.state, old.auto_confirmed, old.satisfaction) == ("closed", True, None)
    assert old.closed_at == T0 + dt.timedelta(days=3, minutes=1)
    assert Incident.objects.get(pk=recent.pk).state == "resolved"
    entry = AuditEntry.objects.get(subject_id=old.pk, action="incident.auto_confirmed")
    assert (entry.actor, entry.actor_name, entry.data["days"]) == (None, "system", 3)
    assert audit_verify_chain().intact


def test_auto_confirm_twice_changes_nothing_the_second_time(world, make) -> None:
    with clock.frozen_at(T0):
        incident = make.resolved()
    with clock.frozen_at(T0 + dt.timedelta(days=4)):
        assert services.incidents_auto_confirm() == [incident.number]
        version = Incident.objects.get(pk=incident.pk).version
        audit_count = AuditEntry.objects.count()
        assert services.incidents_auto_confirm() == []
    assert Incident.objects.get(pk=incident.pk).version == version
    assert AuditEntry.objects.count() == audit_count


def test_auto_confirm_days_come_from_the_setting(world, make, settings) -> None:
    settings.OPSDESK_AUTO_CONFIRM_DAYS = 10
    with clock.frozen_at(T0):
        incident = make.resolved()
    with clock.frozen_at(T0 + dt.timedelta(days=5)):
        assert services.incidents_auto_confirm() == []
        assert services.incidents_auto_confirm(days=4) == [incident.number]


def test_a_confirmed_record_is_no_longer_auto_confirmed_or_confirmable(world, make) -> None:
    with clock.frozen_at(T0):
        incident = make.resolved()
    with clock.frozen_at(T0 + dt.timedelta(days=5)):
        services.incidents_auto_confirm()
    with pytest.raises(TransitionNotAllowed):
        step(Incident.objects.get(pk=incident.pk), world.requester, "confirm", rating=1)


def test_auto_confirm_leaves_open_and_pending_records_alone(world, make) -> None:
    with clock.frozen_at(T0):
        pending, new = make.pending(), make.report()
    with clock.frozen_at(T0 + dt.timedelta(days=30)):
        assert services.incidents_auto_confirm() == []
    assert Incident.objects.get(pk=pending.pk).state == "pending"
    assert Incident.objects.get(pk=new.pk).state == "new"


# Call-back -------------------------------------------------------------------------------------------


def test_the_desk_records_a_call_back_rating(world, make) -> None:
    incident = make.resolved()
    done = services.incident_record_callback(actor=world.desk, incident=incident.number, rating=2,
                                             comment="Took too long")
    assert (done.callback_rating, done.callback_comment, done.state) == (2, "Took too long", "resolved")
    entry = AuditEntry.objects.filter(subject_id=incident.pk).latest("id")
    assert (entry.action, entry.data["rating"]) == ("incident.callback_recorded", 2)


def test_a_call_back_can_follow_the_close(world, make) -> None:
    closed = step(make.resolved(), world.desk, "close")
    done = services.incident_record_callback(actor=world.desk, incident=closed.number, rating=5)
    assert done.callback_rating == 5


@pytest.mark.parametrize("rating", [0, 6, "", None, "good"])
def test_a_call_back_rating_outside_one_to_five_is_refused(world, make, rating) -> None:
    incident = make.resolved()
    with pytest.raises(ValidationFailed) as caught:
        services.incident_record_callback(actor=world.desk, incident=incident.number, rating=rating)
    assert "rating" in caught.value.field_errors
    assert Incident.objects.get(pk=incident.pk).callback_rating is None


def test_no_call_back_before_resolution(world, make) -> None:
    incident = make.in_progress()
    with pytest.raises(TransitionNotAllowed) as caught:
        services.incident_record_callback(actor=world.desk, incident=incident.number, rating=5)
    assert caught.value.status == 409


@pytest.mark.skipif("connection.vendor == 'sqlite'",
                    reason="the SQLite test database is in memory and cannot be shared by threads; run on PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_schedulers_auto_confirming_at_once_close_each_record_once(world, make) -> None:
    with clock.frozen_at(T0):
        numbers = {make.resolved().number for _ in range(6)}
    results: list[list[str]] = []

    def run(barrier: threading.Barrier) -> None:
        try:
            barrier.wait()
            with clock.frozen_at(T0 + dt.timedelta(days=4)):
                results.append(services.incidents_auto_confirm())
        finally:
            connection.close()

    barrier = threading.Barrier(2)
    threads = [threading.Thread(target=run, args=(barrier,)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    closed = [n for batch in results for n in batch]
    assert len(results) == 2 and sorted(closed) == sorted(numbers)  # each record closed by exactly one of them
    assert AuditEntry.objects.filter(action="incident.auto_confirmed").count() == 6
    assert audit_verify_chain().intact
