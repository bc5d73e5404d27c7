"""Fixtures for the CMDB pages: signed-in clients (Chinese unless a test asks for English) and a small estate."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client

from opsdesk.cmdb.models import ConfigurationItem


@pytest.fixture
def as_user(world) -> Callable[..., Client]:
    """A signed-in client: ``as_user("desk")`` reads Chinese (the default), ``as_user("desk", "en")`` English."""

    def make(username: str, language: str = "zh-hans") -> Client:
        client = Client()
        client.force_login(getattr(world, "manager" if username == "incident_manager" else username))
        client.cookies["django_language"] = language
        return client

    return make


@dataclass
class Estate:
    app: ConfigurationItem
    db: ConfigurationItem
    server: ConfigurationItem
    switch: ConfigurationItem
    cabinet: ConfigurationItem


@pytest.fixture
def estate(cmdb) -> Estate:
    """The production system's application on a server, its database, an access switch and a cabinet (City A)."""
    world = cmdb.world
    server = cmdb.ci("server", "pms-app-01", attributes={"serial_number": "SN-1001", "ip_address": "10.1.1.11",
                                                         "os": "Linux", "cpu_cores": 16},
                     location="南京机房 A-01", warranty_end="2026-12-20", supplier="华为")
    db = cmdb.ci("database", "pms-oracle", attributes={"engine": "Oracle", "host": server.pk})
    app = cmdb.ci("application", "生产管理系统", services=[world.production])
    switch = cmdb.ci("network_device", "nj-acc-sw-01", attributes={"serial_number": "SW-77", "device_role": "access"})
    cabinet = cmdb.ci("cabinet", "A-01 机柜", attributes={"room": "南京机房"})
    cmdb.relate(app, "runs_on", server)
    cmdb.relate(app, "depends_on", db)
    cmdb.relate(db, "runs_on", server)
    cmdb.relate(server, "connected_to", switch)
    cmdb.relate(server, "part_of", cabinet)
    return Estate(app=app, db=db, server=server, switch=switch, cabinet=cabinet)
