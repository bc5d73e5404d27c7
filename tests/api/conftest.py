"""API test fixtures: token-carrying clients per user of the ``world``, and an incident factory."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from opsdesk.accounts.models import User
from opsdesk.accounts.services import api_token_create
from opsdesk.incidents import services
from opsdesk.incidents.models import Incident

from .expect import ApiClient


@pytest.fixture
def client_for(world: Any) -> Callable[[User], ApiClient]:
    clients: dict[int, ApiClient] = {}

    def make(user: User) -> ApiClient:
        if user.pk not in clients:
            secret = api_token_create(actor=user, name="tests").secret
            clients[user.pk] = ApiClient(headers={"Authorization": f"Bearer {secret}", "Accept-Language": "en"})
        return clients[user.pk]

    return make


@pytest.fixture
def make_incident(world: Any) -> Callable[..., Incident]:
    def make(actor: User | None = None, **fields: Any) -> Incident:
        fields.setdefault("title", "SG186 cannot print meter reading lists")
        fields.setdefault("description", "The print button does nothing since this morning.")
        fields.setdefault("service", world.production)
        return services.incident_create(actor=actor or world.requester, **fields)

    return make

