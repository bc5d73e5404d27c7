"""Fixtures for the CMDB tests: the standard classes on top of the shared world, and a CI maker."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import translation

from opsdesk.cmdb import services
from opsdesk.cmdb.defaults import install_standard_classes
from opsdesk.cmdb.models import CIClass, ConfigurationItem


@dataclass
class Cmdb:
    world: Any
    classes: dict[str, CIClass]

    def ci(self, class_code: str, name: str, *, org=None, actor=None, **fields: Any) -> ConfigurationItem:
        return services.ci_create(actor=actor or self.world.admin, ci_class=self.classes[class_code],
                                  organisation=org or self.world.city_a, name=name, **fields)

    def relate(self, source: ConfigurationItem, kind: str, target: ConfigurationItem, actor=None):
        return services.relation_create(actor=actor or self.world.admin, source=source, target=target, kind=kind)


@pytest.fixture(autouse=True)
def _english():
    """Messages and labels in English (assertions read them), whatever an earlier test activated."""
    with translation.override("en"):
        yield


@pytest.fixture
def cmdb(world) -> Cmdb:
    return Cmdb(world, install_standard_classes(actor=world.admin))
