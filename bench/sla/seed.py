"""Seed ``opsdesk_bench_sla`` with open incidents and their SLA clocks, growing it size by size.

A small organisation (headquarters, two provinces, six cities, engineers in L1 groups, requesters) and two
services with an agreement are made through the services, like an administrator would; the incidents and
their clock rows are then loaded with COPY (bench/sla/copyload.py), ``grow_to(n)`` adding only what is
missing, so the benchmark measures 10k, then 100k, then 1M open incidents on one database.

Every incident is open (assigned, in progress or pending) and has a response and a resolution clock. A
fraction (``due_fraction``, 3 % by default) has its next threshold in the past — due now — spread over the
last hour, as a scheduler running every minute would meet them after an outage; the rest are due between
one minute and five days ahead.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass

from copyload import copy_rows, reset_sequence  # type: ignore[import-not-found]  # bench/sla is on sys.path
from django.db import connection, transaction

from opsdesk.accounts import services as accounts
from opsdesk.accounts.models import Organisation, SupportGroup, User
from opsdesk.accounts.roles import Role
from opsdesk.calendars.models import BusinessCalendar
from opsdesk.catalog.models import Category, Service
from opsdesk.core import clock
from opsdesk.incidents.models import Incident
from opsdesk.sla.models import (
    AgreementTarget,
    AgreementThreshold,
    IncidentClock,
    ServiceAgreement,
    ServiceLevelAgreement,
    ThresholdFiring,
)

HQ_CODE = "bsla-hq"
OPEN_STATES = [("assigned", 40), ("in_progress", 45), ("pending", 15)]


def log(message: str) -> None:
    print(f"[sla-bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


@dataclass
class BenchWorld:
    cities: list[Organisation]
    requesters: dict[int, list[int]]  # organisation id → user ids
    groups: dict[int, tuple[int, list[int]]]  # organisation id → (L1 group id, member ids)
    services: list[tuple[Service, list[Category]]]
    desk_agent: int


def ensure_world() -> BenchWorld:
    """The organisation, made once; later runs read it back."""
    if not Organisation.objects.filter(code=HQ_CODE).exists():
        with transaction.atomic():
            _build_world()
    hq = Organisation.objects.get(code=HQ_CODE)
    cities = list(Organisation.objects.filter(level="city", parent__parent=hq).order_by("id"))
    requesters: dict[int, list[int]] = {}
    groups: dict[int, tuple[int, list[int]]] = {}
    for city in cities:
        requesters[city.pk] = list(User.objects.filter(organisation=city, username__startswith="bsla-user")
                                   .values_list("id", flat=True))
        group = SupportGroup.objects.get(code=f"bsla-l1-{city.code}")
        groups[city.pk] = (group.pk, list(group.members.values_list("id", flat=True)))
    services = [(s, list(s.categories.order_by("id"))) for s in Service.objects.filter(code__startswith="bsla-")]
    desk_agent = User.objects.get(username="bsla-desk").pk
    return BenchWorld(cities, requesters, groups, services, desk_agent)


def _build_world() -> None:
    hq = accounts.organisation_create(name="基准测试总部", name_en="Bench HQ", code=HQ_CODE, level="headquarters")
    accounts.user_create(username="bsla-desk", password=None, organisation=hq, display_name="服务台",
                         roles=(Role.SERVICE_DESK,), email="bsla-desk@bench.example")
    accounts.user_create(username="bsla-im", password=None, organisation=hq, display_name="事件经理",
                         roles=(Role.INCIDENT_MANAGER,), email="bsla-im@bench.example")
    for p in range(2):
        province = accounts.organisation_create(name=f"省公司{p}", name_en=f"Province {p}", code=f"bsla-p{p}",
                                                level="province", parent=hq)
        for c in range(3):
            code = f"bsla-p{p}c{c}"
            city = accounts.organisation_create(name=f"市公司{p}{c}", name_en=f"City {p}{c}", code=code,
                                                level="city", parent=province)
            for u in range(10):
                accounts.user_create(username=f"bsla-user-{code}-{u}", password=None, organisation=city,
                                     display_name=f"用户{p}{c}{u}", roles=(Role.REQUESTER,),
                                     email=f"user-{code}-{u}@bench.example")
            engineers = [accounts.user_create(username=f"bsla-eng-{code}-{e}", password=None, organisation=city,
                                              display_name=f"工程师{p}{c}{e}", roles=(Role.ENGINEER_L1,),
                                              email=f"eng-{code}-{e}@bench.example") for e in range(4)]
            accounts.group_create(name=f"市公司{p}{c}一线", code=f"bsla-l1-{code}", organisation=city, line="l1",
                                  members=engineers, lead=engineers[0])
    for code, name in (("bsla-erp", "ERP"), ("bsla-mail", "邮件")):
        service = Service.objects.create(code=code, name=name, name_en=name, kind="other")
        Category.objects.create(service=service, code=f"{code}-fault", name="故障", name_en="Fault")


def _stamp(epoch: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch, dt.UTC)


def incident_rows(world: BenchWorld, start_pk: int, count: int, now: float, rng: random.Random) -> Iterator[dict]:
    states = [s for s, _w in OPEN_STATES]
    weights = [w for _s, w in OPEN_STATES]
    per_day: dict[str, int] = {}
    for pk in range(start_pk, start_pk + count):
        city = world.cities[pk % len(world.cities)]
        service, categories = world.services[pk % len(world.services)]
        group, members = world.groups[city.pk]
        created = now - rng.uniform(600, 30 * 86400)  # open for ten minutes to a month
        day = time.strftime("%Y%m%d", time.gmtime(created + 8 * 3600))
        per_day[day] = per_day.get(day, 0) + 1
        state = rng.choices(states, weights)[0]
        impact, urgency = rng.choice((1, 2, 2, 3, 3, 3)), rng.choice((1, 2, 2, 3))
        yield {
            "id": pk, "number": f"INC{day}{per_day[day]:05d}B{pk}", "version": 3,
            "created_at": _stamp(created), "updated_at": _stamp(created + 300),
            "title": "系统登录缓慢", "description": "基准测试数据：用户反映系统登录缓慢。", "state": state,
            "impact": impact, "urgency": urgency, "priority": min(4, max(1, impact + urgency - 1)),
            "channel": "phone", "requester_id": rng.choice(world.requesters[city.pk]),
            "organisation_id": city.pk, "created_by_id": world.desk_agent, "service_id": service.pk,
            "category_id": categories[0].pk if categories else None,
            "assigned_group_id": group, "assignee_id": rng.choice(members),
            "pending_reason": "customer" if state == "pending" else "",
        }


INCIDENT_GIVEN = ["id", "number", "version", "created_at", "updated_at", "title", "description", "state", "impact",
                  "urgency", "priority", "channel", "requester_id", "organisation_id", "created_by_id", "service_id",
                  "category_id", "assigned_group_id", "assignee_id", "pending_reason"]


def open_incident_count() -> int:
    return Incident.objects.filter(organisation__code__startswith="bsla-").count()


def grow_to(total: int, *, due_fraction: float, seed: int = 20261128) -> None:
    """Add open incidents (and their clocks) until the database holds ``total`` of them."""
    world = ensure_world()
    have = open_incident_count()
    if have >= total:
        log(f"{have:,} open incidents already (wanted {total:,})")
        return
    rng = random.Random(seed + have)
    now = time.time()
    start_pk = (Incident.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    count = total - have
    began = time.monotonic()
    with transaction.atomic():
        copy_rows(Incident, incident_rows(world, start_pk, count, now, rng), given=INCIDENT_GIVEN)
        reset_sequence(Incident)
        log(f"copied {count:,} incidents in {time.monotonic() - began:.1f} s")
        began = time.monotonic()
        clocks = add_clocks(start_pk, start_pk + count, now=now, due_fraction=due_fraction, rng=rng)
        log(f"copied {clocks:,} clocks in {time.monotonic() - began:.1f} s")
        with connection.cursor() as cursor:  # the moment the due fraction holds at: the benchmark measures at it
            cursor.execute("CREATE TABLE IF NOT EXISTS bench_sla_meta (seeded_at timestamptz NOT NULL)")
            cursor.execute("DELETE FROM bench_sla_meta")
            cursor.execute("INSERT INTO bench_sla_meta VALUES (%s)", [_stamp(now)])
    began = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) incidents_incident")
        cursor.execute("ANALYZE")
    log(f"vacuumed and analysed in {time.monotonic() - began:.1f} s")


# Targets per priority in minutes (response, resolution) and the thresholds that act: the bench agreement.
TARGETS = {1: (15, 240), 2: (30, 480), 3: (60, 1440), 4: (120, 4320)}
THRESHOLDS = (50, 80, 100)


def ensure_agreement() -> tuple[ServiceLevelAgreement, BusinessCalendar]:
    calendar = BusinessCalendar.objects.filter(code="bsla-7x24").first()
    if calendar is None:
        moment = clock.now()
        calendar = BusinessCalendar.objects.create(code="bsla-7x24", name="7×24", name_en="7×24", always_open=True,
                                                   created_at=moment, updated_at=moment)
    agreement = ServiceLevelAgreement.objects.filter(code="bsla-standard").first()
    if agreement is None:
        moment = clock.now()
        agreement = ServiceLevelAgreement.objects.create(code="bsla-standard", name="标准服务级别", name_en="Standard",
                                                         calendar=calendar, created_at=moment, updated_at=moment)
        for priority, (response, resolution) in TARGETS.items():
            AgreementTarget.objects.create(agreement=agreement, priority=priority, response_minutes=response,
                                           resolution_minutes=resolution)
        for percent in THRESHOLDS:
            AgreementThreshold.objects.create(agreement=agreement, percent=percent, notify_assignee=True,
                                              notify_group_lead=True, notify_managers=percent == 100)
        for service in Service.objects.filter(code__startswith="bsla-"):
            ServiceAgreement.objects.create(service=service, agreement=agreement)
    return agreement, calendar


def add_clocks(first_pk: int, end_pk: int, *, now: float, due_fraction: float, rng: random.Random) -> int:
    """Response and resolution clocks of incidents ``first_pk`` … ``end_pk - 1``, with the firings already done.

    The response clock runs while the record is only assigned and has stopped (met) once work started; the
    resolution clock runs, paused while pending on the customer. A running clock's next threshold is due now
    (within the last hour) with probability ``due_fraction``, else in one minute to five days; the thresholds
    below it have fired already (a done firing row each). Times are exact for the 7×24 calendar: threshold
    p is reached at started_at + p % of the target.
    """
    agreement, calendar = ensure_agreement()
    incidents = list(Incident.objects.filter(pk__gte=first_pk, pk__lt=end_pk).order_by("pk")
                     .values_list("pk", "state", "priority"))
    firings: list[dict] = []

    def running_clock(pk: int, kind: str, target: int) -> dict:
        percent = rng.choice(THRESHOLDS)
        reached = now - rng.uniform(0, 3600) if rng.random() < due_fraction else now + rng.uniform(60, 5 * 86400)
        started = reached - target * percent / 100
        for done in (p for p in THRESHOLDS if p < percent):
            at = _stamp(started + target * done / 100)
            firings.append({"clock_id": None, "percent": done, "reached_at": at, "status": "done",
                            "enqueued_at": at, "fired_at": at, "_incident": pk, "_kind": kind})
        return {"kind": kind, "target_seconds": target, "started_at": _stamp(started), "consumed_seconds": 0,
                "running_since": _stamp(started), "paused": False, "due_at": _stamp(started + target),
                "next_threshold_at": _stamp(reached), "next_threshold_percent": percent,
                "stopped_at": None, "met": None, "breached_at": None}

    def rows() -> Iterator[dict]:
        for pk, state, priority in incidents:
            response, resolution = (m * 60 for m in TARGETS[priority])
            if state == "assigned":
                row = running_clock(pk, "response", response)
            else:
                started = now - rng.uniform(response, 30 * 86400)
                row = {"kind": "response", "target_seconds": response, "started_at": _stamp(started),
                       "consumed_seconds": response // 2, "running_since": None, "paused": False,
                       "due_at": _stamp(started + response), "next_threshold_at": None,
                       "next_threshold_percent": None, "stopped_at": _stamp(started + response // 2), "met": True,
                       "breached_at": None}
            yield {**CLOCK_FIXED, **row, "incident_id": pk, "agreement_id": agreement.pk, "calendar_id": calendar.pk}
            if state == "pending":
                started = now - rng.uniform(3600, 30 * 86400)
                row = {"kind": "resolution", "target_seconds": resolution, "started_at": _stamp(started),
                       "consumed_seconds": resolution // 3, "running_since": None, "paused": True, "due_at": None,
                       "next_threshold_at": None, "next_threshold_percent": None, "stopped_at": None, "met": None,
                       "breached_at": None}
            else:
                row = running_clock(pk, "resolution", resolution)
            yield {**CLOCK_FIXED, **row, "incident_id": pk, "agreement_id": agreement.pk, "calendar_id": calendar.pk}

    count = copy_rows(IncidentClock, rows(), given=CLOCK_GIVEN)
    reset_sequence(IncidentClock)
    clock_ids = {(i, k): c for c, i, k in IncidentClock.objects.filter(incident_id__gte=first_pk, incident_id__lt=end_pk)
                 .values_list("pk", "incident_id", "kind")}
    for firing in firings:
        firing["clock_id"] = clock_ids[(firing.pop("_incident"), firing.pop("_kind"))]
    copy_rows(ThresholdFiring, iter(firings), given=["clock_id", "percent", "reached_at", "status", "enqueued_at",
                                                       "fired_at"])
    reset_sequence(ThresholdFiring)
    return count


CLOCK_FIXED = {"warn_percent": 80, "updated_at": dt.datetime.now(dt.UTC)}
CLOCK_GIVEN = ["incident_id", "kind", "agreement_id", "calendar_id", "target_seconds", "warn_percent", "started_at",
               "consumed_seconds", "running_since", "paused", "due_at", "next_threshold_at", "next_threshold_percent",
               "stopped_at", "met", "breached_at", "updated_at"]
