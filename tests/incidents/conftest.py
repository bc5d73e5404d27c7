"""Fixtures for the incident service tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from .records import Maker


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    # The shared world creates a dozen users; the default PBKDF2 costs ~0.5 s each.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> Path:
    """Attachments land in a fresh directory per test, never in ``var/``."""
    root = tmp_path / "attachments"
    settings.MEDIA_ROOT = str(root)
    return root


@pytest.fixture
def make(world) -> Maker:
    return Maker(world)
