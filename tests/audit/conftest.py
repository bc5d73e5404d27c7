"""Fixtures for these tests; the shared world lives in tests/conftest.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.cache import cache


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


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Sign-in throttling counts in the cache: each test starts from zero."""
    cache.clear()
