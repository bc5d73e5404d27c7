"""The requester's self-service portal: report, follow, confirm or reject."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from opsdesk.incidents import services
from opsdesk.incidents.models import Incident

from .conftest import refresh


def report_data(world, **overrides):
    data = {
        "service": world.production.pk,
        "category": world.categories["bug"].pk,
        "title": "Order screen freezes",
        "description": "Clicking Save freezes the order screen for a minute.",
        "occurred_at": "2026-11-27T09:30",
        "urgency": "1",
        "contact_name": "Zhang San",
        "contact_phone": "13800000000",
        "contact_email": "zhang@example.test",
    }
    data.update(overrides)
    return data


def test_requester_reports_a_fault_with_attachments_and_lands_on_its_page(world, as_user):
    client = as_user("requester")
    files = [SimpleUploadedFile("screen.png", b"\x89PNG fake", content_type="image/png"),
             SimpleUploadedFile("app.log", b"ERROR timeout", content_type="text/plain")]
    response = client.post(reverse("ui:portal_new"), {**report_data(world), "attachments": files})

    incident = Incident.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("ui:portal_detail", args=[incident.number])
    assert incident.requester == world.requester and incident.channel == "portal"
    assert incident.category == world.categories["bug"] and incident.urgency == 1
    assert incident.contact_phone == "13800000000"
    assert incident.occurred_at.isoformat().startswith("2026-11-27T01:30")  # 09:30 in Shanghai is 01:30 UTC
    assert sorted(a.name for a in incident.attachments.all()) == ["app.log", "screen.png"]

    page = client.get(response["Location"])
    assert page.status_code == 200
    assert incident.number in page.content.decode()
    assert "screen.png" in page.content.decode()


def test_a_refused_attachment_says_why_and_keeps_what_was_typed(world, as_user):
    client = as_user("requester")
    virus = SimpleUploadedFile("setup.exe", b"MZ", content_type="application/octet-stream")
    response = client.post(reverse("ui:portal_new"), {**report_data(world), "attachments": [virus]})

    assert response.status_code == 422
    html = response.content.decode()
    assert "setup.exe" in html and "not accepted" in html
    assert 'value="Order screen freezes"' in html
    assert "Clicking Save freezes the order screen for a minute." in html
    assert 'value="13800000000"' in html
    assert Incident.objects.count() == 0


def test_an_oversized_attachment_names_the_limit(world, as_user, settings):
    settings.OPSDESK_ATTACHMENT_MAX_BYTES = 1024
    client = as_user("requester")
    big = SimpleUploadedFile("dump.txt", b"x" * 4096, content_type="text/plain")
    response = client.post(reverse("ui:portal_new"), {**report_data(world), "attachments": [big]})
    assert response.status_code == 422
    assert "the limit is" in response.content.decode()
    assert Incident.objects.count() == 0


def test_a_missing_title_is_shown_next_to_the_field(world, as_user):
    response = as_user("requester").post(reverse("ui:portal_new"), report_data(world, title=""))
    assert response.status_code == 422
    assert 'id="id_title_errors"' in response.content.decode()
    assert Incident.objects.count() == 0


def test_categories_follow_the_chosen_service(world, as_user):
    response = as_user("requester").get(reverse("ui:category_options"), {"service": world.erp.pk})
    html = response.content.decode()
    assert "报表问题" in html
    assert "程序BUG" not in html


def test_requester_sees_only_their_own_records(world, as_user, reported):
    mine = reported("Mine")
    theirs = reported("Not mine", requester=world.requester2)
    html = as_user("requester").get(reverse("ui:portal_home")).content.decode()
    assert mine.number in html
    assert theirs.number not in html


def test_another_citys_requester_gets_404_for_the_record(world, as_user, reported):
    incident = reported()
    client = as_user("requester2")
    assert client.get(reverse("ui:portal_detail", args=[incident.number])).status_code == 404
    assert client.get(reverse("ui:incident_detail", args=[incident.number])).status_code == 404
    response = client.post(reverse("ui:incident_comment", args=[incident.number]), {"comment-body": "hello"})
    assert response.status_code == 404
    assert incident.comments.count() == 0


def _resolved(world, reported):
    incident = reported()
    incident = services.incident_transition(actor=world.desk, incident=incident.number, transition="assign",
                                            version=incident.version, group=world.l1_group, assignee=world.l1)
    incident = services.incident_transition(actor=world.l1, incident=incident.number, transition="accept",
                                            version=incident.version)
    return services.incident_transition(actor=world.l1, incident=incident.number, transition="resolve",
                                        version=incident.version, resolution="Replaced the toner.")


def test_requester_confirms_with_a_rating(world, as_user, reported):
    incident = _resolved(world, reported)
    client = as_user("requester")
    page = client.get(reverse("ui:portal_detail", args=[incident.number])).content.decode()
    assert "Replaced the toner." in page and 'data-transition="confirm"' in page

    response = client.post(reverse("ui:incident_transition", args=[incident.number, "confirm"]), {
        "view": "portal", "confirm-version": incident.version, "confirm-rating": "4", "confirm-comment": "Quick, thanks",
    })
    assert response.status_code == 302
    assert response["Location"] == reverse("ui:portal_detail", args=[incident.number])
    incident = refresh(incident)
    assert incident.state == "closed" and incident.satisfaction == 4
    timeline = client.get(response["Location"]).content.decode()
    assert "REQUESTER confirmed the fix" in timeline
    assert "Rating:</span> 4/5" in timeline


def test_rejecting_needs_a_reason_and_leaves_the_record_resolved(world, as_user, reported):
    incident = _resolved(world, reported)
    client = as_user("requester")
    url = reverse("ui:incident_transition", args=[incident.number, "reject"])
    response = client.post(url, {"view": "portal", "reject-version": incident.version, "reject-reason": ""})
    assert response.status_code == 422
    assert 'id="id_reject-reason_errors"' in response.content.decode()
    assert refresh(incident).state == "resolved"

    response = client.post(url, {"view": "portal", "reject-version": incident.version, "reject-reason": "Still jams"})
    assert response.status_code == 302
    assert refresh(incident).state == "assigned"


def test_requester_chases_and_the_count_shows(world, as_user, reported):
    incident = reported()
    client = as_user("requester")
    response = client.post(reverse("ui:incident_transition", args=[incident.number, "chase"]),
                           {"view": "portal", "chase-comment": "Urgent please"})
    assert response.status_code == 302
    assert refresh(incident).chase_count == 1
    page = client.get(reverse("ui:portal_detail", args=[incident.number])).content.decode()
    assert "REQUESTER chased it" in page


def test_requester_timeline_hides_internal_entries(world, as_user, reported):
    incident = reported()
    services.incident_comment(actor=world.desk, incident=incident.number, body="Caller sounded annoyed", internal=True)
    services.incident_comment(actor=world.desk, incident=incident.number, body="We are on it")
    html = as_user("requester").get(reverse("ui:portal_detail", args=[incident.number])).content.decode()
    assert "We are on it" in html
    assert "Caller sounded annoyed" not in html
