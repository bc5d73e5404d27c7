"""Demo staff levels (人员级别) with a rate history, and the level of each demo engineer (for the man-hour report)."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from zoneinfo import ZoneInfo

from opsdesk.accounts.models import User
from opsdesk.accounts.services import staff_level_create, staff_level_rate_set, user_staff_level_set
from opsdesk.core import clock
from opsdesk.demo.stories import HISTORY_DAYS

DEMO_ZONE = ZoneInfo("Asia/Shanghai")

# code, name, English name, rate a year ago, rate since the first day of last month (CNY per hour)
LEVELS = (
    ("junior", "初级工程师", "Junior engineer", "120.00", "130.00"),
    ("intermediate", "中级工程师", "Intermediate engineer", "180.00", "190.00"),
    ("senior", "高级工程师", "Senior engineer", "260.00", "280.00"),
    ("expert", "专家", "Expert", "380.00", "400.00"),
    ("vendor", "厂商工程师", "Vendor engineer", "600.00", "650.00"),
)
PEOPLE = {
    "desk": "junior", "desk2": "junior",
    "l1": "intermediate", "l1_nj2": "junior", "l1_sz": "junior", "l1_wx": "intermediate",
    "l1_hz": "intermediate", "l1_hz2": "junior", "l1_nb": "junior",
    "l2": "senior", "l2_erp": "senior", "l2_net": "intermediate", "l2_zj": "senior", "l2_zj_net": "intermediate",
    "incident_manager": "senior", "l3": "expert", "l3_erp": "expert", "vendor_sap": "vendor",
}


def seed_demo(*, now: dt.datetime, rng: random.Random) -> None:
    """Five levels priced from a year ago, raised from the first day of last month (so the demo's sixty
    days of work are priced at two rates), and a level for every engineer and desk agent, set up on the day the
    organisation was (so the audit trail stays in time order)."""
    with clock.frozen_at(now - dt.timedelta(days=HISTORY_DAYS + 1)):
        _seed(now)


def _seed(now: dt.datetime) -> None:
    today = now.astimezone(DEMO_ZONE).date()
    a_year_ago = today.replace(year=today.year - 1, day=1)
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    levels = {}
    for rank, (code, name, name_en, old_rate, new_rate) in enumerate(LEVELS):
        level = staff_level_create(actor=None, code=code, name=name, name_en=name_en, rank=rank,
                                   hourly_rate=Decimal(old_rate), effective_from=a_year_ago)
        staff_level_rate_set(actor=None, level=level, effective_from=last_month, hourly_rate=Decimal(new_rate))
        levels[code] = level
    for user in User.objects.filter(username__in=PEOPLE).order_by("username"):
        user_staff_level_set(actor=None, user=user, level=levels[PEOPLE[user.username]])
