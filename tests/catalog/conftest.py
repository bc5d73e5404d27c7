"""Catalogue fixtures: a small application catalogue on top of the shared ``world``."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from opsdesk.catalog import services
from tests.api.conftest import client_for  # noqa: F401  (token-carrying API clients per user)
from tests.ui.conftest import as_user  # noqa: F401  (signed-in browser clients per user)


@pytest.fixture
def catalogue(world) -> SimpleNamespace:
    """生产管理系统 → 生产调度 → 调度平台 → 停电计划, and the ERP system; the world's services on them."""
    admin = world.admin
    pms = services.application_node_create(actor=admin, code="pms", name="生产管理系统", name_en="Production management",
                                           owner_group=world.l2_group)
    dispatch = services.application_node_create(actor=admin, code="pms-dispatch", name="生产调度", parent=pms)
    platform = services.application_node_create(actor=admin, code="pms-dispatch-platform", name="调度平台",
                                                parent=dispatch)
    outage = services.application_node_create(actor=admin, code="pms-outage", name="停电计划", parent=platform)
    erp = services.application_node_create(actor=admin, code="erp", name="ERP")
    finance = services.application_node_create(actor=admin, code="erp-fi", name="财务", parent=erp)
    services.service_update(actor=admin, service=world.production, application=pms)
    services.service_update(actor=admin, service=world.erp, application=finance)
    return SimpleNamespace(pms=pms, dispatch=dispatch, platform=platform, outage=outage, erp=erp, finance=finance)
