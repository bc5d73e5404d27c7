"""Fixtures for the browser-UI tests (Django's test client; English unless a test says otherwise)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from opsdesk.incidents import services
from opsdesk.incidents.models import Incident


@pytest.fixture
def as_user(world) -> Callable[..., Client]:
    """A signed-in client reading English: ``as_user("desk")``."""

    def make(username: str, language: str = "en") -> Client:
        client = Client()
        client.force_login(getattr(world, "manager" if username == "incident_manager" else username))
        client.cookies["django_language"] = language
        return client

    return make


@pytest.fixture
def reported(world) -> Callable[..., Incident]:
    """An incident the requester reported through the portal."""

    def make(title: str = "Printer offline", requester: Any = None, **extra: Any) -> Incident:
        return services.incident_create(actor=requester or world.requester, title=title,
                                        description="Nothing prints since this morning.",
                                        service=world.production, category=world.categories["operation"], **extra)

    return make


def refresh(incident: Incident) -> Incident:
    return Incident.objects.get(pk=incident.pk)
