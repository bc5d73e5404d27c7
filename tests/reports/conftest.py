"""Report fixtures: staff levels with a rate history, and work logged at chosen moments."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from decimal import Decimal
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from opsdesk.accounts import services as accounts
from opsdesk.accounts.models import User
from opsdesk.core import clock
from opsdesk.incidents import services
from opsdesk.incidents.models import Incident, WorkLog

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(text: str) -> dt.datetime:
    """``"2026-10-31 23:30"`` in Shanghai, as an aware datetime."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _chinese() -> Iterator[None]:
    """Labels read in Simplified Chinese (the default language), whatever an earlier request activated."""
    with translation.override("zh-hans"):
        yield


@pytest.fixture
def levels(world: Any) -> SimpleNamespace:
    """junior: 100.00 from 2025-01-01, 120.00 from 2026-10-01; senior: 133.33 from 2025-01-01.
    l1 and l1b are junior, l2 is senior, l3 has no level."""
    admin = world.admin
    junior = accounts.staff_level_create(actor=admin, code="junior", name="初级工程师", name_en="Junior engineer",
                                         hourly_rate="100.00", effective_from=dt.date(2025, 1, 1))
    accounts.staff_level_rate_set(actor=admin, level=junior, effective_from=dt.date(2026, 10, 1), hourly_rate="120.00")
    senior = accounts.staff_level_create(actor=admin, code="senior", name="高级工程师", name_en="Senior engineer",
                                         rank=2, hourly_rate=Decimal("133.33"), effective_from=dt.date(2025, 1, 1))
    for user in (world.l1, world.l1b):
        accounts.user_staff_level_set(actor=admin, user=user, level=junior, effective_from=dt.date(2025, 1, 1))
    accounts.user_staff_level_set(actor=admin, user=world.l2, level=senior, effective_from=dt.date(2025, 1, 1))
    return SimpleNamespace(junior=junior, senior=senior)


@pytest.fixture
def incident_at(world: Any) -> Callable[..., Incident]:
    """An incident reported at ``when`` by ``requester`` (City A unless told), assigned to L1 with l1 on it."""

    def make(when: str = "2026-10-15 10:00", *, requester: User | None = None, service: Any = None,
             group: Any = None, assignee: User | None = None) -> Incident:
        with clock.frozen_at(at(when)):
            incident = services.incident_create(
                actor=requester or world.requester, title="生产系统登录失败", description="Nobody can log in.",
                service=service or world.production)
            return services.incident_transition(
                actor=world.desk, incident=incident.number, transition="assign", version=incident.version,
                group=group or world.l1_group, assignee=assignee if assignee is not None else world.l1)

    return make


@pytest.fixture
def log_work() -> Callable[..., WorkLog]:
    def log(incident: Incident, author: User, minutes: int, when: str) -> WorkLog:
        with clock.frozen_at(at(when)):
            return services.incident_log_work(actor=author, incident=incident.number, minutes=minutes,
                                              note="Checked the logs")

    return log
