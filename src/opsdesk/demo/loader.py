"""Load the demo into an empty database: the organisation first, then sixty days of incidents."""

from __future__ import annotations

import datetime as dt
import random
import time
from collections import Counter
from dataclasses import dataclass

from django.db import transaction
from django.utils.module_loading import import_string

from opsdesk.accounts.models import User
from opsdesk.audit import context
from opsdesk.core import clock

from .seed import NAMED_USERS, build_cast, demo_loaded
from .stories import HISTORY_DAYS, tell

# Each app's demo seeding, by dotted path of a function ``seed_demo(*, now, rng)``: the first list runs
# once the organisation, people, groups and services exist and before any incident is told (calendars,
# SLAs, the application catalogue); the second after the incidents (the CMDB links demo incidents).
BEFORE_INCIDENTS: list[str] = [
    "opsdesk.calendars.demo.seed_demo",
    "opsdesk.reports.demo.seed_demo",
    "opsdesk.catalog.demo.seed_demo",
    "opsdesk.sla.demo.seed_demo",
]
AFTER_INCIDENTS: list[str] = [
    "opsdesk.cmdb.demo.seed_demo",
    "opsdesk.sla.demo.settle_demo_history",
]
DEFAULT_INCIDENTS = 300
DEFAULT_SEED = 20261127


class DemoNotLoadable(Exception):
    """The database holds other data: the demo only goes into an empty one."""


@dataclass(frozen=True)
class LoadReport:
    users: int
    incidents: int
    states: dict[str, int]
    seconds: float


def load_demo(*, incidents: int = DEFAULT_INCIDENTS, seed: int = DEFAULT_SEED,
              now: dt.datetime | None = None) -> LoadReport:
    """Create the demo organisation and ``incidents`` incidents (plus two major-incident families).

    Refuses a database that already has users. Everything happens in one
    transaction: a failure leaves the database as it was.
    """
    if demo_loaded():
        raise DemoNotLoadable("the demo data is already loaded")
    if User.objects.exists():
        raise DemoNotLoadable("the database already has users; the demo data only goes into an empty database")
    started = time.monotonic()
    rng = random.Random(seed)
    now = now or clock.now()
    with context.bound(source="demo"), transaction.atomic():
        cast = build_cast(at=now - dt.timedelta(days=HISTORY_DAYS + 1), rng=rng)
        for path in BEFORE_INCIDENTS:
            import_string(path)(now=now, rng=rng)
        states: Counter[str] = tell(cast, count=incidents, rng=rng, now=now)
        for path in AFTER_INCIDENTS:
            import_string(path)(now=now, rng=rng)
    return LoadReport(users=len(cast.people), incidents=sum(states.values()), states=dict(states),
                      seconds=time.monotonic() - started)


__all__ = ["DEFAULT_INCIDENTS", "DemoNotLoadable", "LoadReport", "NAMED_USERS", "demo_loaded", "load_demo"]
