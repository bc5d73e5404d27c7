"""Seed a PostgreSQL database with a realistic organisation and 1,000,000 incidents for the benchmark.

    createdb -h 127.0.0.1 -U postgres opsdesk_bench
    export OPSDESK_DATABASE_URL=postgres://postgres@127.0.0.1:5432/opsdesk_bench
    .venv/bin/python -m opsdesk migrate
    .venv/bin/python bench/seed.py --incidents 1000000

The organisation (headquarters, 6 provinces, 38 cities), about 1,300 users,
support groups per line, services with their category trees and routing rules
are created through the services, like an administrator would. The incidents
are generated in Python over the last ``--days`` days (numbers INC+date+4
digits, counted per day in Asia/Shanghai) and loaded with one COPY, with the
secondary indexes dropped during the load and rebuilt after it; then the day
counters in ``core_number_sequence`` are set so that new incidents continue
the numbering, and the table is vacuumed and analysed.

The users the load clients sign in as (password ``bench-pass-1``):
``bench_desk`` (service desk, sees everything), ``bench_eng`` (an L1 engineer
of the busiest city, with a big queue) and ``bench_requester``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import time
from bisect import bisect
from collections import Counter
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent / "src"))
sys.path.insert(0, str(BENCH))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsdesk.config.settings")

import django  # noqa: E402

django.setup()

import vocabulary as V  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from opsdesk.accounts import services as accounts  # noqa: E402
from opsdesk.accounts.models import Organisation, SupportGroup, User  # noqa: E402
from opsdesk.accounts.roles import Role  # noqa: E402
from opsdesk.catalog.models import Category, RoutingRule, Service  # noqa: E402
from opsdesk.incidents.models import Incident  # noqa: E402
from opsdesk.incidents.rules import DEFAULT_PRIORITY_MATRIX  # noqa: E402

PASSWORD = "bench-pass-1"
SHANGHAI = dt.timezone(dt.timedelta(hours=8))
OUT = BENCH / "out"


@dataclass
class Place:
    """An organisation with the people and groups the generator draws from."""

    org: Organisation
    weight: float
    requesters: list[User] = field(default_factory=list)
    l1: SupportGroup | None = None
    l1_members: list[int] = field(default_factory=list)


@dataclass
class World:
    places: list[Place]
    desk: SupportGroup
    desk_agents: list[int]
    l2: dict[tuple[int, str], tuple[SupportGroup, list[int]]]  # (province id, "app"|"infra")
    l3: dict[str, tuple[SupportGroup, list[int]]]
    vendors: dict[str, tuple[SupportGroup, list[int]]]
    province_of: dict[int, int]
    capital_of: dict[int, Place]
    services: list[tuple[Service, list[Category], tuple]]


def log(message: str) -> None:
    print(f"[seed {time.strftime('%H:%M:%S')}] {message}", flush=True)


# The organisation ------------------------------------------------------------------------------


def build_world(rng: random.Random) -> World:
    pool = [f"{s}{g}{h}" for s in V.SURNAMES for g in V.GIVEN for h in ("", *V.GIVEN)]
    rng.shuffle(pool)
    names = iter(pool)
    counter = Counter()

    def person(prefix: str, org: Organisation, roles: tuple[str, ...], username: str | None = None) -> User:
        counter[prefix] += 1
        username = username or f"{prefix}{counter[prefix]:04d}"
        password = PASSWORD if username.startswith("bench_") else None
        return accounts.user_create(
            username=username, password=password, organisation=org, display_name=next(names),
            email=f"{username}@grid.example", phone=f"1{rng.randint(3000000000, 9999999999)}", roles=roles,
        )

    hq = accounts.organisation_create(name="国家电网信息通信总部", name_en="Headquarters", code="hq", level="headquarters")
    places = [Place(hq, 2.0)]
    province_of: dict[int, int] = {}
    capital_of: dict[int, Place] = {}
    provinces = []
    for code, name, name_en, cities in V.PROVINCES:
        province = accounts.organisation_create(name=name, name_en=name_en, code=code, level="province", parent=hq)
        provinces.append(province)
        places.append(Place(province, 1.5))
        province_of[province.pk] = province.pk
        for index, city in enumerate(cities):
            org = accounts.organisation_create(
                name=f"{city}供电公司", name_en=f"{V.CITY_EN[city]} Power Supply", code=f"{code}-{index + 1}",
                level="city", parent=province,
            )
            province_of[org.pk] = province.pk
            places.append(Place(org, 8.0 / (1 + 0.3 * index) * (1.3 if code == "js" else 1.0)))
    province_of[hq.pk] = provinces[0].pk

    desk_users = [person("desk", hq, (Role.SERVICE_DESK,)) for _ in range(11)]
    desk_users.insert(0, person("desk", hq, (Role.SERVICE_DESK,), username="bench_desk"))
    desk = accounts.group_create(name="省级集中服务台", name_en="Service desk", code="desk", organisation=hq,
                                 line="desk", members=desk_users, lead=desk_users[1])

    # The busiest city's L1 group gets the benchmark engineer (a big queue).
    busiest = max((p for p in places if p.org.level == "city"), key=lambda p: p.weight)
    for place in places:
        org = place.org
        count = {"headquarters": 20, "province": 12}.get(org.level, 25)
        place.requesters = [person("user", org, (Role.REQUESTER,)) for _ in range(count)]
        if place is busiest:
            place.requesters.append(person("user", org, (Role.REQUESTER,), username="bench_requester"))
        if org.level == "city":
            engineers = [person("eng", org, (Role.ENGINEER_L1,)) for _ in range(3)]
            if place is busiest:
                engineers.append(person("eng", org, (Role.ENGINEER_L1,), username="bench_eng"))
            place.l1 = accounts.group_create(
                name=f"{org.name}一线运维", name_en=f"{org.name_en} L1", code=f"l1-{org.code}", organisation=org,
                line="l1", strategy="round_robin", members=engineers, lead=engineers[0],
            )
            place.l1_members = [u.pk for u in engineers]
    for province in provinces:
        capital = next(p for p in places if p.org.parent_id == province.pk)
        capital_of[province.pk] = capital
        person("im", province, (Role.INCIDENT_MANAGER,))
    capital_of[hq.pk] = capital_of[provinces[0].pk]
    for place in places:
        if place.org.level != "city":
            capital_of[place.org.pk] = capital_of[province_of[place.org.pk]]

    l2: dict[tuple[int, str], tuple[SupportGroup, list[int]]] = {}
    for province in provinces:
        for kind, label, label_en in (("app", "应用运维二线", "application L2"), ("infra", "基础设施二线", "infrastructure L2")):
            members = [person("l2", province, (Role.ENGINEER_L2,)) for _ in range(4)]
            group = accounts.group_create(
                name=f"{province.name}{label}", name_en=f"{province.name_en} {label_en}", code=f"l2-{province.code}-{kind}",
                organisation=province, line="l2", strategy="least_loaded", members=members, lead=members[0],
            )
            l2[(province.pk, kind)] = (group, [u.pk for u in members])
    l3 = {}
    for code, label, label_en in (("sg186", "营销系统研发三线", "Marketing R&D"), ("erp", "SAP研发三线", "SAP R&D"),
                                  ("platform", "平台研发三线", "Platform R&D")):
        members = [person("l3", hq, (Role.ENGINEER_L3,)) for _ in range(3)]
        group = accounts.group_create(name=label, name_en=label_en, code=f"l3-{code}", organisation=hq, line="l3",
                                      members=members, lead=members[0])
        l3[code] = (group, [u.pk for u in members])
    vendors = {}
    for code, label, label_en in (("sap", "SAP原厂支持", "SAP support"), ("huawei", "华为厂商支持", "Huawei support")):
        members = [person("vendor", hq, (Role.ENGINEER_L2,)) for _ in range(2)]
        group = accounts.group_create(name=label, name_en=label_en, code=f"vendor-{code}", organisation=hq,
                                      line="vendor", members=members)
        vendors[code] = (group, [u.pk for u in members])
    person("im", hq, (Role.INCIDENT_MANAGER,))
    person("auditor", hq, (Role.AUDITOR,))

    services = []
    for spec in V.SERVICES:
        code, name, name_en, kind, _weight, categories, _objects, _symptoms = spec
        service = Service.objects.create(code=code, name=name, name_en=name_en, kind=kind, owner_group=desk)
        cats = [Category.objects.create(service=service, code=c, name=n, name_en=e) for c, n, e in categories]
        services.append((service, cats, spec))
        if code in ("desktop", "network", "mail"):
            # Local faults go straight to the city's L1 team.
            RoutingRule.objects.bulk_create(
                RoutingRule(service=service, organisation=p.org, group=p.l1) for p in places if p.l1
            )
    return World(places, desk, [u.pk for u in desk_users], l2, l3, vendors, province_of, capital_of, services)


# Incidents -------------------------------------------------------------------------------------

COLUMNS = [
    "id", "number", "version", "created_at", "updated_at", "title", "description", "state", "impact", "urgency",
    "priority", "priority_overridden", "priority_reason", "channel", "contact_name", "contact_phone", "contact_email",
    "occurred_at", "escalation_path", "pending_reason", "vendor", "resolution", "cause_code", "resolved_at",
    "closed_at", "satisfaction", "satisfaction_comment", "auto_confirmed", "callback_rating", "callback_comment",
    "chase_count", "reopen_count", "is_major", "assigned_group_id", "assignee_id", "category_id", "created_by_id",
    "major_owner_id", "organisation_id", "parent_id", "requester_id", "resolved_by_id", "service_id",
]

# (state, weight) by age of the record in days: old records are closed, recent ones still open.
STATE_MIX = [
    (2, [("new", 15), ("assigned", 30), ("in_progress", 30), ("pending", 5), ("resolved", 15), ("closed", 3), ("cancelled", 2)]),
    (14, [("new", 3), ("assigned", 12), ("in_progress", 18), ("pending", 10), ("resolved", 25), ("closed", 29), ("cancelled", 3)]),
    (60, [("new", 0.5), ("assigned", 3), ("in_progress", 5), ("pending", 6), ("resolved", 3), ("closed", 80), ("cancelled", 2.5)]),
    (10**9, [("assigned", 0.1), ("in_progress", 0.2), ("pending", 0.5), ("closed", 96.2), ("cancelled", 3)]),
]
CAUSES = ["hardware", "software", "network", "configuration", "operation", "data", "vendor", "capacity", "request", "unknown"]
CHANNELS = [("portal", 45), ("phone", 35), ("email", 10), ("monitoring", 7), ("inspection", 3)]
# Which line ends up holding the record, by service.
LINES = {
    "desktop": [("l1", 80), ("l2", 15), ("vendor", 5)],
    "network": [("l1", 70), ("l2", 25), ("vendor", 5)],
    "mail": [("l1", 60), ("l2", 35), ("vendor", 5)],
    "datacenter": [("l2", 70), ("l3", 20), ("vendor", 10)],
}
BUSINESS_LINES = [("desk", 15), ("l1", 35), ("l2", 33), ("l3", 14), ("vendor", 3)]


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\t", " ").replace("\n", "\\n").replace("\r", "")


def _ts(epoch: float) -> str:
    t = time.gmtime(epoch)
    return f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d} {t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}+00"


class Pick:
    """A weighted choice with the cumulative weights worked out once (the generator draws millions)."""

    def __init__(self, pairs) -> None:
        self.values = [value for value, _weight in pairs]
        self.cumulative = list(accumulate(weight for _value, weight in pairs))
        self.total = self.cumulative[-1]

    def __call__(self, rnd) -> object:
        return self.values[bisect(self.cumulative, rnd() * self.total)]


class Blanks(dict):
    """Fills a template's blanks ({n6}, {host} …) with random values, drawing only those it uses."""

    def __init__(self, rng: random.Random) -> None:
        super().__init__()
        self.rng = rng

    def __missing__(self, key: str) -> str:
        r = self.rng
        if key == "host":
            return r.choice(V.HOSTS)
        if key == "hex":
            return f"{r.getrandbits(32):08X}"
        low, high = {"n2": (10, 99), "n3": (100, 999), "n5": (10000, 99999), "n6": (100000, 999999),
                     "a": (0, 255), "b": (0, 255), "c": (1, 254)}[key]
        return str(r.randint(low, high))


