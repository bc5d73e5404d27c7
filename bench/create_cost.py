"""What one API create costs, in process: Python CPU, PostgreSQL CPU and the SQL statements.

    OPSDESK_DATABASE_URL=postgres://postgres@127.0.0.1:5432/opsdesk_bench \\
        .venv/bin/python bench/create_cost.py [--creates 500] [--with-sla] [--profile out.prof]

Posts ``--creates`` incidents through Django's test client (the whole request path: middleware,
django-ninja, token authentication, the service, rendering the JSON answer) as ``bench_desk``, with the
payloads ``load.py`` sends, against the seeded benchmark database. It reports, per create, the wall
time, this process's CPU time (``time.process_time``), the CPU time of the PostgreSQL backend serving it
(``/proc/<backend pid>/stat``: the server runs on this machine) and the statements of one create. Neither
CPU figure depends much on how busy the machine is, unlike the wall time; the load average is printed.

``--with-sla`` first gives every service the agreement ``bench-sla`` (an office-hours calendar, the
usual targets and thresholds, made through the SLA services) so that creates start their clocks as
they would in production; without it the seeded database has no agreement and no clock starts.
The incidents it creates stay in the database (like the load test's).
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import json
import os
import random
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent / "src"))
sys.path.insert(0, str(BENCH))

TARGETS = {1: (15, 240), 2: (30, 480), 3: (60, 960), 4: (120, 1920)}
THRESHOLDS = [
    {"percent": 80, "notify_assignee": True, "notify_group_lead": True, "notify_managers": False},
    {"percent": 100, "notify_assignee": True, "notify_group_lead": True, "notify_managers": True},
]


def backend_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def ensure_agreements() -> None:
    from opsdesk.accounts import services as accounts
    from opsdesk.accounts.models import Organisation, User
    from opsdesk.accounts.roles import Role
    from opsdesk.calendars.models import BusinessCalendar, WorkingPeriod
    from opsdesk.catalog.models import Service
    from opsdesk.core import clock
    from opsdesk.sla import services as sla
    from opsdesk.sla.models import ServiceLevelAgreement

    agreement = ServiceLevelAgreement.objects.filter(code="bench-sla").first()
    if agreement is None:
        admin = User.objects.filter(username="bench_admin").first() or accounts.user_create(
            username="bench_admin", password=None, organisation=Organisation.objects.get(code="hq"),
            display_name="Bench admin", email="bench_admin@grid.example", roles=(Role.ADMINISTRATOR,))
        now = clock.now()
        calendar = BusinessCalendar.objects.filter(code="bench-office").first()
        if calendar is None:
            calendar = BusinessCalendar.objects.create(name="办公时间", name_en="Office hours", code="bench-office",
                                                       holiday_region="", is_default=True, created_at=now,
                                                       updated_at=now)
            WorkingPeriod.objects.bulk_create([WorkingPeriod(calendar=calendar, weekday=day, start=dt.time(9),
                                                             end=dt.time(17)) for day in range(5)])
        agreement = sla.agreement_save(actor=admin, name="基准 SLA", name_en="Bench SLA", code="bench-sla",
                                       calendar=calendar, targets=TARGETS, thresholds=THRESHOLDS)
        for service in Service.objects.all():
            sla.service_agreement_set(actor=admin, service=service, agreement=agreement)
    print(f"agreement {agreement.code} on every service")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--creates", type=int, default=500)
    parser.add_argument("--with-sla", action="store_true")
    parser.add_argument("--profile", help="write a cProfile (CPU time) of the measured creates here")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--batch", type=int, default=0,
                        help="call incidents_create_many with batches of this many drafts in process (what the "
                             "API's group commit writes under load) instead of posting one create at a time")
    parser.add_argument("--server-side-binding", action="store_true",
                        help="psycopg server-side binding (statements prepared after 5 uses), to compare")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsdesk.config.settings")
    import django

    django.setup()
    if args.server_side_binding:
        from django.db import connections

        connections["default"].settings_dict["OPTIONS"]["server_side_binding"] = True
        connections["default"].close()
    import load
    from django.db import connection
    from django.test import Client

    if args.with_sla:
        ensure_agreements()
    ctx = load.prepare()
    client = Client(headers={"Authorization": f"Bearer {ctx['tokens']['bench_desk']}", "Accept-Language": "en"},
                    SERVER_NAME="127.0.0.1")
    rng = random.Random(args.seed)

    def post(serial: int) -> None:
        response = client.post("/api/v1/incidents", json.dumps(load.create_payload(ctx, rng, serial)),
                               content_type="application/json")
        if response.status_code != 201:
            raise SystemExit(f"create failed: {response.status_code} {response.content[:300]!r}")

    if args.batch:
        from opsdesk.accounts.models import User
        from opsdesk.incidents.services import IncidentDraft, incidents_create_many

        desk = User.objects.get(username="bench_desk")

        def post_batch(serial: int) -> None:  # what one group commit writes: a batch of API drafts, by id
            drafts = []
            for index in range(args.batch):
                payload = load.create_payload(ctx, rng, serial * args.batch + index)
                drafts.append(IncidentDraft(actor=desk, **payload))
            refused = [r for r in incidents_create_many(drafts) if isinstance(r, Exception)]
            if refused:
                raise SystemExit(f"create failed: {refused[0]!r}")

        post = post_batch  # noqa: F811 (the same measurement, one batch per call)

    for serial in range(20):  # warm up: imports, caches, the connection
        post(serial)
    statements: list[str] = []

    def record(execute, sql, params, many, context):  # noqa: ANN001 (Django's execute_wrapper signature)
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        post(99)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]

    profile = cProfile.Profile(time.process_time) if args.profile else None
    load_before = os.getloadavg()
    wall, cpu, pg = time.perf_counter(), time.process_time(), backend_cpu(backend)
    if profile:
        profile.enable()
    calls = args.creates // args.batch if args.batch else args.creates
    for serial in range(calls):
        post(1000 + serial)
    if profile:
        profile.disable()
        profile.dump_stats(args.profile)
    wall, cpu, pg = time.perf_counter() - wall, time.process_time() - cpu, backend_cpu(backend) - pg
    n = calls * (args.batch or 1)
    print(f"{n} creates{f' in batches of {args.batch}' if args.batch else ''}"
          f"{' (profiled: CPU inflated)' if profile else ''}, load average "
          f"{load_before[0]:.1f} before, {os.getloadavg()[0]:.1f} after")
    print(f"per create: {wall / n * 1000:.1f} ms wall, {cpu / n * 1000:.1f} ms Python CPU, "
          f"{pg / n * 1000:.1f} ms PostgreSQL CPU, {len(statements)} statements"
          f"{f' per batch of {args.batch}' if args.batch else ''}")
    print(f"two idle cores would fit about {2000 / ((cpu + pg) / n * 1000):.0f} creates/s on this path")
    for sql in statements:
        print(f"  {sql[:160]}")


if __name__ == "__main__":
    main()
