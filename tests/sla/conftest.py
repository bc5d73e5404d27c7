"""SLA fixtures: a 7×24 calendar, an office-hours calendar (Mon–Fri 09:00–17:00 Shanghai) and an agreement
on the world's production service. Times are fixed: 2026-03-02 is a Monday."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from opsdesk.calendars.models import BusinessCalendar, WorkingPeriod
from opsdesk.core import clock
from opsdesk.incidents import services as incidents
from opsdesk.incidents.models import Incident
from opsdesk.sla import services as sla
from opsdesk.sla.models import ServiceLevelAgreement

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY_9 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A moment in March 2026, Shanghai time (2 March is a Monday)."""
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=SHANGHAI)


def make_calendar(code: str, *, always_open: bool = False, default: bool = False) -> BusinessCalendar:
    now = clock.now()
    calendar = BusinessCalendar.objects.create(name=code, code=code, always_open=always_open, is_default=default,
                                               holiday_region="", created_at=now, updated_at=now)
    if not always_open:
        WorkingPeriod.objects.bulk_create([WorkingPeriod(calendar=calendar, weekday=day, start=dt.time(9),
                                                         end=dt.time(17)) for day in range(5)])
    return calendar


@pytest.fixture
def office(db) -> BusinessCalendar:
    return make_calendar("office", default=True)


@pytest.fixture
def always(db) -> BusinessCalendar:
    return make_calendar("always", always_open=True)


THRESHOLDS = [
    {"percent": 50, "notify_assignee": True, "notify_group_lead": True, "notify_managers": False},
    {"percent": 80, "notify_assignee": True, "notify_group_lead": True, "notify_managers": False},
    {"percent": 100, "notify_assignee": True, "notify_group_lead": True, "notify_managers": True},
]
# priority → (response minutes, resolution minutes)
TARGETS = {1: (15, 240), 2: (30, 480), 3: (60, 960), 4: (120, 1920)}


@pytest.fixture
def agreement(world, office) -> ServiceLevelAgreement:
    with clock.frozen_at(MONDAY_9 - dt.timedelta(days=7)):
        made = sla.agreement_save(actor=world.admin, name="生产系统 SLA", name_en="Production SLA", code="production",
                                  calendar=office, targets=TARGETS, thresholds=THRESHOLDS)
        sla.service_agreement_set(actor=world.admin, service=world.production, agreement=made)
    return made


@pytest.fixture
def report(world) -> Callable[..., Incident]:
    """An incident the desk records for the requester at ``when`` (default Monday 09:00), priority 4."""

    def make(when: dt.datetime = MONDAY_9, **fields: Any) -> Incident:
        fields.setdefault("title", "SG186 cannot print")
        fields.setdefault("description", "Nothing happens.")
        fields.setdefault("service", world.production)
        fields.setdefault("requester", world.requester)
        with clock.frozen_at(when):
            return incidents.incident_create(actor=world.desk, **fields)

    return make


def act(when: dt.datetime, actor: Any, incident: Incident, transition: str, **inputs: Any) -> Incident:
    with clock.frozen_at(when):
        return incidents.incident_transition(actor=actor, incident=incident.number, transition=transition, **inputs)


@pytest.fixture
def frozen() -> Iterator[Callable[[dt.datetime], Any]]:
    yield clock.frozen_at
