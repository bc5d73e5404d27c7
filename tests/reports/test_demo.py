"""The demo's staff levels: five levels priced at two rates, the demo engineers on them, set up in the past."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest

from opsdesk.accounts.models import StaffLevel
from opsdesk.accounts.selectors import staff_level_rate_on
from opsdesk.audit.models import AuditEntry
from opsdesk.reports.demo import seed_demo

pytestmark = pytest.mark.django_db


def test_levels_rates_and_people(world):
    now = dt.datetime(2026, 11, 27, 2, 0, tzinfo=dt.UTC)
    seed_demo(now=now, rng=random.Random(1))
    assert list(StaffLevel.objects.values_list("code", flat=True)) == [
        "junior", "intermediate", "senior", "expert", "vendor"]
    senior = StaffLevel.objects.get(code="senior")
    assert staff_level_rate_on(senior, dt.date(2026, 9, 30)).hourly_rate == Decimal("260.00")
    assert staff_level_rate_on(senior, dt.date(2026, 10, 1)).hourly_rate == Decimal("280.00")
    for user in (world.l1, world.l2, world.l3, world.desk, world.manager):
        user.refresh_from_db()
    assert (world.l1.staff_level.code, world.l2.staff_level.code, world.l3.staff_level.code) == (
        "intermediate", "senior", "expert")
    assert world.admin.staff_level is None
    latest = AuditEntry.objects.filter(action__startswith="staff_level.").order_by("-at").first()
    assert latest.at < now - dt.timedelta(days=30)