class Generator:
    """Produces incident rows as COPY text lines, in creation order."""

    def __init__(self, world: World, rng: random.Random) -> None:
        self.world = world
        self.rng = rng
        self.rnd = rng.random
        self.place = Pick([(p, p.weight) for p in world.places])
        self.service = Pick([((s, c, spec), spec[4]) for s, c, spec in world.services])
        self.impact = Pick([(1, 5), (2, 20), (3, 75)])
        self.urgency = Pick([(1, 10), (2, 60), (3, 30)])
        self.channel = Pick(CHANNELS)
        self.satisfaction = Pick([(5, 60), (4, 28), (3, 8), (2, 3), (1, 1)])
        self.states = [(limit, Pick(mix)) for limit, mix in STATE_MIX]
        self.lines = {code: Pick(LINES.get(code, BUSINESS_LINES)) for code in (s.code for s, _c, _spec in world.services)}
        self.blanks = Blanks(rng)

    def choice(self, seq):
        return seq[int(self.rnd() * len(seq))]

    def fill(self, templates: list[str]) -> str:
        template = self.choice(templates)
        return template.format_map(self.blanks) if "{" in template else template

    def text(self, spec: tuple, requester: User, org: Organisation, english: bool) -> tuple[str, str]:
        obj = self.choice(spec[6])
        sym = self.choice(spec[7]) if self.rnd() < 0.6 else self.choice(V.GENERIC_SYMPTOMS)
        if english:
            title = f"{obj[1][0].upper()}{obj[1][1:]} {sym[1]}"
            body = (
                f"{requester.display_name} ({org.name_en}) reports that the {obj[1]} {sym[1]} "
                f"{self.choice(V.WHEN_EN)}, with {self.fill(V.ERROR_EN)}. {self.choice(V.TRIED_EN)} "
                f"Affects {self.fill(V.SCOPE_EN)}. {self.fill(V.ASSET_EN)}"
            )
        else:
            title = f"{obj[0]}{sym[0]}"
            body = (
                f"{org.name}{self.choice(V.DEPARTMENTS_ZH)}{requester.display_name}反映：{self.choice(V.WHEN_ZH)}"
                f"{obj[0]}{sym[0]}，{self.fill(V.ERROR_ZH)}。{self.choice(V.TRIED_ZH)}"
                f"影响范围：{self.fill(V.SCOPE_ZH)}。{self.fill(V.ASSET_ZH)}"
            )
        return title, body.strip()

    def holder(self, service_code: str, place: Place) -> tuple[str, int | None, list[int], list[int]]:
        """(line, group id, members, escalation path) of the group that holds the record now."""
        w = self.world
        line = self.lines[service_code](self.rnd)
        province = w.province_of[place.org.pk]
        city = place if place.l1 else w.capital_of[place.org.pk]
        infra = service_code in ("desktop", "network", "mail", "datacenter")
        l2_group, l2_members = w.l2[(province, "infra" if infra else "app")]
        if line == "desk":
            return line, w.desk.pk, w.desk_agents, []
        if line == "l1":
            return line, city.l1.pk, city.l1_members, []
        if line == "l2":
            return line, l2_group.pk, l2_members, [city.l1.pk] if self.rnd() < 0.7 else []
        if line == "l3":
            group, members = w.l3.get(service_code, w.l3["platform"])
            return line, group.pk, members, [city.l1.pk, l2_group.pk]
        group, members = w.vendors["sap" if service_code == "erp" else "huawei"]
        return line, group.pk, members, [l2_group.pk]

    def row(self, pk: int, number: str, created: float, now: float) -> str:
        rnd, choice = self.rnd, self.choice
        place = self.place(rnd)
        org = place.org
        requester = choice(place.requesters)
        service, categories, spec = self.service(rnd)
        category = choice(categories) if rnd() < 0.9 else None
        english = rnd() < 0.28
        title, description = self.text(spec, requester, org, english)
        impact = self.impact(rnd)
        urgency = self.urgency(rnd)
        priority = int(DEFAULT_PRIORITY_MATRIX[(impact, urgency)])
        channel = self.channel(rnd)
        created_by = requester.pk if channel in ("portal", "email") else choice(self.world.desk_agents)
        age_days = (now - created) / 86400
        state = next(pick for limit, pick in self.states if age_days < limit)(rnd)

        group = assignee = resolved_by = None
        path: list[int] = []
        resolved_at = closed_at = None
        pending_reason = vendor = resolution = cause = ""
        satisfaction = None
        auto_confirmed = False
        version = 1
        updated = created
        if state not in ("new", "cancelled"):
            line, group, members, path = self.holder(service.code, place)
            assignee = choice(members) if (state != "assigned" or rnd() < 0.85) else None
            version += 1 + len(path)
            if line == "vendor":
                vendor = "SAP" if service.code == "erp" else "华为"
        if state in ("in_progress", "pending", "resolved", "closed"):
            version += 1
            if assignee is None:
                assignee = choice(members)
        if state == "pending":
            pending_reason = "vendor" if vendor or rnd() < 0.3 else "customer"
            version += 1
        if state in ("resolved", "closed"):
            resolved_at = min(created + self.rng.expovariate(1 / (8 * 3600)) + 600, now - 60)
            resolved_by = assignee
            resolution = choice(V.RESOLUTION_EN if english else V.RESOLUTION_ZH)
            cause = choice(CAUSES)
            updated = resolved_at
            version += 1
        if state == "closed":
            closed_at = min(resolved_at + 600 + rnd() * 3 * 86400, now - 30)
            auto_confirmed = rnd() < 0.3
            satisfaction = None if auto_confirmed else self.satisfaction(rnd)
            updated = closed_at
            version += 1
        if state == "cancelled":
            closed_at = min(created + 300 + rnd() * 86400, now - 30)
            updated = closed_at
            version += 1
        if state in ("assigned", "in_progress", "pending"):
            updated = min(created + 60 + rnd() * 4 * 3600, now)
        chase = choice((1, 1, 2, 3)) if state in ("assigned", "in_progress", "pending") and rnd() < 0.12 else 0
        occurred = created - 60 - rnd() * 7200 if rnd() < 0.7 else None
        null = r"\N"
        fields = [
            str(pk), number, str(version), _ts(created), _ts(updated), _escape(title), _escape(description), state,
            str(impact), str(urgency), str(priority), "f", "", channel, requester.display_name, requester.phone,
            requester.email, _ts(occurred) if occurred else null, json.dumps(path), pending_reason, vendor,
            _escape(resolution), cause, _ts(resolved_at) if resolved_at else null,
            _ts(closed_at) if closed_at else null, null if satisfaction is None else str(satisfaction), "",
            "t" if auto_confirmed else "f", null, "", str(chase), "0", "f", null if group is None else str(group),
            null if assignee is None else str(assignee), str(category.pk) if category else null, str(created_by),
            null, str(org.pk), null, str(requester.pk), null if resolved_by is None else str(resolved_by),
            str(service.pk),
        ]
        return "\t".join(fields) + "\n"


