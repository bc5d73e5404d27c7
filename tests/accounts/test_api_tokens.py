"""Personal API tokens: named, shown once, stored as a digest, revocable, audited."""

from __future__ import annotations

import datetime as dt

import pytest

from opsdesk.accounts import services as accounts
from opsdesk.accounts.models import ApiToken
from opsdesk.audit.models import AuditEntry
from opsdesk.core import clock
from opsdesk.core.errors import NotFound, ValidationFailed


def test_a_token_is_shown_once_and_only_its_digest_is_stored(world) -> None:
    issued = accounts.api_token_create(actor=world.l1, name=" CI pipeline ")
    assert issued.secret.startswith("odk_") and issued.token.name == "CI pipeline"
    stored = ApiToken.objects.get(pk=issued.token.pk)
    assert issued.secret not in (stored.digest, stored.prefix) and issued.secret.startswith(stored.prefix)
    assert accounts.api_token_authenticate(issued.secret) == world.l1
    entry = AuditEntry.objects.get(action="api_token.created")
    assert (entry.actor, entry.data) == (world.l1, {"name": "CI pipeline"})
    assert issued.secret not in str(entry.data)


@pytest.mark.parametrize(("name", "field"), [("", "name"), ("   ", "name"), ("x" * 81, "name")])
def test_a_token_needs_a_short_name(world, name, field) -> None:
    with pytest.raises(ValidationFailed) as caught:
        accounts.api_token_create(actor=world.l1, name=name)
    assert field in caught.value.field_errors
    assert not ApiToken.objects.exists()


def test_a_revoked_token_no_longer_works(world) -> None:
    issued = accounts.api_token_create(actor=world.l1, name="laptop")
    accounts.api_token_revoke(actor=world.l1, token_id=issued.token.pk)
    assert accounts.api_token_authenticate(issued.secret) is None
    accounts.api_token_revoke(actor=world.l1, token_id=issued.token.pk)  # again: no second entry
    assert AuditEntry.objects.filter(action="api_token.revoked").count() == 1


def test_nobody_revokes_another_persons_token(world) -> None:
    issued = accounts.api_token_create(actor=world.l1, name="laptop")
    with pytest.raises(NotFound):
        accounts.api_token_revoke(actor=world.admin, token_id=issued.token.pk)
    assert accounts.api_token_authenticate(issued.secret) == world.l1


def test_a_wrong_or_inactive_users_token_is_refused(world) -> None:
    issued = accounts.api_token_create(actor=world.l1, name="laptop")
    assert accounts.api_token_authenticate(issued.secret + "x") is None
    world.l1.is_active = False
    world.l1.save()
    assert accounts.api_token_authenticate(issued.secret) is None


def test_last_use_is_remembered(world) -> None:
    moment = dt.datetime(2026, 11, 27, 8, 0, tzinfo=dt.UTC)
    issued = accounts.api_token_create(actor=world.l1, name="laptop")
    with clock.frozen_at(moment):
        assert accounts.api_token_authenticate(issued.secret) == world.l1
    assert ApiToken.objects.get(pk=issued.token.pk).last_used_at == moment
    with clock.frozen_at(moment + dt.timedelta(minutes=4)):  # noted at most every five minutes
        assert accounts.api_token_authenticate(issued.secret) == world.l1
    assert ApiToken.objects.get(pk=issued.token.pk).last_used_at == moment
    with clock.frozen_at(moment + dt.timedelta(minutes=6)):
        user = accounts.api_token_authenticate(issued.secret)
    assert ApiToken.objects.get(pk=issued.token.pk).last_used_at == moment + dt.timedelta(minutes=6)
    assert (user.username, user.organisation_id, user.roles) == ("l1", world.l1.organisation_id, world.l1.roles)
