"""Fixtures for the incident service tests."""

from __future__ import annotations

import pytest

from .records import Maker


@pytest.fixture
def make(world) -> Maker:
    return Maker(world)
