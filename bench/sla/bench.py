"""Time one SLA scheduler pass — find every due threshold and enqueue it — at 10k, 100k and 1M open incidents.

    bench/sla/run.sh                                   # all three sizes, both backends, 5 runs each
    bench/sla/run.sh --sizes 10000,100000 --runs 3     # fewer
    bench/sla/run.sh --pass variants.batched_pass      # the what-if pass of bench/sla/variants.py
    bench/sla/run.sh --fresh                           # drop the benchmark databases first

Each size has a database of its own on the PostgreSQL server OPSDESK_DATABASE_URL names (default
postgres://postgres@127.0.0.1:5432/…): ``opsdesk_bench_sla_<size>`` (BENCH_SLA_DB sets the prefix), created,
migrated and seeded with that many open incidents and their clocks when missing (bench/sla/seed.py, COPY).
Then for each task backend (``rq``: OPSDESK_REDIS_URL set to a Redis database of the benchmark's own,
--redis, default db 15; ``database``: the django-tasks-db queue in the same PostgreSQL) a child process
runs the pass ``--runs`` times at one frozen moment. Before each run the state a pass changes is put back
(the due clocks' rows, the firings and queued tasks it added, the Redis database), so every run meets the
same due set; the table shows the p50 and the spread, and explain-<size>.txt the plan of the due query.
Results go to bench/sla/out/ (not committed).
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
DATABASE = os.environ.get("BENCH_SLA_DB", "opsdesk_bench_sla")  # one database per size: <name>_<size>
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


def task_table() -> str:
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult._meta.db_table


def take_snapshot(moment) -> tuple[int, int]:
    """Keep the rows of the clocks due at ``moment`` and the last firing id: what a pass may change.

    A snapshot left by an interrupted run is put back first, so the database never drifts."""
    from django.db import connection

    clocks = clock_table()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT to_regclass('{SNAPSHOT}') IS NOT NULL")
        if cursor.fetchone()[0]:
            cursor.execute(f"SELECT last_firing FROM {SNAPSHOT}_state")
            restore(cursor.fetchone()[0], "")
        cursor.execute(f"DROP TABLE IF EXISTS {SNAPSHOT}")
        cursor.execute(f"DROP TABLE IF EXISTS {SNAPSHOT}_state")
        cursor.execute(f"CREATE TABLE {SNAPSHOT} AS SELECT * FROM {clocks} "
                       "WHERE next_threshold_at IS NOT NULL AND next_threshold_at <= %s", [moment])
        cursor.execute(f"SELECT count(*) FROM {SNAPSHOT}")
        due = cursor.fetchone()[0]
        cursor.execute(f"CREATE TABLE {SNAPSHOT}_state AS SELECT coalesce(max(id), 0) AS last_firing "
                       f"FROM {firing_table()}")
        cursor.execute(f"SELECT last_firing FROM {SNAPSHOT}_state")
        last_firing = cursor.fetchone()[0]
    return due, last_firing


def drop_snapshot() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {SNAPSHOT}")
        cursor.execute(f"DROP TABLE IF EXISTS {SNAPSHOT}_state")


def restore(last_firing: int, redis_url: str) -> None:
    """Undo a pass: firings and queued tasks it added go, the due clocks get their rows back."""
    from django.db import connection

    clocks = clock_table()
    with connection.cursor() as cursor:
        cursor.execute("SELECT column_name FROM information_schema.columns WHERE table_name = %s "
                       "AND column_name <> 'id'", [SNAPSHOT])
        columns = [row[0] for row in cursor.fetchall()]
        assignments = ", ".join(f'"{c}" = s."{c}"' for c in columns)
        cursor.execute(f"UPDATE {clocks} AS c SET {assignments} FROM {SNAPSHOT} AS s WHERE c.id = s.id")
        cursor.execute(f"DELETE FROM {firing_table()} WHERE id > %s", [last_firing])
        cursor.execute(f"UPDATE {firing_table()} SET status = 'done' WHERE status <> 'done'")
        cursor.execute(f"DELETE FROM {task_table()}")
        cursor.execute(f"VACUUM ANALYZE {clocks}")
        cursor.execute(f"VACUUM ANALYZE {firing_table()}")
    if redis_url:
        import redis

        redis.Redis.from_url(redis_url).flushdb()


def seeded_at():
    """When the database was seeded: the due fraction holds at that moment (later, more clocks are due)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('bench_sla_meta') IS NOT NULL")
        if not cursor.fetchone()[0]:
            return None
        cursor.execute("SELECT max(seeded_at) FROM bench_sla_meta")
        return cursor.fetchone()[0]


