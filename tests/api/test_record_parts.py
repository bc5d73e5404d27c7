"""Work logs, comments, timeline, attachments, watchers, call-back and major incidents through the API."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from opsdesk.incidents.models import Attachment
from opsdesk.notifications.models import Notification

from .expect import error_of


@pytest.fixture
def assigned(world, make_incident):
    return make_incident(actor=world.desk, requester=world.requester, group=world.l1_group, assignee=world.l1)


@pytest.fixture(autouse=True)
def _attachments_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_handler_logs_work_and_staff_read_it(world, client_for, assigned):
    url = f"/api/v1/incidents/{assigned.number}/worklogs"

    created = client_for(world.l1).post_json(url, {"minutes": 45, "note": "Reinstalled the print driver"})

    assert created.status_code == 201
    assert created.json()["minutes"] == 45 and created.json()["author"] == world.l1.pk
    logs = client_for(world.auditor).get(url).json()
    assert [(w["minutes"], w["note"]) for w in logs["items"]] == [(45, "Reinstalled the print driver")]
    assert logs["next_cursor"] is None
    assert client_for(world.requester).get(url).json()["items"] == []  # work logs are internal


def test_work_log_errors(world, client_for, assigned):
    url = f"/api/v1/incidents/{assigned.number}/worklogs"

    assert error_of(client_for(world.l1).post_json(url, {"minutes": 0, "note": "x"}), 422)["errors"] == {
        "minutes": ["Enter between 1 and 1440 minutes."]}
    assert list(error_of(client_for(world.l1).post_json(url, {"minutes": "an hour", "note": "x"}), 422)["errors"]) == [
        "minutes"]
    assert error_of(client_for(world.requester).post_json(url, {"minutes": 5, "note": "x"}), 403)["code"] == "forbidden"


def test_internal_comments_are_hidden_from_the_requester(world, client_for, assigned):
    url = f"/api/v1/incidents/{assigned.number}/comments"
    l1, requester = client_for(world.l1), client_for(world.requester)

    assert l1.post_json(url, {"body": "Printer queue is stuck on the server", "internal": True}).status_code == 201
    public = l1.post_json(url, {"body": "We are on it."})
    assert public.status_code == 201 and public.json()["internal"] is False
    assert requester.post_json(url, {"body": "Thanks!"}).status_code == 201

    staff_view = [c["body"] for c in l1.get(url).json()["items"]]
    requester_view = [c["body"] for c in requester.get(url).json()["items"]]
    assert staff_view == ["Printer queue is stuck on the server", "We are on it.", "Thanks!"]
    assert requester_view == ["We are on it.", "Thanks!"]

    requester_timeline = requester.get(f"/api/v1/incidents/{assigned.number}/timeline").json()["items"]
    assert "Printer queue is stuck on the server" not in str(requester_timeline)
    staff_timeline = l1.get(f"/api/v1/incidents/{assigned.number}/timeline").json()["items"]
    assert "Printer queue is stuck on the server" in str(staff_timeline)


def test_requester_may_not_write_internal_comments(world, client_for, assigned):
    url = f"/api/v1/incidents/{assigned.number}/comments"

    assert error_of(client_for(world.requester).post_json(url, {"body": "psst", "internal": True}), 403)
    assert list(error_of(client_for(world.requester).post_json(url, {"body": "  "}), 422)["errors"]) == ["body"]


def test_timeline_entries_say_who_did_what_and_when(world, client_for, assigned):
    entries = client_for(world.desk).get(f"/api/v1/incidents/{assigned.number}/timeline").json()["items"]

    first = entries[0]
    assert set(first) >= {"id", "at", "actor", "action", "data"}
    assert (first["action"], first["actor"]) == ("incident.created", world.desk.pk)
    assert first["data"]["fields"]["title"] == assigned.title


def test_upload_list_and_download_an_attachment(world, client_for, assigned):
    url = f"/api/v1/incidents/{assigned.number}/attachments"
    requester = client_for(world.requester)

    uploaded = requester.post(url, {"file": SimpleUploadedFile("error.txt", b"ORA-00942", content_type="text/plain")})

    assert uploaded.status_code == 201, uploaded.content
    body = uploaded.json()
    assert (body["name"], body["size"], body["uploaded_by"]) == ("error.txt", 9, world.requester.pk)
    listed = client_for(world.l1).get(url).json()["items"]
    assert [a["name"] for a in listed] == ["error.txt"]
    download = client_for(world.l1).get(listed[0]["download_url"])
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"ORA-00942"  # read: closes it
    assert error_of(client_for(world.requester2).get(listed[0]["download_url"]), 404)


def test_refused_uploads_name_the_field(world, client_for, assigned, settings):
    url = f"/api/v1/incidents/{assigned.number}/attachments"
    requester = client_for(world.requester)
    settings.OPSDESK_ATTACHMENT_MAX_BYTES = 10

    wrong_type = error_of(requester.post(url, {"file": SimpleUploadedFile("tool.exe", b"MZ")}), 422)
    too_big = error_of(requester.post(url, {"file": SimpleUploadedFile("big.txt", b"x" * 11)}), 422)
    missing = error_of(requester.post(url, {}), 422)

    assert list(wrong_type["errors"]) == ["file"] and "tool.exe" in wrong_type["errors"]["file"][0]
    assert list(too_big["errors"]) == ["file"]
    assert list(missing["errors"]) == ["file"]
    assert not Attachment.objects.exists()


def test_watchers(world, client_for, assigned):
    url = f"/api/v1/incidents/{assigned.number}/watchers"

    mine = client_for(world.viewer_a).post_json(url)
    assert mine.status_code == 200 and mine.json()["watchers"] == [world.viewer_a.pk]
    added = client_for(world.desk).post_json(url, {"user": world.manager.pk}).json()
    assert added["watchers"] == [world.viewer_a.pk, world.manager.pk]
    assert client_for(world.l1).get(url).json()["watchers"] == [world.viewer_a.pk, world.manager.pk]
    refused = client_for(world.requester).post_json(url, {"user": world.requester2.pk})
    assert error_of(refused, 403)["code"] == "forbidden"


def test_desk_records_a_call_back(world, client_for, assigned):
    early = client_for(world.desk).post_json(f"/api/v1/incidents/{assigned.number}/callback", {"rating": 4})
    assert error_of(early, 409)["code"] == "not_resolved"
    client_for(world.l1).post_json(f"/api/v1/incidents/{assigned.number}/transitions/resolve",
                                   {"resolution": "Driver reinstalled"})
    url = f"/api/v1/incidents/{assigned.number}/callback"

    assert error_of(client_for(world.desk).post_json(url, {"rating": 6}), 422)["errors"] == {"rating": ["Rate from 1 to 5."]}
    recorded = client_for(world.desk).post_json(url, {"rating": 4, "comment": "Satisfied"}).json()
    assert (recorded["state"], recorded["callback_rating"], recorded["callback_comment"]) == ("resolved", 4, "Satisfied")
    assert error_of(client_for(world.l1).post_json(url, {"rating": 4}), 403)


def test_major_incident_with_children_and_updates(world, client_for, make_incident):
    major = make_incident(actor=world.desk, requester=world.requester, group=world.l1_group)
    child = make_incident(actor=world.requester2)
    manager = client_for(world.manager)

    flagged = manager.post_json(f"/api/v1/incidents/{major.number}/major",
                                {"version": major.version, "reason": "All cities affected"})
    assert flagged.status_code == 200, flagged.content
    assert (flagged.json()["is_major"], flagged.json()["priority"], flagged.json()["major_owner"]) == (
        True, 1, world.manager.pk)
    stale = manager.post_json(f"/api/v1/incidents/{major.number}/major", {"version": major.version})
    assert error_of(stale, 409)["code"] == "stale_version"

    linked = manager.post_json(f"/api/v1/incidents/{major.number}/children", {"child": child.number})
    assert linked.status_code == 200 and linked.json()["parent"] == major.number
    assert [i["number"] for i in manager.get(f"/api/v1/incidents/{major.number}/children").json()["items"]] == [
        child.number]
    assert client_for(world.requester2).get(f"/api/v1/incidents/{child.number}").json()["parent"] == major.number

    update = manager.post_json(f"/api/v1/incidents/{major.number}/major-updates", {"body": "Fix expected by 14:00"})
    assert update.status_code == 201 and update.json()["body"] == "Fix expected by 14:00"
    assert Notification.objects.filter(recipient=world.requester2, kind="major_update").exists()
    child_timeline = client_for(world.requester2).get(f"/api/v1/incidents/{child.number}/timeline").json()["items"]
    assert "incident.major_update" in [e["action"] for e in child_timeline]


def test_only_an_incident_manager_flags_major(world, client_for, assigned):
    refused = client_for(world.l1).post_json(f"/api/v1/incidents/{assigned.number}/major", {})
    assert error_of(refused, 403)["code"] == "forbidden"
    not_major = client_for(world.manager).post_json(f"/api/v1/incidents/{assigned.number}/major-updates", {"body": "x"})
    assert list(error_of(not_major, 422)["errors"]) == ["major"]
