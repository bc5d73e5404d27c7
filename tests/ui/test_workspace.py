"""The agent workspace: recording for a caller, queues, the record page and its forms."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from opsdesk.audit.models import AuditEntry
from opsdesk.incidents import services
from opsdesk.incidents.models import Incident

from .conftest import refresh


def record_data(world, **overrides):
    data = {
        "requester": world.requester.pk,
        "channel": "phone",
        "service": world.production.pk,
        "category": world.categories["operation"].pk,
        "title": "Cannot post goods receipt",
        "description": "Caller says the posting button is greyed out.",
        "impact": "2",
        "urgency": "2",
        "priority": "",
        "priority_reason": "",
        "group": world.l1_group.pk,
        "assignee": world.l1.pk,
    }
    data.update(overrides)
    return data


def test_desk_records_an_incident_for_a_caller_and_dispatches_it(world, as_user):
    response = as_user("desk").post(reverse("ui:incident_new"), record_data(world))
    incident = Incident.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("ui:incident_detail", args=[incident.number])
    assert incident.requester == world.requester and incident.created_by == world.desk
    assert incident.channel == "phone" and incident.organisation == world.city_a
    assert incident.priority == 3  # medium × medium in the default matrix
    assert incident.assigned_group == world.l1_group and incident.assignee == world.l1
    assert incident.state == "assigned"


def test_a_priority_override_without_reason_is_refused_and_nothing_is_written(world, as_user):
    response = as_user("desk").post(reverse("ui:incident_new"), record_data(world, priority="1"))
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="id_priority_reason_errors"' in html
    assert 'value="Cannot post goods receipt"' in html
    assert Incident.objects.count() == 0

    response = as_user("desk").post(reverse("ui:incident_new"),
                                    record_data(world, priority="1", priority_reason="Month-end close"))
    assert response.status_code == 302
    incident = Incident.objects.get()
    assert incident.priority == 1 and incident.priority_overridden


def test_the_computed_priority_is_previewed(world, as_user):
    response = as_user("desk").get(reverse("ui:priority_preview"), {"impact": "1", "urgency": "1"})
    assert "P1 Critical" in response.content.decode()


def test_a_requester_cannot_open_the_record_form(world, as_user):
    assert as_user("requester").get(reverse("ui:incident_new")).status_code == 403


def post_transition(client, incident, name, **fields):
    incident = refresh(incident)
    data = {f"{name}-version": incident.version, **{f"{name}-{key}": value for key, value in fields.items()}}
    return client.post(reverse("ui:incident_transition", args=[incident.number, name]), data)


def test_the_whole_story_through_the_views(world, as_user, reported):
    incident = reported()
    desk, l1, l2, requester = as_user("desk"), as_user("l1"), as_user("l2"), as_user("requester")

    assert post_transition(desk, incident, "assign", group=world.l1_group.pk, assignee="").status_code == 302
    assert refresh(incident).assigned_group == world.l1_group

    page = l1.get(reverse("ui:incident_detail", args=[incident.number])).content.decode()
    assert 'data-transition="accept"' in page
    assert post_transition(l1, incident, "accept").status_code == 302
    assert refresh(incident).state == "in_progress" and refresh(incident).assignee == world.l1

    response = l1.post(reverse("ui:incident_log_work", args=[incident.number]),
                       {"worklog-minutes": "40", "worklog-note": "Checked the spooler"})
    assert response.status_code == 302

    response = post_transition(l1, incident, "escalate", group=world.l2_group.pk, reason="")
    assert response.status_code == 422
    assert 'id="id_escalate-reason_errors"' in response.content.decode()
    assert post_transition(l1, incident, "escalate", group=world.l2_group.pk, reason="Driver issue").status_code == 302
    assert refresh(incident).assigned_group == world.l2_group

    assert post_transition(l2, incident, "accept").status_code == 302
    response = post_transition(l2, incident, "pend", pending_reason="vendor", vendor="", reason="Waiting for driver")
    assert response.status_code == 422
    assert "Name the vendor" in response.content.decode()
    assert post_transition(l2, incident, "pend", pending_reason="vendor", vendor="HP",
                           reason="Waiting for driver").status_code == 302
    assert refresh(incident).pending_reason == "vendor"
    assert post_transition(l2, incident, "resume").status_code == 302
    assert post_transition(l2, incident, "resolve", resolution="Installed driver 5.1",
                           cause_code="software").status_code == 302
    assert refresh(incident).state == "resolved"

    assert post_transition(requester, incident, "confirm", rating="5", comment="").status_code == 302
    assert refresh(incident).state == "closed"

    html = desk.get(reverse("ui:incident_detail", args=[incident.number])).content.decode()
    for phrase in ("DESK dispatched it", "L1 took it", "L1 logged work", "L1 escalated it", "Driver issue",
                   "L2 put it pending", "L2 resolved it", "REQUESTER confirmed the fix"):
        assert phrase in html, phrase
    assert "Group:</span> <del" in html  # the changed field is labelled with its verbose name


def test_a_stale_edit_shows_the_conflict_and_keeps_the_typed_values(world, as_user, reported):
    incident = reported()
    stale_version = incident.version
    services.incident_update(actor=world.desk, incident=incident.number, version=incident.version,
                             title="Changed by a colleague")
    response = as_user("desk").post(reverse("ui:incident_edit", args=[incident.number]), {
        "edit-version": stale_version, "edit-title": "My better title", "edit-description": "My description",
        "edit-service": world.production.pk, "edit-category": "", "edit-impact": "3", "edit-urgency": "2",
        "edit-priority": "", "edit-priority_reason": "",
    })
    assert response.status_code == 409
    html = response.content.decode()
    assert "was changed by someone else" in html
    assert 'value="My better title"' in html
    assert f'name="edit-version" value="{stale_version + 1}"' in html
    assert refresh(incident).title == "Changed by a colleague"
    conflicts = html[html.index('id="edit-conflicts"'):]
    assert "Title" in conflicts[:conflicts.index("</div>")]
    assert "Urgency" not in conflicts[:conflicts.index("</div>")]


def test_an_edit_saves_and_the_timeline_names_the_field(world, as_user, reported):
    incident = reported()
    client = as_user("desk")
    response = client.post(reverse("ui:incident_edit", args=[incident.number]), {
        "edit-version": incident.version, "edit-title": "Printer offline on floor 3",
        "edit-description": incident.description, "edit-service": world.production.pk,
        "edit-category": world.categories["operation"].pk, "edit-impact": "3", "edit-urgency": "2",
        "edit-priority": "", "edit-priority_reason": "",
    })
    assert response.status_code == 302
    assert refresh(incident).title == "Printer offline on floor 3"
    html = client.get(response["Location"]).content.decode()
    assert "DESK changed the record" in html
    assert "Title:</span> <del" in html


def test_a_bad_work_log_keeps_the_note(world, as_user, reported):
    incident = reported()
    services.incident_transition(actor=world.desk, incident=incident.number, transition="assign",
                                 version=incident.version, group=world.l1_group, assignee=world.l1)
    response = as_user("l1").post(reverse("ui:incident_log_work", args=[incident.number]),
                                  {"worklog-minutes": "0", "worklog-note": "Rebooted the router"})
    assert response.status_code == 422
    assert "Rebooted the router" in response.content.decode()
    assert incident.worklogs.count() == 0


def test_a_refused_upload_on_the_record_says_why(world, as_user, reported):
    incident = reported()
    response = as_user("desk").post(reverse("ui:incident_attach", args=[incident.number]), {
        "attach-attachments": SimpleUploadedFile("run.bat", b"@echo off", content_type="text/plain")})
    assert response.status_code == 422
    assert "run.bat" in response.content.decode() and "not accepted" in response.content.decode()
    assert incident.attachments.count() == 0


def test_internal_comment_is_marked_and_hidden_from_the_requester(world, as_user, reported):
    incident = reported()
    response = as_user("desk").post(reverse("ui:incident_comment", args=[incident.number]),
                                    {"comment-body": "Known issue on that model", "comment-internal": "on"})
    assert response.status_code == 302
    assert incident.comments.get().is_internal
    html = as_user("requester").get(reverse("ui:incident_detail", args=[incident.number])).content.decode()
    assert "Known issue on that model" not in html


def test_watch_chase_and_major_incident_panel(world, as_user, reported):
    major, child = reported("Whole ERP down"), reported("Cannot log in to ERP")
    manager = as_user("incident_manager")
    assert manager.post(reverse("ui:incident_watch", args=[child.number])).status_code == 302
    assert child.watcher_links.filter(user=world.manager).exists()

    response = manager.post(reverse("ui:incident_flag_major", args=[major.number]),
                            {"flag-version": major.version, "flag-owner": "", "flag-reason": "Many callers"})
    assert response.status_code == 302 and refresh(major).is_major
    response = manager.post(reverse("ui:incident_link_child", args=[major.number]), {"link-child": "INC000"})
    assert response.status_code == 404
    assert "does not exist" in response.content.decode()
    response = manager.post(reverse("ui:incident_link_child", args=[major.number]), {"link-child": child.number.lower()})
    assert response.status_code == 302 and refresh(child).parent == major
    response = manager.post(reverse("ui:incident_major_update", args=[major.number]),
                            {"update-body": "Vendor engaged, ETA 30 minutes"})
    assert response.status_code == 302
    html = manager.get(reverse("ui:incident_detail", args=[major.number])).content.decode()
    assert child.number in html and "Vendor engaged" in html


def test_the_desk_records_a_call_back(world, as_user, reported):
    incident = reported()
    incident = services.incident_transition(actor=world.desk, incident=incident.number, transition="resolve",
                                            version=incident.version, resolution="Reset password")
    response = as_user("desk").post(reverse("ui:incident_callback", args=[incident.number]),
                                    {"callback-rating": "3", "callback-comment": "OK but slow"})
    assert response.status_code == 302
    assert refresh(incident).callback_rating == 3


def test_the_auditor_reads_everything_and_gets_no_write_buttons(world, as_user, reported):
    incident = reported()
    html = as_user("auditor").get(reverse("ui:incident_detail", args=[incident.number])).content.decode()
    assert "Nothing prints since this morning." in html
    assert "data-transition=" not in html
    assert reverse("ui:incident_comment", args=[incident.number]) not in html
    assert reverse("ui:incident_edit", args=[incident.number]) not in html
    assert reverse("ui:incident_watch", args=[incident.number]) not in html


def test_a_forced_post_by_the_auditor_is_refused(world, as_user, reported):
    incident = reported()
    auditor = as_user("auditor")
    entries = AuditEntry.objects.count()
    for url, data in [
        (reverse("ui:incident_transition", args=[incident.number, "cancel"]),
         {"cancel-version": incident.version, "cancel-reason": "x"}),
        (reverse("ui:incident_transition", args=[incident.number, "assign"]),
         {"assign-version": incident.version, "assign-group": world.l1_group.pk}),
        (reverse("ui:incident_comment", args=[incident.number]), {"comment-body": "hi"}),
        (reverse("ui:incident_watch", args=[incident.number]), {}),
    ]:
        response = auditor.post(url, data)
        assert response.status_code == 403, url
        assert 'id="page-error"' in response.content.decode()
    assert refresh(incident).state == "new" and incident.comments.count() == 0
    assert AuditEntry.objects.count() == entries


def test_queue_filters_and_pages_by_keyset(world, as_user, reported):
    for index in range(27):
        reported(f"Batch {index}")
    special = reported("Unusual scanner fault")
    client = as_user("desk")
    first = client.get(reverse("ui:incident_queue"), {"queue": "undispatched"})
    html = first.content.decode()
    assert html.count("data-queue-row") == 25
    cursor = first.context["next_cursor"]
    assert cursor
    second = client.get(reverse("ui:incident_queue"), {"queue": "undispatched", "cursor": cursor})
    assert second.content.decode().count("data-queue-row") == 3
    assert not (set(r.pk for r in first.context["rows"]) & set(r.pk for r in second.context["rows"]))

    found = client.get(reverse("ui:incident_queue"), {"queue": "", "q": "scanner"})
    assert [r.pk for r in found.context["rows"]] == [special.pk]
    partial = client.get(reverse("ui:incident_queue"), {"queue": "", "q": "scanner"},
                         HTTP_HX_REQUEST="true", HTTP_HX_TARGET="queue-results")
    assert "<html" not in partial.content.decode() and special.number in partial.content.decode()


def test_queues_mine_and_unassigned(world, as_user, reported):
    mine = reported("Mine")
    services.incident_transition(actor=world.desk, incident=mine.number, transition="assign",
                                 version=mine.version, group=world.l1_group, assignee=world.l1)
    loose = reported("Loose")
    services.incident_transition(actor=world.desk, incident=loose.number, transition="assign",
                                 version=loose.version, group=world.l1_group)
    client = as_user("l1")
    assert [r.pk for r in client.get(reverse("ui:incident_queue"), {"queue": "mine"}).context["rows"]] == [mine.pk]
    unassigned = client.get(reverse("ui:incident_queue"), {"queue": "unassigned"}).context["rows"]
    assert [r.pk for r in unassigned] == [loose.pk]


def test_dashboard_counts_and_requesters_go_to_the_portal(world, as_user, reported):
    reported()
    response = as_user("desk").get(reverse("ui:home"))
    assert 'data-stat="undispatched">1<' in response.content.decode()
    assert as_user("requester").get(reverse("ui:home"))["Location"] == reverse("ui:portal_home")


def test_queue_and_record_pages_have_bounded_queries(world, as_user, reported, django_assert_max_num_queries):
    for index in range(30):
        incident = reported(f"Batch {index}")
        services.incident_comment(actor=world.desk, incident=incident.number, body="Looking")
    client = as_user("desk")
    client.get(reverse("ui:home"))
    with django_assert_max_num_queries(16):
        response = client.get(reverse("ui:incident_queue"), {"queue": ""})
    assert response.content.decode().count("data-queue-row") == 25
    with django_assert_max_num_queries(30):
        client.get(reverse("ui:incident_detail", args=[incident.number]))


def test_typing_a_number_in_the_search_box_opens_the_record(world, as_user, reported):
    incident = reported()
    response = as_user("desk").get(reverse("ui:incident_queue"), {"q": incident.number.lower(), "state": ""})
    assert response.status_code == 302
    assert response["Location"] == reverse("ui:incident_detail", args=[incident.number])


def test_attachments_download_only_for_those_who_may_read_the_record(world, as_user):
    incident = services.incident_create(
        actor=world.requester, title="Screen", description="See the screenshot", service=world.production,
        attachments=[SimpleUploadedFile("screen.png", b"\x89PNG-bytes", content_type="image/png")])
    attachment = incident.attachments.get()
    url = reverse("ui:attachment_download", args=[incident.number, attachment.pk])
    response = as_user("requester").get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"\x89PNG-bytes"
    assert as_user("requester2").get(url).status_code == 404
    assert as_user("desk").get(url).status_code == 200
