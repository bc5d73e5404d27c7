"""Measure impact analysis from the core switch on the seeded database (see README.md): p50/p95 over 20 runs.

    OPSDESK_DATABASE_URL=postgres://postgres@127.0.0.1:5432/opsdesk_bench_cmdb .venv/bin/python bench/cmdb/impact.py
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent.parent / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsdesk.config.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, reset_queries  # noqa: E402

from opsdesk.accounts.models import User  # noqa: E402
from opsdesk.cmdb import graph, selectors  # noqa: E402
from opsdesk.cmdb.models import ConfigurationItem  # noqa: E402

CORE_SWITCH_NAME = "core-sw-01"


def measure(label: str, call, runs: int) -> dict:
    """Wall time (p50/p95/max) and this process's CPU time (p50) of ``runs`` calls after a warm-up call."""
    call()  # warm up (plans, caches)
    times, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        call()
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * len(times)) - 1)]
    return {"what": label, "runs": runs, "p50_ms": round(statistics.median(times), 1), "p95_ms": round(p95, 1),
            "max_ms": round(times[-1], 1), "cpu_p50_ms": round(statistics.median(cpu), 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    core = ConfigurationItem.objects.get(name=CORE_SWITCH_NAME)
    admin = User.objects.get(username="bench_admin")
    engineer = User.objects.get(username="bench_eng")
    started = time.perf_counter()
    snap = graph.snapshot()  # the first read after a change loads the graph
    load_seconds = round(time.perf_counter() - started, 2)
    reached = snap.walk([core.pk])
    impact = selectors.impact_of(user=admin, ci=core)
    print(json.dumps({"load_average": os.getloadavg(), "database": connection.vendor, "cis": ConfigurationItem.objects.count(),
                      "reached_from_core_switch": len(reached.seen), "levels": len(reached.levels) - 1,
                      "graph_load_seconds": load_seconds, "components": len(snap.condensed.members),
                      "services": len(impact.services), "organisations": len(impact.organisations),
                      "users": impact.user_count, "open_incidents": len(impact.open_incidents)}))
    results = [
        measure("graph walk only (condensed)", lambda: list(snap.impacted(core.pk)), args.runs),
        measure("graph walk only (CI by CI, breadth first)", lambda: snap.walk([core.pk]), args.runs),
        measure("impact_of, administrator (everything visible)", lambda: selectors.impact_of(user=admin, ci=core),
                args.runs),
    ]
    access = ConfigurationItem.objects.filter(name__startswith="access-", organisation_id=engineer.organisation_id) \
        .order_by("id").first()
    if access is not None:
        results.append(measure("impact_of, city engineer from an access switch of their city",
                               lambda: selectors.impact_of(user=engineer, ci=access), args.runs))
    for result in results:
        print(json.dumps(result, ensure_ascii=False))
    reset_queries()


if __name__ == "__main__":
    main()