def measure(runs: int, pass_path: str) -> dict:
    """In a child process with the backend's environment: time ``runs`` passes, restoring state before each."""
    setup_django()
    from django.conf import settings
    from django.db import connection
    from django.utils.module_loading import import_string

    from opsdesk.core import clock

    run_pass = import_string(pass_path)
    moment = seeded_at() or clock.now()
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
    drop_snapshot()
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
                       "ORDER BY next_threshold_at", [seeded_at() or clock.now()])
        return "\n".join(row[0] for row in cursor.fetchall())


def database_url(base: str, size: int) -> str:
    return f"{base.rsplit('/', 1)[0]}/{DATABASE}_{size}"


def run(args: list[str], env: dict[str, str], what: str) -> str:
    result = subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True, cwd=ROOT)
    if result.returncode:
        raise SystemExit(f"{what} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def prepare(size: int, env: dict[str, str], due_fraction: float) -> None:
    """Create, migrate and seed the database of one size (each size has its own: a database cannot shrink)."""
    name = env["OPSDESK_DATABASE_URL"].rsplit("/", 1)[1]
    exists = subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-Atc",
                             f"SELECT 1 FROM pg_database WHERE datname = '{name}'"], capture_output=True, text=True)
    if exists.stdout.strip() != "1":
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)
    run(["-m", "opsdesk", "migrate", "--verbosity", "0"], env, f"migrating {name}")
    print(run([__file__, "--grow", str(size), "--due-fraction", str(due_fraction)], env, f"seeding {name}"),
          end="", flush=True)


def child(env: dict[str, str], backend: str, runs: int, redis_url: str, pass_path: str) -> dict:
    env = {k: v for k, v in env.items() if k != "OPSDESK_REDIS_URL"}
    if backend == "rq":
        env["OPSDESK_REDIS_URL"] = redis_url
    out = run([__file__, "--measure", "--runs", str(runs), "--pass", pass_path], env, f"measuring with {backend}")
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--due-fraction", type=float, default=0.03)
    parser.add_argument("--backends", default="rq,database")
    parser.add_argument("--redis", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15"))
    parser.add_argument("--pass", dest="pass_path", default=PASS,
                        help=f"dotted path of the pass to time (default {PASS}; variants.batched_pass: the what-if)")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--grow", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--explain", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.runs, args.pass_path)))
        return
    if args.explain:
        setup_django()
        print(explain())
        return
    if args.grow:
        setup_django()
        import seed

        seed.grow_to(args.grow, due_fraction=args.due_fraction)
        print(json.dumps({"open": seed.open_incident_count()}))
        return
    base = os.environ.get("OPSDESK_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    if not base.startswith("postgres"):
        sys.exit("bench/sla runs on PostgreSQL: OPSDESK_DATABASE_URL=postgres://… names the server")
    rows = []
    OUT.mkdir(exist_ok=True)
    for size in (int(s) for s in args.sizes.split(",")):
        env = {**os.environ, "OPSDESK_DATABASE_URL": database_url(base, size)}
        env.pop("OPSDESK_REDIS_URL", None)
        prepare(size, env, args.due_fraction)
        (OUT / f"explain-{size}.txt").write_text(run([__file__, "--explain"], env, "explain"))
        for backend in args.backends.split(","):
            result = child(env, backend, args.runs, args.redis, args.pass_path)
            seconds = sorted(result["seconds"])
            row = {"pass": args.pass_path, "load": round(os.getloadavg()[0], 1), "open_incidents": size,
                   "backend": backend, "due_clocks": result["due_clocks"], "enqueued": result["enqueued"][-1],
                   "tasks": result["queued_tasks_after_last_run"], "p50": statistics.median(seconds),
                   "min": seconds[0], "max": seconds[-1], "runs": len(seconds)}
            rows.append(row)
            print(f"{size:>9,} open, {backend:<8}: {row['due_clocks']:,} due clocks, {row['enqueued']:,} enqueued "
                  f"in {row['tasks']:,} tasks, p50 {row['p50']:.3f} s (min {row['min']:.3f}, max {row['max']:.3f}, "
                  f"load {row['load']})", flush=True)
    table = [f"pass: {args.pass_path}", "",
             "| open incidents | backend | due clocks | thresholds enqueued | tasks queued | pass p50 | min | max "
             "| load avg |",
             "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    table += [f"| {r['open_incidents']:,} | {r['backend']} | {r['due_clocks']:,} | {r['enqueued']:,} | {r['tasks']:,} "
              f"| {r['p50']:.3f} s | {r['min']:.3f} s | {r['max']:.3f} s | {r['load']} |" for r in rows]
    print("\n".join(table))
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (OUT / f"results-{stamp}.md").write_text("\n".join(table) + "\n")
    (OUT / f"results-{stamp}.json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
