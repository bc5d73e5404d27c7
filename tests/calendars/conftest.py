"""Calendar fixtures: the group's standard calendar with the Chinese holiday list of 2024–2026 seeded."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client

from opsdesk.accounts.models import User
from opsdesk.accounts.services import api_token_create
from opsdesk.calendars import services
from opsdesk.calendars.models import BusinessCalendar
from opsdesk.core import clock
from tests.api.expect import ApiClient


@pytest.fixture
def standard(world: Any) -> BusinessCalendar:
    """Monday–Friday 08:30–12:00 and 13:30–17:30 in Asia/Shanghai, CN holidays 2024–2026, the default."""
    with clock.frozen_at(datetime(2026, 3, 2, 1, 0, tzinfo=UTC)):
        return services.calendar_create(
            actor=world.admin, code="standard", name="标准工作日历", name_en="Standard", is_default=True,
            seed_years=[2024, 2025, 2026],
        )


@pytest.fixture
def client_for(world: Any) -> Callable[[User], ApiClient]:
    """A JSON API client with a token of the given user (English answers)."""
    clients: dict[int, ApiClient] = {}

    def make(user: User) -> ApiClient:
        if user.pk not in clients:
            secret = api_token_create(actor=user, name="tests").secret
            clients[user.pk] = ApiClient(headers={"Authorization": f"Bearer {secret}", "Accept-Language": "en"})
        return clients[user.pk]

    return make


@pytest.fixture
def as_user(world: Any) -> Callable[..., Client]:
    """A signed-in browser client reading English: ``as_user("admin")``."""

    def make(username: str, language: str = "en") -> Client:
        client = Client()
        client.force_login(getattr(world, username))
        client.cookies["django_language"] = language
        return client

    return make
