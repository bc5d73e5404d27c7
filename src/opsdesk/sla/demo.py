"""The demo group's service level agreements, made through the SLA services as the administrator.

Four agreements on the demo's four services (codes from ``opsdesk.demo.seed.SERVICES``): the production
management system in the group's standard calendar, the ERP and mail in each organisation's own calendar
(Zhejiang has its own), the network on the 7×24 calendar; thresholds at 50 % (handler), 80 % (handler
and group lead) and 100 % (also the incident managers). Operational targets for the city L1 groups and
the provincial L2 groups. Runs after the calendars and the catalogue and before the incidents, whose
clocks then start and stop at the moments the stories play them (each step runs under ``clock.frozen_at``).
``settle_demo_history`` runs after the incidents: the thresholds the history passed count as fired, so the
scheduler's first tick does not notify about them all at once.
"""

from __future__ import annotations

import datetime as dt
import random

from opsdesk.accounts.models import SupportGroup, User
from opsdesk.calendars.models import BusinessCalendar
from opsdesk.catalog.models import Service
from opsdesk.core import clock
from opsdesk.demo.stories import HISTORY_DAYS

from . import services

THRESHOLDS = [
    {"percent": 50, "notify_assignee": True, "notify_group_lead": False, "notify_managers": False},
    {"percent": 80, "notify_assignee": True, "notify_group_lead": True, "notify_managers": False},
    {"percent": 100, "notify_assignee": True, "notify_group_lead": True, "notify_managers": True},
]
# (service code, agreement code, name, English name, calendar code or None, pause on vendor,
#  {priority: (response minutes, resolution minutes)})
AGREEMENTS = (
    ("pms", "production", "生产系统 SLA", "Production systems SLA", "standard", False,
     {1: (15, 240), 2: (30, 480), 3: (60, 1440), 4: (120, 2400)}),
    ("erp", "erp", "ERP 服务 SLA", "ERP service SLA", None, True,
     {1: (30, 480), 2: (60, 960), 3: (120, 2400), 4: (240, 4800)}),
    ("mail", "mail", "邮件服务 SLA", "Mail service SLA", None, False,
     {1: (30, 240), 2: (60, 480), 3: (120, 1440), 4: (240, 2400)}),
    ("network", "network", "网络 7×24 SLA", "Network 7×24 SLA", "7x24", False,
     {1: (15, 120), 2: (30, 240), 3: (60, 720), 4: (120, 1440)}),
)


def seed_demo(*, now: dt.datetime, rng: random.Random) -> None:
    """Create the agreements and operational targets on the day the demo's organisation was set up."""
    set_up = now - dt.timedelta(days=HISTORY_DAYS + 1)
    admin = User.objects.get(username="admin")
    calendars = {c.code: c for c in BusinessCalendar.objects.all()}
    with clock.frozen_at(set_up):
        for service_code, code, name, name_en, calendar_code, pause_on_vendor, targets in AGREEMENTS:
            service = Service.objects.filter(code=service_code).first()
            services.agreement_save(
                actor=admin, code=code, name=name, name_en=name_en, calendar=calendars.get(calendar_code or ""),
                pause_on_customer=True, pause_on_vendor=pause_on_vendor, targets=targets, thresholds=THRESHOLDS,
                services=[service] if service is not None else None,
            )
        for group in SupportGroup.objects.filter(line="l1"):
            services.operational_target_save(actor=admin, group=group, priority=1, target_minutes=60)
            services.operational_target_save(actor=admin, group=group, priority=None, target_minutes=240)
        for group in SupportGroup.objects.filter(line="l2"):
            services.operational_target_save(actor=admin, group=group, priority=None, target_minutes=960)


def settle_demo_history(*, now: dt.datetime, rng: random.Random) -> None:
    """Record every threshold the sixty days of history passed before ``now`` as already fired, with no
    notification, email or audit entry (``services.clocks_settle_history``)."""
    services.clocks_settle_history(now)
