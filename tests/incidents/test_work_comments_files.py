"""Work logs (工时), comments and attachments on a record."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from opsdesk.audit.models import AuditEntry
from opsdesk.core.errors import PermissionDenied, ValidationFailed
from opsdesk.incidents import services
from opsdesk.incidents.models import Attachment, Comment, WorkLog
from opsdesk.incidents.selectors import incident_timeline
from opsdesk.notifications.models import Notification

from .records import step


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_a_work_log_keeps_who_what_and_how_long(world, make) -> None:
    incident = make.in_progress()
    log = services.incident_log_work(actor=world.l1, incident=incident.number, minutes="45",
                                     note="  Restarted the app server  ")
    assert (log.author, log.minutes, log.note) == (world.l1, 45, "Restarted the app server")
    entry = AuditEntry.objects.filter(subject_id=incident.pk).latest("id")
    assert (entry.action, entry.data["minutes"], entry.data["internal"]) == ("incident.work_logged", 45, True)


def test_later_lines_see_the_work_logged_before_them(world, make) -> None:
    incident = make.in_progress()
    services.incident_log_work(actor=world.l1, incident=incident.number, minutes=10, note="L1: restarted twice")
    incident = step(incident, world.l1, "escalate", group=world.l2_group, reason="Not a restart issue")
    services.incident_log_work(actor=world.l2, incident=incident.number, minutes=90, note="L2: lock analysis")
    seen_by_l2 = [e.data["note"] for e in incident_timeline(user=world.l2, incident=incident)
                  if e.action == "incident.work_logged"]
    assert seen_by_l2 == ["L1: restarted twice", "L2: lock analysis"]
    assert sum(incident.worklogs.values_list("minutes", flat=True)) == 100


@pytest.mark.parametrize("minutes", [0, -5, 1441, "abc", None, ""])
def test_time_spent_must_be_between_one_minute_and_a_day(world, make, minutes) -> None:
    incident = make.in_progress()
    with pytest.raises(ValidationFailed) as caught:
        services.incident_log_work(actor=world.l1, incident=incident.number, minutes=minutes, note="x")
    assert "minutes" in caught.value.field_errors
    assert not WorkLog.objects.exists()


def test_a_work_log_says_what_was_done(world, make) -> None:
    with pytest.raises(ValidationFailed) as caught:
        services.incident_log_work(actor=world.l1, incident=make.in_progress().number, minutes=5, note="  ")
    assert "note" in caught.value.field_errors


def test_no_work_is_logged_on_a_cancelled_record(world, make) -> None:
    with pytest.raises(PermissionDenied):
        services.incident_log_work(actor=world.desk, incident=make.cancelled().number, minutes=5, note="x")


def test_a_requesters_comment_reaches_the_handler(world, make) -> None:
    incident = make.in_progress()
    comment = services.incident_comment(actor=world.requester, incident=incident.number, body="Tried again: same")
    assert (comment.is_internal, comment.author) == (False, world.requester)
    note = Notification.objects.get(kind="commented")
    assert (note.recipient, note.text) == (world.l1, "Tried again: same")


def test_an_empty_comment_is_refused(world, make) -> None:
    with pytest.raises(ValidationFailed) as caught:
        services.incident_comment(actor=world.requester, incident=make.report().number, body=" \n ")
    assert "body" in caught.value.field_errors
    assert not Comment.objects.exists()


def test_an_attachment_is_stored_under_the_data_directory(world, make, media_root: Path) -> None:
    incident = make.in_progress()
    attachment = services.incident_attach(actor=world.requester, incident=incident.number,
                                          upload=SimpleUploadedFile("错误截图.png", b"\x89PNG fake", "image/png"))
    assert (attachment.name, attachment.size, attachment.content_type) == ("错误截图.png", 9, "image/png")
    stored = Path(attachment.file.path)
    assert stored.is_relative_to(media_root) and stored.read_bytes() == b"\x89PNG fake"
    assert AuditEntry.objects.filter(subject_id=incident.pk, action="incident.attached").get().data["name"] == \
        "错误截图.png"


def test_a_file_name_cannot_climb_out_of_the_data_directory(world, make, media_root: Path) -> None:
    incident = make.in_progress()
    attachment = services.incident_attach(actor=world.l1, incident=incident.number,
                                          upload=SimpleUploadedFile("../../../etc/evil.txt", b"x"))
    assert attachment.name == "evil.txt"
    assert Path(attachment.file.path).is_relative_to(media_root)


def test_two_files_of_the_same_name_are_both_kept(world, make, media_root: Path) -> None:
    incident = make.in_progress()
    for content in (b"first", b"second"):
        services.incident_attach(actor=world.l1, incident=incident.number,
                                 upload=SimpleUploadedFile("trace.log", content))
    assert sorted(p.read_bytes() for p in _files(media_root)) == [b"first", b"second"]
    assert Attachment.objects.count() == 2


def test_attachments_given_at_reporting_time(world, make, media_root: Path) -> None:
    incident = make.report(attachments=[SimpleUploadedFile("a.txt", b"a"), SimpleUploadedFile("b.pdf", b"b")])
    assert sorted(incident.attachments.values_list("name", flat=True)) == ["a.txt", "b.pdf"]
    created = AuditEntry.objects.get(subject_id=incident.pk, action="incident.created")
    assert sorted(created.data["attachments"]) == ["a.txt", "b.pdf"]
    assert len(_files(media_root)) == 2
