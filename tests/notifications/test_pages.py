"""The notification settings page, the administrators' outbox page, and SLA notifications in the bell."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.urls import reverse

from opsdesk.audit.models import AuditEntry
from opsdesk.core import clock
from opsdesk.notifications.models import EmailStatus, NotificationKind, NotificationPreference, OutgoingEmail
from opsdesk.notifications.selectors import notification_preferences
from opsdesk.notifications.services import notify
from tests.incidents.records import Maker


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client


def emailed(user) -> set[str]:
    return {row.kind for row in notification_preferences(user=user) if row.email}


def test_defaults_email_everything_but_comments_and_the_profile_links_to_the_settings(world) -> None:
    assert emailed(world.l1) == set(NotificationKind.values) - {"commented"}
    page = signed_in(world.l1).get(reverse("ui:profile")).content.decode()
    assert reverse("ui:notification_preferences") in page


def test_saving_the_settings_keeps_the_choice_and_is_audited(world) -> None:
    client = signed_in(world.l1)
    page = client.get(reverse("ui:notification_preferences")).content.decode()
    assert "Service level target breached" in page and 'value="chased" id="email-chased" checked' in page
    chosen = ["assigned", "sla_breached", "commented"]
    response = client.post(reverse("ui:notification_preferences"), {"email": chosen})
    assert response.status_code == 302
    assert emailed(world.l1) == set(chosen)
    entry = AuditEntry.objects.get(action="notifications.preferences_changed")
    assert entry.data["changes"]["chased"] == [True, False] and entry.data["changes"]["commented"] == [False, True]
    page = client.get(reverse("ui:notification_preferences")).content.decode()
    assert 'value="chased" id="email-chased">' in page and 'value="commented" id="email-commented" checked' in page


def test_an_unknown_kind_is_refused_by_name_and_nothing_is_stored(world) -> None:
    response = signed_in(world.l1).post(reverse("ui:notification_preferences"), {"email": ["assigned", "bogus"]})
    assert response.status_code == 422
    assert "Choose from the listed kinds." in response.content.decode()
    assert not NotificationPreference.objects.exists()


def test_the_outbox_shows_administrators_what_waits_and_why_and_retries_it(world) -> None:
    incident = Maker(world).report()
    OutgoingEmail.objects.all().delete()
    notify(recipients=[world.l1, world.l2], kind="assigned", subject=incident, actor=world.desk)
    later = clock.now() + dt.timedelta(minutes=4)
    OutgoingEmail.objects.filter(to_address="l1@example.test").update(
        status=EmailStatus.FAILED, attempts=1, last_error="550 5.1.1 No such user here")
    OutgoingEmail.objects.filter(to_address="l2@example.test").update(
        attempts=3, last_error="ConnectionRefusedError: [Errno 111] Connection refused", next_attempt_at=later)
    assert signed_in(world.l1).get(reverse("ui:outgoing_email_list")).status_code == 403
    client = signed_in(world.admin)
    page = client.get(reverse("ui:outgoing_email_list")).content.decode()
    assert "550 5.1.1 No such user here" in page and "Connection refused" in page
    assert incident.number in page and "l1@example.test" in page
    failed = OutgoingEmail.objects.get(to_address="l1@example.test")
    response = client.post(reverse("ui:outgoing_email_list"), {"id": [failed.pk]})
    assert response.status_code == 302
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (EmailStatus.QUEUED, 0)
    assert AuditEntry.objects.filter(action="notifications.email_retried", actor=world.admin).exists()


def test_the_bell_says_how_far_an_sla_clock_is(world) -> None:
    incident = Maker(world).report()
    notify(recipients=[world.l1], kind=NotificationKind.SLA_THRESHOLD, subject=incident, actor=None,
           data={"percent": 80, "clock": "resolution"})
    notify(recipients=[world.l1], kind=NotificationKind.SLA_BREACHED, subject=incident, actor=None,
           data={"clock": "resolution"})
    page = signed_in(world.l1).get(reverse("ui:notification_list")).content.decode()
    assert "80% of the resolution time has passed." in page
    assert "The resolution target was breached." in page and incident.title in page
    api = signed_in(world.l1).get("/api/v1/notifications")
    assert api.status_code == 200
    first = api.json()["items"][0]
    assert first["kind"] == "sla_breached" and first["data"] == {"clock": "resolution"}
    assert first["subject_title"] == incident.title


def test_the_api_reads_and_sets_which_kinds_come_by_email(world) -> None:
    client = signed_in(world.l1)
    rows = client.get("/api/v1/notifications/preferences").json()
    assert {r["kind"]: r["email"] for r in rows}["commented"] is False and all(r["in_app"] for r in rows)
    response = client.put("/api/v1/notifications/preferences", {"email": ["sla_breached"]},
                          content_type="application/json")
    assert response.status_code == 200
    assert [r["kind"] for r in response.json() if r["email"]] == ["sla_breached"]
    refused = client.put("/api/v1/notifications/preferences", {"email": ["nope"]}, content_type="application/json")
    assert refused.status_code == 422 and refused.json()["code"] == "invalid"
    assert emailed(world.l1) == {"sla_breached"}


def test_only_administrators_see_the_outbox_in_the_sidebar(world) -> None:
    assert 'id="nav-outbox"' in signed_in(world.admin).get(reverse("ui:incident_queue")).content.decode()
    assert 'id="nav-outbox"' not in signed_in(world.l1).get(reverse("ui:incident_queue")).content.decode()
