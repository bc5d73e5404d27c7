"""The audit trail: every write leaves an entry; the chain is append-only and tamper-evident."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import ProtectedError

from opsdesk.accounts import services as accounts
from opsdesk.audit import context
from opsdesk.audit.models import AuditEntry
from opsdesk.audit.services import GENESIS, audit_record, audit_verify_chain, entry_hash
from opsdesk.core import clock
from opsdesk.incidents import services
from opsdesk.incidents.models import Incident


def _report(world, actor=None) -> Incident:
    return services.incident_create(actor=actor or world.requester, title="Mail is slow",
                                    description="Outlook takes a minute to open a message.", service=world.production)


def _t(world, incident: Incident, actor, name: str, **inputs: Any) -> Incident:
    return services.incident_transition(actor=actor, incident=incident.number, transition=name,
                                        version=incident.version, **inputs)


def _in_progress(world) -> Incident:
    incident = _t(world, _report(world), world.desk, "assign", group=world.l1_group, assignee=world.l1)
    return _t(world, incident, world.l1, "accept")


def _resolved(world) -> Incident:
    return _t(world, _in_progress(world), world.l1, "resolve", resolution="Rebuilt the OST file")


def _major(world) -> Incident:
    incident = _in_progress(world)
    return services.incident_flag_major(actor=world.manager, incident=incident.number, version=incident.version)


# (setup, the write, who writes, the action it records)
WRITES: dict[str, tuple[Callable[[Any], Any], Callable[[Any, Any], Any], str, str]] = {
    "create": (lambda w: None, lambda w, _: _report(w), "requester", "incident.created"),
    "record for a caller": (lambda w: None, lambda w, _: services.incident_create(
        actor=w.desk, requester=w.requester, channel="phone", title="Caller: no network",
        description="Port 12 is dead", service=w.production), "desk", "incident.created"),
    "update": (_report, lambda w, i: services.incident_update(actor=w.desk, incident=i.number, version=i.version,
                                                              urgency=1), "desk", "incident.updated"),
    "assign": (_report, lambda w, i: _t(w, i, w.desk, "assign", group=w.l1_group), "desk", "incident.assigned"),
    "accept": (lambda w: _t(w, _report(w), w.desk, "assign", group=w.l1_group),
               lambda w, i: _t(w, i, w.l1, "accept"), "l1", "incident.accepted"),
    "pend": (_in_progress, lambda w, i: _t(w, i, w.l1, "pend", reason="Waiting"), "l1", "incident.pended"),
    "escalate": (_in_progress, lambda w, i: _t(w, i, w.l1, "escalate", group=w.l2_group, reason="L2"),
                 "l1", "incident.escalated"),
    "resolve": (_in_progress, lambda w, i: _t(w, i, w.l1, "resolve", resolution="Done"), "l1", "incident.resolved"),
    "confirm": (_resolved, lambda w, i: _t(w, i, w.requester, "confirm", rating=5), "requester",
                "incident.confirmed"),
    "reject": (_resolved, lambda w, i: _t(w, i, w.requester, "reject", reason="No"), "requester", "incident.rejected"),
    "close": (_resolved, lambda w, i: _t(w, i, w.desk, "close"), "desk", "incident.closed"),
    "chase": (_report, lambda w, i: _t(w, i, w.requester, "chase"), "requester", "incident.chased"),
    "cancel": (_report, lambda w, i: _t(w, i, w.desk, "cancel", reason="Dup"), "desk", "incident.cancelled"),
    "work log": (_in_progress, lambda w, i: services.incident_log_work(actor=w.l1, incident=i.number, minutes=5,
                                                                        note="Checked"), "l1", "incident.work_logged"),
    "comment": (_report, lambda w, i: services.incident_comment(actor=w.requester, incident=i.number, body="Hi"),
                "requester", "incident.commented"),
    "attach": (_report, lambda w, i: services.incident_attach(actor=w.requester, incident=i.number,
                                                              upload=SimpleUploadedFile("a.txt", b"a")),
               "requester", "incident.attached"),
    "watch": (_report, lambda w, i: services.incident_watch(actor=w.viewer_a, incident=i.number), "viewer_a",
              "incident.watcher_added"),
    "flag major": (_in_progress, lambda w, i: services.incident_flag_major(actor=w.manager, incident=i.number,
                                                                           version=i.version),
                   "manager", "incident.flagged_major"),
    "major update": (_major, lambda w, i: services.incident_post_major_update(actor=w.manager, major=i.number,
                                                                              body="Update"),
                     "manager", "incident.major_update"),
    "call-back": (_resolved, lambda w, i: services.incident_record_callback(actor=w.desk, incident=i.number,
                                                                            rating=4),
                  "desk", "incident.callback_recorded"),
}


@pytest.mark.parametrize("name", list(WRITES))
def test_every_write_leaves_an_entry_with_actor_action_and_subject(world, name: str) -> None:
    setup, write, actor_name, action = WRITES[name]
    prepared = setup(world)
    last_id = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    with context.bound(source="api", ip="10.1.2.3"):
        result = write(world, prepared)
    incident = result if isinstance(result, Incident) else prepared or Incident.objects.latest("id")
    entries = list(AuditEntry.objects.filter(id__gt=last_id))
    assert [e.action for e in entries] == [action]
    entry, actor = entries[0], getattr(world, actor_name)
    assert (entry.actor, entry.actor_name) == (actor, actor.username)
    assert (entry.subject_type, entry.subject_id, entry.subject_label) == ("incident", incident.pk, incident.number)
    assert entry.organisation_id == incident.organisation_id
    assert (entry.source, entry.ip) == ("api", "10.1.2.3")


def test_a_change_records_before_and_after(world) -> None:
    incident = _report(world)
    services.incident_update(actor=world.desk, incident=incident.number, version=incident.version,
                             title="Mail is very slow", contact_phone="0571-1234")
    entry = AuditEntry.objects.filter(action="incident.updated").get()
    assert entry.data["changes"]["title"] == ["Mail is slow", "Mail is very slow"]
    assert entry.data["changes"]["contact_phone"] == ["", "0571-1234"]


def test_an_update_that_changes_nothing_records_nothing(world) -> None:
    incident = _report(world)
    count = AuditEntry.objects.count()
    services.incident_update(actor=world.desk, incident=incident.number, version=incident.version,
                             title=incident.title)
    assert AuditEntry.objects.count() == count


def test_one_request_shares_one_correlation_id(world) -> None:
    with context.bound(source="ui", ip="127.0.0.1") as bound:
        incident = _report(world)
        _t(world, incident, world.desk, "assign", group=world.l1_group)
    ids = set(AuditEntry.objects.filter(subject_type="incident").values_list("correlation_id", flat=True))
    assert ids == {bound.correlation_id}


def test_the_first_entry_starts_from_the_genesis_hash(world) -> None:
    first = AuditEntry.objects.order_by("id").first() or audit_record(actor=None, action="test.first")
    assert first.prev_hash == GENESIS


# The chain -----------------------------------------------------------------------------------------


def _many_writes(world, rounds: int = 12) -> None:
    for n in range(rounds):
        incident = _resolved(world)
        services.incident_comment(actor=world.requester, incident=incident.number, body=f"评论 {n} ✓")
        _t(world, incident, world.requester, "confirm", rating=1 + n % 5, comment=f"n={n}")


def test_the_chain_is_intact_after_many_writes(world) -> None:
    _many_writes(world)
    with clock.frozen_at(dt.datetime(2026, 11, 27, 23, 59, 59, 999999, tzinfo=dt.timezone(dt.timedelta(hours=8)))):
        _report(world)
    report = audit_verify_chain()
    assert report.intact and report.checked == AuditEntry.objects.count() > 70


def _ids() -> list[int]:
    return list(AuditEntry.objects.order_by("id").values_list("id", flat=True))


def _raw(sql: str, params: list[Any]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.parametrize(("column", "value"), [
    ("action", "incident.cancelled"),
    ("actor_name", "somebody_else"),
    ("subject_id", 999999),
    ("at", dt.datetime(2020, 1, 1, tzinfo=dt.UTC)),
])
def test_tampering_with_an_entry_is_found_at_that_entry(world, column: str, value: Any) -> None:
    _many_writes(world, rounds=3)
    ids = _ids()
    victim = ids[len(ids) // 2]
    _raw(f"UPDATE audit_auditentry SET {column} = %s WHERE id = %s", [value, victim])  # noqa: S608
    report = audit_verify_chain()
    assert (report.first_broken_id, report.checked) == (victim, ids.index(victim))
    assert "content" in report.reason


def test_tampering_with_the_data_is_found(world) -> None:
    _many_writes(world, rounds=2)
    victim = AuditEntry.objects.filter(action="incident.confirmed").first()
    cast = "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"
    _raw(f"UPDATE audit_auditentry SET data = {cast} WHERE id = %s",  # noqa: S608
         ['{"rating": 5, "transition": "confirm"}', victim.id])
    assert audit_verify_chain().first_broken_id == victim.id


def test_rewriting_an_entry_with_a_matching_hash_is_found_at_the_next_one(world) -> None:
    _many_writes(world, rounds=2)
    ids = _ids()
    victim = AuditEntry.objects.get(id=ids[5])
    victim.actor_name = "forger"
    forged = entry_hash(victim.prev_hash, victim)
    _raw("UPDATE audit_auditentry SET actor_name = %s, hash = %s WHERE id = %s", ["forger", forged, victim.id])
    report = audit_verify_chain()
    assert report.first_broken_id == ids[6]
    assert "previous" in report.reason


def test_deleting_a_middle_entry_is_found_at_the_entry_after_it(world) -> None:
    _many_writes(world, rounds=3)
    ids = _ids()
    middle = ids[len(ids) // 2]
    _raw("DELETE FROM audit_auditentry WHERE id = %s", [middle])
    report = audit_verify_chain()
    after = ids[ids.index(middle) + 1]
    assert report.first_broken_id == after
    assert report.checked == ids.index(middle)
    assert "previous" in report.reason


def test_the_verify_command_names_the_first_broken_entry(world, capsys) -> None:
    _many_writes(world, rounds=2)
    call_command("audit", "verify")
    assert "intact" in capsys.readouterr().out
    victim = _ids()[3]
    _raw("UPDATE audit_auditentry SET ip = %s WHERE id = %s", ["6.6.6.6", victim])
    with pytest.raises(CommandError) as caught:
        call_command("audit", "verify")
    assert f"entry {victim}" in str(caught.value)


# Append-only through the ORM -----------------------------------------------------------------------


def test_entries_cannot_be_changed_or_removed_through_the_orm(world) -> None:
    _report(world)
    entry = AuditEntry.objects.get(action="incident.created")
    entry.action = "incident.nothing_happened"
    with pytest.raises(RuntimeError):
        entry.save()
    with pytest.raises(RuntimeError):
        entry.delete()
    with pytest.raises(RuntimeError):
        AuditEntry.objects.filter(pk=entry.pk).update(action="incident.nothing_happened")
    with pytest.raises(RuntimeError):
        AuditEntry.objects.all().delete()
    with pytest.raises(RuntimeError):
        AuditEntry.objects.bulk_update([entry], ["action"])
    with pytest.raises(RuntimeError):
        AuditEntry.objects.bulk_create([AuditEntry(at=clock.now(), action="x", prev_hash=GENESIS, hash="f" * 64)])
    assert AuditEntry.objects.get(pk=entry.pk).action == "incident.created"
    assert audit_verify_chain().intact


def test_a_user_with_history_cannot_be_deleted(world) -> None:
    _report(world)
    with pytest.raises(ProtectedError):
        world.requester.delete()


def test_sign_ins_and_tokens_are_in_the_chain(world) -> None:
    accounts.user_sign_in(username="requester", password="demo-pass-1", ip="10.0.0.9")
    issued = accounts.api_token_create(actor=world.requester, name="laptop")
    accounts.api_token_revoke(actor=world.requester, token_id=issued.token.pk)
    assert list(AuditEntry.objects.order_by("id").values_list("action", flat=True))[-3:] == \
        ["user.signed_in", "api_token.created", "api_token.revoked"]
    assert audit_verify_chain().intact