def creation_times(total: int, days: int, now: float, rng: random.Random) -> list[tuple[str, list[float]]]:
    """(Shanghai day key, sorted creation epochs) per day, oldest first; fewer at weekends, growing over time."""
    today = dt.datetime.fromtimestamp(now, SHANGHAI).date()
    dates = [today - dt.timedelta(days=offset) for offset in range(days - 1, -1, -1)]
    weights = [(0.35 if d.weekday() >= 5 else 1.0) * (0.8 + 0.4 * i / days) for i, d in enumerate(dates)]
    scale = total / sum(weights)
    counts = [int(w * scale) for w in weights]
    counts[-1] += total - sum(counts)
    result = []
    for date, count in zip(dates, counts, strict=True):
        start = dt.datetime.combine(date, dt.time(), SHANGHAI).timestamp()
        end = min(start + 86400, now - 1)
        stamps = []
        for _ in range(count):
            if rng.random() < 0.8:
                moment = start + rng.uniform(8 * 3600, 18 * 3600)
            else:
                moment = start + rng.uniform(0, 86400)
            stamps.append(min(moment, end - rng.uniform(0, 3600)))
        stamps.sort()
        result.append((date.strftime("%Y%m%d"), stamps))
    return result


def secondary_indexes() -> list[tuple[str, str]]:
    """Indexes of the incident table that no constraint owns (dropped during the load, rebuilt after)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
            "WHERE x.indrelid = 'incidents_incident'::regclass "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)"
        )
        return cursor.fetchall()


def load_incidents(world: World, total: int, days: int, rng: random.Random) -> None:
    now = time.time()
    generator = Generator(world, rng)
    schedule = creation_times(total, days, now, rng)
    indexes = secondary_indexes()
    started = time.monotonic()
    with connection.cursor() as cursor:
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    log(f"dropped {len(indexes)} secondary indexes for the load")
    raw = connection.connection  # the psycopg connection
    pk = 0
    with raw.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")  # generated keys are valid; skip per-row FK triggers
        with cursor.copy(f"COPY incidents_incident ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            buffer: list[str] = []
            for day, stamps in schedule:
                for sequence, created in enumerate(stamps, start=1):
                    pk += 1
                    buffer.append(generator.row(pk, f"INC{day}{sequence:04d}", created, now))
                    if len(buffer) >= 5000:
                        copy.write("".join(buffer))
                        buffer.clear()
                        if pk % 100000 == 0:
                            log(f"  {pk:,} incidents written ({pk / (time.monotonic() - started):,.0f}/s)")
            copy.write("".join(buffer))
        cursor.execute("SET session_replication_role = DEFAULT")
        cursor.execute("SELECT setval(pg_get_serial_sequence('incidents_incident', 'id'), %s)", [pk])
        cursor.execute(
            "INSERT INTO core_number_sequence (key, last_value) SELECT k, v FROM unnest(%s::text[], %s::int[]) AS t(k, v) "
            "ON CONFLICT (key) DO UPDATE SET last_value = GREATEST(core_number_sequence.last_value, EXCLUDED.last_value)",
            [[f"INC{day}" for day, s in schedule if s], [len(s) for _day, s in schedule if s]],
        )
    raw.commit()
    log(f"copied {pk:,} incidents in {time.monotonic() - started:.0f} s")
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '1GB'")
        cursor.execute("SET max_parallel_maintenance_workers = 2")
        for name, definition in indexes:
            began = time.monotonic()
            cursor.execute(definition)
            log(f"  rebuilt {name} in {time.monotonic() - began:.1f} s")
    raw.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--incidents", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--seed", type=int, default=20261127)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench/seed.py loads PostgreSQL only: set OPSDESK_DATABASE_URL=postgres://…")
    if Incident.objects.exists() or User.objects.exists():
        sys.exit("The database already holds data; seed a fresh one (bench/run.sh --fresh drops and recreates it).")
    rng = random.Random(args.seed)
    started = time.monotonic()
    with transaction.atomic():
        world = build_world(rng)
    log(f"organisation: {Organisation.objects.count()} organisations, {User.objects.count()} users, "
        f"{SupportGroup.objects.count()} groups, {Service.objects.count()} services "
        f"({time.monotonic() - started:.0f} s)")
    connection.set_autocommit(False)
    load_incidents(world, args.incidents, args.days, rng)
    connection.set_autocommit(True)
    began = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) incidents_incident")
        cursor.execute("ANALYZE")
    log(f"vacuumed and analysed in {time.monotonic() - began:.0f} s")
    with connection.cursor() as cursor:
        cursor.execute("SELECT state, count(*) FROM incidents_incident GROUP BY state ORDER BY 2 DESC")
        log("states: " + ", ".join(f"{s} {n:,}" for s, n in cursor.fetchall()))
        cursor.execute("SELECT pg_size_pretty(pg_total_relation_size('incidents_incident'))")
        log(f"incident table with indexes: {cursor.fetchone()[0]}")
    log(f"done in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
