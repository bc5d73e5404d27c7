"""Signing in: success and failure are audited; repeated failures are throttled."""

from __future__ import annotations

import pytest

from opsdesk.accounts import services as accounts
from opsdesk.accounts.services import SIGN_IN_ATTEMPTS
from opsdesk.audit.models import AuditEntry
from opsdesk.audit.services import audit_verify_chain
from opsdesk.core.errors import PermissionDenied, ValidationFailed

PASSWORD = "demo-pass-1"  # the world's password


def _actions() -> list[str]:
    return list(AuditEntry.objects.filter(action__startswith="user.sign").order_by("id").values_list("action", flat=True))


def test_a_good_sign_in_is_audited_with_the_user(world) -> None:
    user = accounts.user_sign_in(username="requester", password=PASSWORD, ip="10.0.0.1")
    assert user == world.requester
    entry = AuditEntry.objects.get(action="user.signed_in")
    assert (entry.actor, entry.subject_type, entry.subject_id, entry.organisation_id) == \
        (world.requester, "user", world.requester.pk, world.city_a.pk)


def test_a_wrong_password_is_refused_and_audited_without_saying_which_part_was_wrong(world) -> None:
    with pytest.raises(ValidationFailed) as caught:
        accounts.user_sign_in(username="requester", password="wrong", ip="10.0.0.1")
    assert caught.value.code == "bad_credentials"
    with pytest.raises(ValidationFailed) as unknown:
        accounts.user_sign_in(username="nobody", password="wrong", ip="10.0.0.1")
    assert str(unknown.value) == str(caught.value)
    entries = list(AuditEntry.objects.filter(action="user.sign_in_failed").order_by("id"))
    assert [(e.actor, e.data["username"]) for e in entries] == [(None, "requester"), (None, "nobody")]
    assert "wrong" not in str([e.data for e in entries])  # the password is never stored


def test_an_inactive_user_cannot_sign_in(world) -> None:
    world.l1.is_active = False
    world.l1.save()
    with pytest.raises(ValidationFailed):
        accounts.user_sign_in(username="l1", password=PASSWORD)


def test_repeated_failures_are_throttled_even_with_the_right_password(world) -> None:
    for _ in range(SIGN_IN_ATTEMPTS):
        with pytest.raises(ValidationFailed):
            accounts.user_sign_in(username="requester", password="guess", ip="10.0.0.66")
    with pytest.raises(PermissionDenied) as caught:
        accounts.user_sign_in(username="requester", password=PASSWORD, ip="10.0.0.66")
    assert caught.value.code == "throttled"
    assert _actions() == ["user.sign_in_failed"] * SIGN_IN_ATTEMPTS + ["user.sign_in_throttled"]
    throttled = AuditEntry.objects.get(action="user.sign_in_throttled")
    assert throttled.data["username"] == "requester"
    assert audit_verify_chain().intact


def test_throttling_ignores_the_case_of_the_username(world) -> None:
    for name in ("requester", "REQUESTER", "Requester", "requester", "REQUESTER"):
        with pytest.raises(ValidationFailed):
            accounts.user_sign_in(username=name, password="guess", ip="10.0.0.66")
    with pytest.raises(PermissionDenied):
        accounts.user_sign_in(username="requester", password=PASSWORD, ip="10.0.0.66")


def test_throttling_one_address_does_not_lock_the_user_out_elsewhere(world) -> None:
    for _ in range(SIGN_IN_ATTEMPTS):
        with pytest.raises(ValidationFailed):
            accounts.user_sign_in(username="requester", password="guess", ip="10.0.0.66")
    assert accounts.user_sign_in(username="requester", password=PASSWORD, ip="10.0.0.1") == world.requester
    assert accounts.user_sign_in(username="desk", password=PASSWORD, ip="10.0.0.66") == world.desk


def test_a_good_sign_in_resets_the_count(world) -> None:
    for _ in range(SIGN_IN_ATTEMPTS - 1):
        with pytest.raises(ValidationFailed):
            accounts.user_sign_in(username="requester", password="guess", ip="10.0.0.5")
    accounts.user_sign_in(username="requester", password=PASSWORD, ip="10.0.0.5")
    for _ in range(SIGN_IN_ATTEMPTS - 1):
        with pytest.raises(ValidationFailed):
            accounts.user_sign_in(username="requester", password="guess", ip="10.0.0.5")
    assert accounts.user_sign_in(username="requester", password=PASSWORD, ip="10.0.0.5") == world.requester
