"""Seed a PostgreSQL database with a realistic CMDB: 100,000 CIs and about 300,000 relations.

    createdb -h 127.0.0.1 -U postgres opsdesk_bench_cmdb
    export OPSDESK_DATABASE_URL=postgres://postgres@127.0.0.1:5432/opsdesk_bench_cmdb
    .venv/bin/python -m opsdesk migrate
    .venv/bin/python bench/cmdb/seed.py

Organisations (headquarters, a province, 10 cities), an administrator, the standard classes and a city
engineer are created through the services; users, CIs, attribute values, relations, service links and
incident links are generated in Python and loaded with COPY. The network is a tree with redundancy (two
core switches connected to each other, 40 aggregation switches on both cores, 1,000 access switches on two
aggregations each, servers on one or two access switches), so a core switch's failure reaches almost the
whole estate through "connected to" (symmetric) and "runs on"/"depends on" (with cycles between
applications): the worst case for impact analysis.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import random
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent.parent / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsdesk.config.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from opsdesk.accounts import services as accounts  # noqa: E402
from opsdesk.accounts.models import Organisation, User  # noqa: E402
from opsdesk.accounts.roles import Role  # noqa: E402
from opsdesk.catalog.models import Service  # noqa: E402
from opsdesk.cmdb import graph  # noqa: E402
from opsdesk.cmdb.defaults import install_standard_classes  # noqa: E402
from opsdesk.cmdb.models import AttributeDefinition, ConfigurationItem  # noqa: E402
from opsdesk.incidents import services as incidents  # noqa: E402

PASSWORD = "bench-pass-1"
CORE_SWITCH_NAME = "core-sw-01"


def _copy(table: str, columns: list[str], rows) -> int:
    count = 0
    with connection.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        buffer = io.StringIO()
        for row in rows:
            buffer.write("\t".join(_text(v) for v in row) + "\n")
            count += 1
            if count % 20000 == 0:
                copy.write(buffer.getvalue())
                buffer = io.StringIO()
        copy.write(buffer.getvalue())
    return count


def _text(value) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    return str(value).replace("\\", "\\\\").replace("\t", " ").replace("\n", " ")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--users", type=int, default=3000)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run this against PostgreSQL (OPSDESK_DATABASE_URL).")
    if ConfigurationItem.objects.exists():
        sys.exit("The database already holds CIs; seed an empty one.")
    rng = random.Random(args.seed)
    started = time.perf_counter()
    now = dt.datetime.now(dt.UTC)

    with transaction.atomic():
        hq = accounts.organisation_create(name="总部", name_en="Headquarters", code="hq", level="headquarters")
        province = accounts.organisation_create(name="省公司", name_en="Province", code="prov", level="province",
                                                parent=hq)
        cities = [accounts.organisation_create(name=f"{i}市公司", name_en=f"City {i}", code=f"city-{i}", level="city",
                                               parent=province) for i in range(1, 11)]
        admin = accounts.user_create(username="bench_admin", password=PASSWORD, organisation=hq,
                                     display_name="Bench admin", roles=[Role.ADMINISTRATOR])
        accounts.user_create(username="bench_eng", password=PASSWORD, organisation=cities[0],
                             display_name="Bench engineer", roles=[Role.ENGINEER_L1])
        classes = install_standard_classes(actor=admin)
        services = [Service.objects.create(name=f"业务系统{i}", code=f"svc-{i}") for i in range(20)]
    password = make_password(PASSWORD)
    orgs = [province.pk] + [c.pk for c in cities]
    _copy("accounts_user", ["password", "is_superuser", "username", "first_name", "last_name", "email", "is_staff",
                            "is_active", "date_joined", "display_name", "phone", "organisation_id", "language",
                            "time_zone"],
          ((password, False, f"user{i:05d}", "", "", f"user{i}@example.test", False, True, now.isoformat(),
            f"用户{i}", "", rng.choice(orgs), "zh-hans", "Asia/Shanghai") for i in range(args.users)))

    # CIs: (class code, count, organisation picker)
    plan = [
        ("network_device", 2, "core"), ("network_device", 40, "aggregation"), ("network_device", 1000, "access"),
        ("cabinet", 2000, None), ("server", 40000, None), ("storage", 2000, None), ("database", 10000, None),
        ("middleware", 10000, None), ("application", 30000, None), ("software_licence", 4958, None),
    ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence('cmdb_configurationitem', 'id'))")
        first_id = cursor.fetchone()[0]
    ids: dict[str, list[int]] = {}
    rows = []
    next_id = first_id
    serial_definition = AttributeDefinition.objects.get(code="serial_number").pk
    values = []
    for code, count, role in plan:
        key = role or code
        ids[key] = []
        for n in range(count):
            ci_id = next_id
            next_id += 1
            ids[key].append(ci_id)
            org = province.pk if role in ("core", "aggregation") else rng.choice(orgs[1:])
            attributes: dict = {}
            if code in ("network_device", "cabinet", "server", "storage"):
                attributes["serial_number"] = f"SN{ci_id:08d}"
                values.append((ci_id, serial_definition, attributes["serial_number"].casefold(), None, True))
            if role:
                attributes["device_role"] = role
            if code == "server":
                attributes.update({"cpu_cores": rng.choice([8, 16, 32, 64]), "os": rng.choice(["Linux", "Kylin"])})
            name = CORE_SWITCH_NAME if role == "core" and n == 0 else f"{key}-{n:05d}"
            rows.append((ci_id, name, classes[code].pk, org, "in_use", json.dumps(attributes, ensure_ascii=False), "",
                         "", "", "", "", classes[code].is_maintained, 1, now.isoformat(), now.isoformat()))
    _copy("cmdb_configurationitem", ["id", "name", "ci_class_id", "organisation_id", "state", "attributes",
                                     "description", "supplier", "contract_number", "location", "financial_category",
                                     "is_maintained",
                                     "version", "created_at", "updated_at"], rows)
    with connection.cursor() as cursor:
        cursor.execute("SELECT setval(pg_get_serial_sequence('cmdb_configurationitem', 'id'), %s)", [next_id])
    _copy("cmdb_attributevalue", ["ci_id", "attribute_id", "value_key", "value_number", "is_unique"], values)

    relations: set[tuple[int, int, str]] = set()

    def rel(source: int, target: int, kind: str) -> None:
        if source != target and (target, source, kind) not in relations:
            relations.add((source, target, kind))

    core, agg, access = ids["core"], ids["aggregation"], ids["access"]
    rel(core[0], core[1], "connected_to")
    for a in agg:
        for c in core:
            rel(a, c, "connected_to")
    for s in access:
        for a in rng.sample(agg, 2):
            rel(s, a, "connected_to")
    for server in ids["server"]:
        for s in rng.sample(access, 2 if rng.random() < 0.85 else 1):
            rel(server, s, "connected_to")
        rel(server, rng.choice(ids["cabinet"]), "part_of")
    for storage in ids["storage"]:
        rel(storage, rng.choice(access), "connected_to")
    for server in rng.sample(ids["server"], 20000):
        rel(server, rng.choice(ids["storage"]), "depends_on")
    for db in ids["database"]:
        rel(db, rng.choice(ids["server"]), "runs_on")
    for db in rng.sample(ids["database"], 2000):
        rel(db, rng.choice(ids["database"]), "backs_up")
    for mw in ids["middleware"]:
        rel(mw, rng.choice(ids["server"]), "runs_on")
    for app in ids["application"]:
        rel(app, rng.choice(ids["middleware"] + ids["server"]) if rng.random() < 0.1 else rng.choice(ids["middleware"]),
            "runs_on")
        rel(app, rng.choice(ids["database"]), "depends_on")
        rel(app, rng.choice(ids["application"]), "depends_on")  # cycles between applications
    for app in rng.sample(ids["application"], 20000):
        rel(app, rng.choice(ids["software_licence"]), "depends_on")
    while len(relations) < 300_000:
        rel(rng.choice(ids["application"]), rng.choice(ids["application"]), "depends_on")
    stamp = now.isoformat()
    _copy("cmdb_relation", ["source_id", "target_id", "kind", "description", "created_at"],
          ((s, t, k, "", stamp) for s, t, k in relations))
    _copy("cmdb_ciservice", ["ci_id", "service_id"],
          ((app, services[i % len(services)].pk) for i, app in enumerate(rng.sample(ids["application"], 2000))))

    # A few open incidents linked to CIs, through the services (numbers, audit, routing).
    with transaction.atomic():
        service = services[0]
        incident_links = []
        for i in range(50):
            incident = incidents.incident_create(actor=admin, title=f"故障 {i}", description="bench", service=service)
            incident_links.append((incident.pk, rng.choice(ids["application"] + ids["server"]), stamp))
        _copy("cmdb_incidentci", ["incident_id", "ci_id", "added_at"], incident_links)
    with transaction.atomic():
        graph.touch()  # rows loaded with COPY: tell processes holding the relation graph to reload it
    with connection.cursor() as cursor:
        for table in ("cmdb_configurationitem", "cmdb_relation", "cmdb_attributevalue", "accounts_user"):
            cursor.execute(f"ANALYZE {table}")
    print(json.dumps({
        "cis": ConfigurationItem.objects.count(), "relations": len(relations), "users": User.objects.count(),
        "organisations": Organisation.objects.count(), "core_switch": core[0],
        "seconds": round(time.perf_counter() - started, 1),
    }))


if __name__ == "__main__":
    main()
