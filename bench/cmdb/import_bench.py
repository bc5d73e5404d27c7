"""Measure the Excel import of a 10,000-row acceptance list on the seeded database (see README.md).

    OPSDESK_DATABASE_URL=postgres://postgres@127.0.0.1:5432/opsdesk_bench_cmdb .venv/bin/python bench/cmdb/import_bench.py

Three imports of a generated sheet (servers with serial number, CPU, OS, IP, supplier, dates, value):
the first creates 10,000 CIs, the same file again changes nothing, then a copy with every CPU count changed
updates 10,000. Each run uses a new serial-number prefix, so it adds 10,000 CIs to the database.
"""

from __future__ import annotations

import argparse
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

from django.db import connection  # noqa: E402
from openpyxl import Workbook  # noqa: E402

from opsdesk.accounts.models import User  # noqa: E402
from opsdesk.cmdb.importing import ci_import  # noqa: E402

HEADERS = ["设备名称", "类别", "单位", "序列号", "资产编号", "CPU核数", "操作系统", "IP地址", "供应商", "合同编号",
           "购置日期", "验收日期", "保修截止", "存放位置", "价值"]
MAPPING = {
    "columns": {"设备名称": "name", "类别": "class", "单位": "organisation", "序列号": "attributes.serial_number",
                "资产编号": "attributes.asset_tag", "CPU核数": "attributes.cpu_cores", "操作系统": "attributes.os",
                "IP地址": "attributes.ip_address", "供应商": "supplier", "合同编号": "contract_number",
                "购置日期": "purchase_date", "验收日期": "acceptance_date", "保修截止": "warranty_end",
                "存放位置": "location", "价值": "value"},
    "key": "serial_number",
}


def sheet(rows: int, prefix: str, cpu_offset: int, rng: random.Random) -> bytes:
    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet("验收清单")
    worksheet.append(HEADERS)
    cities = [f"city-{i}" for i in range(1, 11)]
    for n in range(rows):
        worksheet.append([
            f"{prefix}-srv-{n:05d}", "server", cities[n % len(cities)], f"{prefix}-SN-{n:06d}", f"{prefix}-AT-{n:06d}",
            [8, 16, 32, 64][n % 4] + cpu_offset, rng.choice(["Linux", "Kylin", "Windows"]),
            f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}", rng.choice(["浪潮", "华为", "联想", "曙光"]),
            f"HT-2026-{n // 100:04d}", "2026-03-01", "2026-04-15", "2029-04-14", f"A栋{n % 9 + 1}层机房",
            round(rng.uniform(20000, 150000), 2),
        ])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def timed(label: str, actor: User, content: bytes) -> dict:
    started, started_cpu = time.perf_counter(), time.process_time()
    result = ci_import(actor=actor, file=io.BytesIO(content), mapping=MAPPING, dry_run=False)
    return {"what": label, "seconds": round(time.perf_counter() - started, 2),
            "cpu_seconds": round(time.process_time() - started_cpu, 2), "created": result.created,
            "updated": result.updated, "unchanged": result.unchanged, "refused": len(result.errors)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()
    rng = random.Random(1)
    admin = User.objects.get(username="bench_admin")
    prefix = f"B{int(time.time())}"
    first = sheet(args.rows, prefix, 0, rng)
    changed = sheet(args.rows, prefix, 1, random.Random(1))
    print(json.dumps({"load_average": os.getloadavg(), "database": connection.vendor, "rows": args.rows,
                      "sheet_bytes": len(first)}))
    for result in (timed("first import (creates)", admin, first), timed("same file again", admin, first),
                   timed("every CPU count changed (updates)", admin, changed)):
        print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
