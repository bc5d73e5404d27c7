"""The demo's application catalogue: four levels under the production system and the ERP, services on them."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

from opsdesk.audit.services import audit_verify_chain
from opsdesk.catalog.demo import seed_demo
from opsdesk.catalog.models import ApplicationNode, Service
from opsdesk.catalog.selectors import application_tree


def test_the_demo_catalogue(world) -> None:
    seed_demo(now=dt.datetime(2026, 11, 27, 2, tzinfo=dt.UTC), rng=random.Random(1))

    levels = Counter(ApplicationNode.objects.values_list("level", flat=True))
    assert levels["system"] == 4 and levels["subsystem"] >= 6 and levels["platform"] >= 6 and levels["module"] >= 12
    pms = next(item for item in application_tree() if item.node.code == "app-pms")
    assert {child.node.name for child in pms.children} == {"生产调度", "设备管理", "安全监察"}
    assert all(platform.children for subsystem in pms.children for platform in subsystem.children)
    erp = ApplicationNode.objects.get(code="app-erp")
    assert set(erp.children.values_list("name", flat=True)) == {"财务", "物资", "人资"}
    assert Service.objects.get(code="pms").application.code == "app-pms"
    assert Service.objects.get(code="erp").application == erp
    assert audit_verify_chain().intact
