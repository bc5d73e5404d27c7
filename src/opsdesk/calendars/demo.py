"""The demo group's business calendars, made through the calendar services as the administrator.

The group's standard calendar (the default, Monday–Friday 08:30–12:00 and 13:30–17:30, the Chinese holiday
list seeded for every year chinese-calendar knows from the demo's history through next year), a 7×24
calendar for network operations, and the Zhejiang provincial company's own calendar with its longer lunch
break. Runs before the incidents (see ``opsdesk.demo.loader``).
"""

from __future__ import annotations

import datetime as dt
import random
from datetime import time

from opsdesk.accounts.models import Organisation, User
from opsdesk.core import clock
from opsdesk.demo.stories import HISTORY_DAYS

from . import services
from .official_holidays import known_years

WEEKDAYS = range(5)


def seed_demo(*, now: dt.datetime, rng: random.Random) -> None:
    """Create the calendars on the day the demo's organisation was set up."""
    set_up = now - dt.timedelta(days=HISTORY_DAYS + 1)
    years = [year for year in range(set_up.year, now.year + 2) if year in known_years()]
    admin = User.objects.get(username="admin")
    headquarters = Organisation.objects.filter(parent__isnull=True).order_by("id").first()
    zhejiang = Organisation.objects.filter(code="hy-zj").first()
    with clock.frozen_at(set_up):
        services.calendar_create(
            actor=admin, code="standard", name="集团标准工作日历", name_en="Group standard working calendar",
            description="法定节假日与调休按国务院办公厅每年发布的安排。", organisation=headquarters,
            is_default=True, seed_years=years,
            weekly={day: [(time(8, 30), time(12)), (time(13, 30), time(17, 30))] for day in WEEKDAYS},
        )
        services.calendar_create(
            actor=admin, code="7x24", name="网络运维 7×24", name_en="Network operations 7×24",
            description="网络与机房值守：全年无休。", always_open=True, holiday_region="", weekly={},
        )
        if zhejiang is not None:
            services.calendar_create(
                actor=admin, code="zhejiang", name="浙江省公司工作日历", name_en="Zhejiang working calendar",
                organisation=zhejiang, seed_years=years,
                weekly={day: [(time(8, 30), time(12)), (time(14), time(17, 30))] for day in WEEKDAYS},
            )
