"""Signing in and out, the language switch, the profile's API tokens, the notification bell."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.urls import reverse

from opsdesk.accounts.models import ApiToken
from opsdesk.accounts.services import SIGN_IN_ATTEMPTS, api_token_authenticate, api_token_create
from opsdesk.audit.models import AuditEntry
from opsdesk.core import clock
from opsdesk.incidents import services
from opsdesk.notifications.models import Notification


def english() -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    return client


def test_sign_in_with_a_wrong_password_says_so_keeps_the_username_and_is_audited(world):
    client = english()
    response = client.post(reverse("ui:login"), {"username": "requester", "password": "wrong"})
    assert response.status_code == 422
    html = response.content.decode()
    assert "The username or password is wrong." in html
    assert 'value="requester"' in html
    assert AuditEntry.objects.filter(action="user.sign_in_failed").count() == 1


def test_sign_in_and_out_with_a_session(world):
    client = english()
    response = client.post(reverse("ui:login"), {"username": "desk", "password": "demo-pass-1",
                                                  "next": reverse("ui:incident_queue")})
    assert response.status_code == 302 and response["Location"] == reverse("ui:incident_queue")
    assert client.get(reverse("ui:home")).status_code == 200
    assert AuditEntry.objects.filter(action="user.signed_in", actor=world.desk).exists()

    client.post(reverse("ui:logout"))
    response = client.get(reverse("ui:home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("ui:login"))


def test_sign_in_is_throttled_after_repeated_failures(world):
    client = english()
    for _ in range(SIGN_IN_ATTEMPTS):
        client.post(reverse("ui:login"), {"username": "l1", "password": "nope"})
    response = client.post(reverse("ui:login"), {"username": "l1", "password": "demo-pass-1"})
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()


def test_sign_in_does_not_redirect_to_another_site(world):
    response = english().post(reverse("ui:login"), {"username": "desk", "password": "demo-pass-1",
                                                    "next": "https://evil.example/"})
    assert response["Location"] == reverse("ui:home")


def test_the_default_language_is_chinese_and_the_switch_gives_english(world):
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = client.post(reverse("ui:login"), {"username": "", "password": ""}).content.decode()
    assert '<html lang="zh-hans">' in html
    assert "这个字段是必填项。" in html  # Django's own catalogue: the form speaks Chinese

    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("ui:login")})
    assert response.status_code == 302
    html = client.post(reverse("ui:login"), {"username": "", "password": ""}).content.decode()
    assert '<html lang="en">' in html
    assert "This field is required." in html


def test_times_are_shown_in_shanghai(world, as_user):
    with clock.frozen_at(dt.datetime(2026, 11, 27, 23, 30, tzinfo=dt.UTC)):
        incident = services.incident_create(actor=world.requester, title="Late", description="At night",
                                            service=world.production)
    html = as_user("requester").get(reverse("ui:portal_detail", args=[incident.number])).content.decode()
    assert "2026-11-28 07:30" in html


def test_profile_shows_details_and_manages_tokens(world, as_user):
    client = as_user("l1")
    page = client.get(reverse("ui:profile")).content.decode()
    assert "l1@example.test" in page and "L1 engineer" in page

    response = client.post(reverse("ui:token_create"), {"name": ""})
    assert response.status_code == 422
    assert ApiToken.objects.count() == 0

    response = client.post(reverse("ui:token_create"), {"name": "monitoring bridge"})
    assert response.status_code == 200
    secret = response.context["secret"]
    assert secret.startswith("odk_") and secret in response.content.decode()
    assert api_token_authenticate(secret) == world.l1

    listing = client.get(reverse("ui:profile")).content.decode()
    assert "monitoring bridge" in listing and secret not in listing  # shown once only

    token = ApiToken.objects.get()
    assert client.post(reverse("ui:token_revoke", args=[token.pk])).status_code == 302
    assert api_token_authenticate(secret) is None
    assert "Revoked" in client.get(reverse("ui:profile")).content.decode()


def test_a_user_cannot_revoke_someone_elses_token(world, as_user):
    issued = api_token_create(actor=world.l2, name="theirs")
    as_user("l1").post(reverse("ui:token_revoke", args=[issued.token.pk]))
    assert api_token_authenticate(issued.secret) == world.l2


def test_the_bell_counts_unread_and_marks_read(world, as_user):
    incident = services.incident_create(actor=world.desk, requester=world.requester, title="Mail down",
                                        description="No mail", service=world.production, group=world.l1_group,
                                        assignee=world.l1)
    client = as_user("l1")
    html = client.get(reverse("ui:home")).content.decode()
    assert 'data-unread="1"' in html
    menu = client.get(reverse("ui:notification_menu")).content.decode()
    assert incident.number in menu and "Assigned to you or your group" in menu

    note = Notification.objects.get(recipient=world.l1)
    response = client.get(reverse("ui:notification_open", args=[note.pk]))
    assert response["Location"] == reverse("ui:incident_detail", args=[incident.number])
    assert Notification.objects.get(pk=note.pk).read_at is not None
    assert 'data-unread=' not in client.get(reverse("ui:home")).content.decode()


def test_mark_all_read(world, as_user):
    services.incident_create(actor=world.desk, requester=world.requester, title="A", description="B",
                             service=world.production, group=world.l1_group, assignee=world.l1)
    client = as_user("l1")
    assert client.post(reverse("ui:notification_mark_read")).status_code == 302
    assert not Notification.objects.filter(recipient=world.l1, read_at__isnull=True).exists()


def test_signing_in_from_a_browser_without_a_choice_gives_the_users_language(world):
    client = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    client.post(reverse("ui:login"), {"username": "desk", "password": "demo-pass-1"})
    assert '<html lang="zh-hans">' in client.get(reverse("ui:home")).content.decode()

    chosen = english()
    chosen.post(reverse("ui:login"), {"username": "desk", "password": "demo-pass-1"})
    assert '<html lang="en">' in chosen.get(reverse("ui:home")).content.decode()
