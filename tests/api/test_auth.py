"""Signing in for a token, using it, losing it; the browser session with its CSRF check."""

from __future__ import annotations

from django.test import Client

from opsdesk.accounts.models import ApiToken
from opsdesk.accounts.services import api_token_revoke
from opsdesk.audit.models import AuditEntry

from .expect import error_of


def sign_in(username: str, password: str, **extra: str):
    return Client().post("/api/v1/auth/token", {"username": username, "password": password},
                         content_type="application/json", **extra)


def test_token_from_username_and_password_opens_the_api(world):
    response = sign_in("l1", "demo-pass-1")

    assert response.status_code == 200
    token = response.json()["token"]
    me = Client(headers={"Authorization": f"Bearer {token}"}).get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["username"] == "l1"
    assert ApiToken.objects.get(user=world.l1).name == "API sign-in"
    signed_in = AuditEntry.objects.get(action="user.signed_in", actor=world.l1)
    assert signed_in.source == "api"


def test_wrong_password_is_a_422_and_is_audited(world):
    body = error_of(sign_in("l1", "wrong"), 422)

    assert body["code"] == "bad_credentials"
    assert AuditEntry.objects.filter(action="user.sign_in_failed").count() == 1
    assert not ApiToken.objects.filter(user=world.l1).exists()


def test_missing_credentials_name_the_fields_in_the_callers_language(world):
    english = Client(headers={"Accept-Language": "en"})
    response = english.post("/api/v1/auth/token", {"username": "l1"}, content_type="application/json")

    body = error_of(response, 422)
    assert body["errors"] == {"password": ["This field is required."]}
    assert "password" in body["detail"]

    chinese = Client(headers={"Accept-Language": "zh-hans"})
    body = error_of(chinese.post("/api/v1/auth/token", {"username": "l1"}, content_type="application/json"), 422)
    assert body["errors"] == {"password": ["这个字段是必填项。"]}


def test_sign_in_is_throttled_after_repeated_failures(world):
    for _ in range(5):
        error_of(sign_in("l1", "wrong"), 422)

    body = error_of(sign_in("l1", "demo-pass-1"), 403)
    assert body["code"] == "throttled"


def test_no_token_is_a_401(world):
    response = Client().get("/api/v1/incidents")

    body = error_of(response, 401)
    assert body["code"] == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_unknown_token_is_a_401(world):
    body = error_of(Client(headers={"Authorization": "Bearer odk_not-a-real-token"}).get("/api/v1/me"), 401)
    assert body["code"] == "not_authenticated"


def test_revoked_token_is_a_401(world):
    token = sign_in("desk", "demo-pass-1").json()["token"]
    client = Client(headers={"Authorization": f"Bearer {token}"})
    assert client.get("/api/v1/me").status_code == 200

    api_token_revoke(actor=world.desk, token_id=ApiToken.objects.get(user=world.desk).pk)

    error_of(client.get("/api/v1/me"), 401)


def test_inactive_user_token_is_a_401(world, client_for):
    client = client_for(world.l2)
    world.l2.is_active = False
    world.l2.save()

    error_of(client.get("/api/v1/me"), 401)


def test_browser_session_reads_and_writes_with_csrf(world):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.requester)

    assert browser.get("/api/v1/me").json()["username"] == "requester"
    payload = {"title": "Mail is down", "description": "Outlook cannot connect.", "service": world.production.pk}
    refused = browser.post("/api/v1/incidents", payload, content_type="application/json")
    assert error_of(refused, 403)["code"] == "csrf_failed"

    browser.get("/api/v1/docs")  # any page sets the CSRF cookie
    token = browser.cookies["csrftoken"].value
    created = browser.post("/api/v1/incidents", payload, content_type="application/json",
                           headers={"X-CSRFToken": token})
    assert created.status_code == 201, created.content


def test_bearer_token_needs_no_csrf(world, client_for):
    client = client_for(world.requester)
    client.enforce_csrf_checks = True  # ignored for Bearer callers: a token is never sent by a browser on its own
    payload = {"title": "Mail is down", "description": "Outlook cannot connect.", "service": world.production.pk}

    assert client.post_json("/api/v1/incidents", payload).status_code == 201


def test_me_describes_the_caller(world, client_for):
    me = client_for(world.l1b).get("/api/v1/me").json()

    assert me["id"] == world.l1b.pk
    assert me["organisation"] == world.city_a.pk
    assert me["groups"] == [world.l1_group.pk]
    assert me["led_groups"] == [world.l1_group.pk]
    assert me["roles"] == ["engineer_l1"]
    assert "incident.work" in me["permissions"]
