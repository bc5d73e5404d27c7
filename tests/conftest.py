"""Shared fixtures: a small world of organisations, people, groups and services."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.cache import cache

from opsdesk.accounts import services as accounts
from opsdesk.accounts.models import Organisation, SupportGroup, User
from opsdesk.accounts.roles import Role
from opsdesk.catalog.models import Category, RoutingRule, Service


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # The shared world creates a dozen users; the default PBKDF2 costs ~0.5 s each.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    """Attachments land in a fresh directory per test, never in ``var/``."""
    root = tmp_path / "attachments"
    settings.MEDIA_ROOT = str(root)
    return root


@pytest.fixture(autouse=True)
def _clean_cache() -> Iterator[None]:
    """Sign-in throttling counts failures in the cache: every test starts and ends with none."""
    cache.clear()
    yield
    cache.clear()


@dataclass
class World:
    hq: Organisation
    province: Organisation
    city_a: Organisation
    city_b: Organisation
    desk_group: SupportGroup
    l1_group: SupportGroup
    l2_group: SupportGroup
    l3_group: SupportGroup
    users: SimpleNamespace
    production: Service
    erp: Service
    categories: dict[str, Category]

    def __getattr__(self, name: str) -> User:
        return getattr(self.users, name)


def build_world() -> World:
    hq = accounts.organisation_create(name="总部", name_en="Headquarters", code="hq", level="headquarters")
    province = accounts.organisation_create(name="省公司", name_en="Province", code="prov", level="province", parent=hq)
    city_a = accounts.organisation_create(name="甲市公司", name_en="City A", code="city-a", level="city", parent=province)
    city_b = accounts.organisation_create(name="乙市公司", name_en="City B", code="city-b", level="city", parent=province)

    def user(username: str, org: Organisation, *roles: str, **extra) -> User:
        return accounts.user_create(username=username, password="demo-pass-1", organisation=org,
                                    display_name=username.upper(), roles=roles, email=f"{username}@example.test", **extra)

    users = SimpleNamespace(
        admin=user("admin", hq, Role.ADMINISTRATOR),
        desk=user("desk", province, Role.SERVICE_DESK),
        l1=user("l1", city_a, Role.ENGINEER_L1),
        l1b=user("l1b", city_a, Role.ENGINEER_L1),
        l2=user("l2", province, Role.ENGINEER_L2),
        l3=user("l3", hq, Role.ENGINEER_L3),
        manager=user("incident_manager", province, Role.INCIDENT_MANAGER),
        requester=user("requester", city_a, Role.REQUESTER),
        requester2=user("requester2", city_b, Role.REQUESTER),
        viewer_a=user("viewer_a", city_a, Role.ORGANISATION_VIEWER),
        auditor=user("auditor", hq, Role.AUDITOR),
        category_admin=user("category_admin", province, Role.CATEGORY_ADMIN),
    )
    desk_group = accounts.group_create(name="服务台", code="desk", organisation=province, line="desk",
                                       members=[users.desk], lead=users.desk)
    l1_group = accounts.group_create(name="一线", code="l1", organisation=city_a, line="l1",
                                     members=[users.l1, users.l1b], lead=users.l1b)
    l2_group = accounts.group_create(name="二线", code="l2", organisation=province, line="l2", members=[users.l2])
    l3_group = accounts.group_create(name="三线", code="l3", organisation=hq, line="l3", members=[users.l3])
    production = Service.objects.create(name="生产管理系统", name_en="Production management", code="pms", kind="production")
    erp = Service.objects.create(name="ERP", code="erp", kind="erp")
    categories = {
        "operation": Category.objects.create(service=production, name="操作事件", code="operation"),
        "bug": Category.objects.create(service=production, name="程序BUG", code="bug"),
        "erp_report": Category.objects.create(service=erp, name="报表问题", code="report"),
    }
    return World(hq, province, city_a, city_b, desk_group, l1_group, l2_group, l3_group, users, production, erp, categories)


@pytest.fixture
def world(db) -> World:
    return build_world()


@pytest.fixture
def routed_world(world: World) -> World:
    RoutingRule.objects.create(service=world.production, category=world.categories["bug"], group=world.l1_group)
    return world
