"""Time one SLA scheduler pass — find every due threshold and enqueue it — at 10k, 100k and 1M open incidents.

    bench/sla/run.sh                       # createdb opsdesk_bench_sla, migrate, then everything below
    .venv/bin/python bench/sla/bench.py    # the same on a migrated database (OPSDESK_DATABASE_URL set)
    .venv/bin/python bench/sla/bench.py --sizes 10000,100000 --runs 5 --due-fraction 0.03

For each size the database is grown to that many open incidents (bench/sla/seed.py, COPY), then for each
task backend (``rq``: OPSDESK_REDIS_URL set, a Redis database of the benchmark's own; ``database``: the
django-tasks-db queue in the same PostgreSQL) a child process runs the pass ``--runs`` times. Before each
run the state the pass changes is put back (the due clocks' rows, the firings and queued tasks it added,
the Redis database), so every run meets the same due set; the table shows the p50 and the spread.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(HERE))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsdesk.config.settings")

PASS = "opsdesk.sla.services.thresholds_enqueue_due"
SNAPSHOT = "bench_sla_due_snapshot"
OUT = HERE / "out"


def setup_django() -> None:
    import django

    django.setup()


def clock_table() -> str:
    from opsdesk.sla.models import IncidentClock

    return IncidentClock._meta.db_table


def firing_table() -> str:
    from opsdesk.sla.models import ThresholdFiring

    return ThresholdFiring._meta.db_table


def take_snapshot(moment) -> tuple[int, int]:
    """Keep the rows of the clocks due at ``moment`` and the last firing id: what a pass may change."""
    from django.db import connection

    clocks = clock_table()
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {SNAPSHOT}")
        cursor.execute(f"CREATE TABLE {SNAPSHOT} AS SELECT * FROM {clocks} "
                       "WHERE next_threshold_at IS NOT NULL AND next_threshold_at <= %s", [moment])
        cursor.execute(f"SELECT count(*) FROM {SNAPSHOT}")
        due = cursor.fetchone()[0]
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {firing_table()}")
        last_firing = cursor.fetchone()[0]
    return due, last_firing


def restore(last_firing: int, redis_url: str) -> None:
    """Undo a pass: firings and queued tasks it added go, the due clocks get their rows back."""
    from django.db import connection

    clocks = clock_table()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT column_name FROM information_schema.columns WHERE table_name = '{SNAPSHOT}' "
                       "AND column_name <> 'id'")
        columns = [row[0] for row in cursor.fetchall()]
        assignments = ", ".join(f'"{c}" = s."{c}"' for c in columns)
        cursor.execute(f"UPDATE {clocks} AS c SET {assignments} FROM {SNAPSHOT} AS s WHERE c.id = s.id")
        cursor.execute(f"DELETE FROM {firing_table()} WHERE id > %s", [last_firing])
        cursor.execute(f"UPDATE {firing_table()} SET status = 'done' WHERE status <> 'done'")
        cursor.execute("DELETE FROM django_tasks_db_dbtaskresult")
        cursor.execute(f"VACUUM ANALYZE {clocks}")
        cursor.execute(f"VACUUM ANALYZE {firing_table()}")
    if redis_url:
        import redis

        redis.Redis.from_url(redis_url).flushdb()


def measure(runs: int) -> dict:
    """In a child process with the backend's environment: time ``runs`` passes, restoring state before each."""
    setup_django()
    from django.conf import settings
    from django.db import connection
    from django.utils.module_loading import import_string

    from opsdesk.core import clock

    run_pass = import_string(PASS)
    moment = clock.now()
    due, last_firing = take_snapshot(moment)
    timings, enqueued = [], []
    for _ in range(runs):
        restore(last_firing, settings.REDIS_URL)
        connection.close()  # each pass starts as a scheduler's would: a fresh session, caches cold
        with clock.frozen_at(moment):
            began = time.perf_counter()
            count = run_pass(moment)
            timings.append(time.perf_counter() - began)
        enqueued.append(count)
    queued = queued_tasks(settings.REDIS_URL)
    restore(last_firing, settings.REDIS_URL)
    return {"due_clocks": due, "enqueued": enqueued, "queued_tasks_after_last_run": queued, "seconds": timings,
            "backend": "rq" if settings.REDIS_URL else "database"}


def queued_tasks(redis_url: str) -> int:
    if redis_url:
        import django_rq

        return sum(queue.count for queue in django_rq.queues.get_queues("default"))
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.count()


def explain() -> str:
    """The plan of the pass's due query as PostgreSQL runs it now (what the index does at this size)."""
    from django.db import connection

    from opsdesk.core import clock

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) SELECT id FROM {clock_table()} "
                       "WHERE next_threshold_at IS NOT NULL AND next_threshold_at <= %s "
                       "ORDER BY next_threshold_at", [clock.now()])
        return "\n".join(row[0] for row in cursor.fetchall())


def child(backend: str, runs: int, redis_url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "OPSDESK_REDIS_URL"}
    if backend == "rq":
        env["OPSDESK_REDIS_URL"] = redis_url
    result = subprocess.run([sys.executable, __file__, "--measure", "--runs", str(runs)], env=env,
                            capture_output=True, text=True, cwd=ROOT)
    if result.returncode:
        raise SystemExit(f"measuring with {backend} failed:\n{result.stdout}\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--due-fraction", type=float, default=0.03)
    parser.add_argument("--backends", default="rq,database")
    parser.add_argument("--redis", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15"))
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.runs)))
        return
    setup_django()
    import seed
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("bench/sla runs on PostgreSQL: set OPSDESK_DATABASE_URL=postgres://…/opsdesk_bench_sla")
    rows = []
    OUT.mkdir(exist_ok=True)
    for size in (int(s) for s in args.sizes.split(",")):
        seed.grow_to(size, due_fraction=args.due_fraction)
        plan = explain()
        (OUT / f"explain-{size}.txt").write_text(plan)
        for backend in args.backends.split(","):
            result = child(backend, args.runs, args.redis)
            seconds = sorted(result["seconds"])
            row = {"open_incidents": size, "backend": backend, "due_clocks": result["due_clocks"],
                   "enqueued": result["enqueued"][-1], "tasks": result["queued_tasks_after_last_run"],
                   "p50": statistics.median(seconds), "min": seconds[0], "max": seconds[-1], "runs": len(seconds)}
            rows.append(row)
            seed.log(f"{size:>9,} open, {backend:<8}: {row['due_clocks']:,} due clocks, {row['enqueued']:,} enqueued "
                     f"in {row['tasks']:,} tasks, p50 {row['p50']:.3f} s (min {row['min']:.3f}, max {row['max']:.3f})")
    table = ["| open incidents | backend | due clocks | thresholds enqueued | tasks queued | pass p50 | min | max |",
             "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    table += [f"| {r['open_incidents']:,} | {r['backend']} | {r['due_clocks']:,} | {r['enqueued']:,} | {r['tasks']:,} "
              f"| {r['p50']:.3f} s | {r['min']:.3f} s | {r['max']:.3f} s |" for r in rows]
    print("\n".join(table))
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (OUT / f"results-{stamp}.md").write_text("\n".join(table) + "\n")
    (OUT / f"results-{stamp}.json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
