"""Load clients for the benchmark: latency of queues, filtered lists and search; throughput of creates.

    .venv/bin/python bench/load.py --base http://127.0.0.1:PORT [--requests 200] [--create-seconds 25]

Run it against a server on 127.0.0.1 that serves the seeded database (see
``bench/run.sh``, which starts gunicorn, runs this and stops it). The setup
step signs into the same database with Django to make API tokens for the load
users through ``api_token_create`` and to look up ids and search words; every
measurement then goes through HTTP only.

Latency: each scenario sends ``--requests`` sequential requests (after a few
unmeasured warm-up ones) over one keep-alive client, with its parameters
varied per request, and reports p50/p95/max. Throughput: ``--create-threads``
threads, each with its own client, post new incidents for
``--create-seconds`` and the run reports requests per second, errors and
latency. Every client talks only to 127.0.0.1, stops by itself, and the
figures are printed as a table and written to ``bench/out/``.

Creates are driven by ``wrk`` (``--create-client wrk``, the default when ``wrk`` is on the PATH:
``apt-get install -y wrk``) with ``bench/create_wrk.lua``, ``--create-connections`` connections and
request bodies made by the same ``create_payload``; ``--create-client httpx`` keeps the Python threads.
A Python client spends 1–1.6 ms of CPU per request on the cores it measures, wrk about 0.1 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import httpx

BENCH = Path(__file__).resolve().parent
OUT = BENCH / "out"
sys.path.insert(0, str(BENCH.parent / "src"))
sys.path.insert(0, str(BENCH))

import vocabulary as V  # noqa: E402

# Words people type into the search box: common and rare, Chinese and English, one and two words.
SEARCH_ZH = ["网络", "打印机", "无法登录", "蓝屏", "U盘", "SAP 过账失败", "邮件", "证书过期", "抄表", "报销单",
             "视频会议 没有声音", "表空间不足", "慢", "营销系统 白屏"]
SEARCH_EN = ["printer", "password", "VPN", "timed out", "blue screen", "SAP posting", "Outlook", "mailbox full",
             "certificate", "tablespace", "ORA-01555", "NullPointerException", "payslip", "Wi-Fi drops"]


@dataclass
class Result:
    scenario: str
    group: str
    requests: int
    errors: int
    p50_ms: float
    p95_ms: float
    max_ms: float
    per_second: float
    server_cpu_ms: float = float("nan")  # gunicorn workers + PostgreSQL backends, CPU time per request
    note: str = ""
    samples: list[float] = field(default_factory=list, repr=False)


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def summarise(scenario: str, group: str, samples: list[float], errors: int, elapsed: float, note: str = "") -> Result:
    return Result(
        scenario=scenario, group=group, requests=len(samples) + errors, errors=errors,
        p50_ms=round(statistics.median(samples) * 1000, 1) if samples else float("nan"),
        p95_ms=round(percentile(samples, 0.95) * 1000, 1), max_ms=round(max(samples, default=float("nan")) * 1000, 1),
        per_second=round((len(samples)) / elapsed, 1) if elapsed else 0.0, note=note, samples=samples,
    )


class ServerCpu:
    """CPU time the server spent: its gunicorn workers and the PostgreSQL backends serving them.

    Read from /proc, so the figure does not depend on how busy the rest of the machine is: on an idle
    machine with N cores, about N × 1000 / (ms per request) requests per second fit.
    """

    def __init__(self, server_pid: int | None) -> None:
        self.server_pid = server_pid
        self.tick = os.sysconf("SC_CLK_TCK")

    @staticmethod
    def _cpu(pid: int, tick: int) -> float:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / tick

    def _pids(self) -> list[int]:
        from django.db import connection

        workers = [int(p) for p in Path(f"/proc/{self.server_pid}/task/{self.server_pid}/children").read_text().split()]
        with connection.cursor() as cursor:
            cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                           "AND backend_type = 'client backend' AND pid <> pg_backend_pid()")
            backends = [row[0] for row in cursor.fetchall()]
        return workers + backends

    def snapshot(self) -> dict[int, float] | None:
        if not self.server_pid:
            return None
        return {pid: self._cpu(pid, self.tick) for pid in self._pids()}

    def per_request(self, before: dict[int, float] | None, requests: int) -> float:
        if before is None or not requests:
            return float("nan")
        after = self.snapshot() or {}
        spent = sum(after.get(pid, 0.0) - before.get(pid, 0.0) for pid in after if pid in before)
        spent += sum(cpu for pid, cpu in after.items() if pid not in before)  # backends opened meanwhile
        return round(spent * 1000 / requests, 1)


# Setup: tokens and the ids the scenarios draw from ------------------------------------------------


def prepare() -> dict:
    """Make tokens for the load users and collect the ids and words the scenarios use (through Django)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsdesk.config.settings")
    import django

    django.setup()
    from django.db import connection

    from opsdesk.accounts.models import Organisation, SupportGroup, User
    from opsdesk.accounts.services import api_token_create
    from opsdesk.catalog.models import Category, Service

    users = {name: User.objects.get(username=name) for name in ("bench_desk", "bench_eng", "bench_requester")}
    tokens = {name: api_token_create(actor=user, name=f"bench {time.strftime('%Y-%m-%d %H:%M')}").secret
              for name, user in users.items()}
    with connection.cursor() as cursor:
        # Rare words: an asset tag and a host name that occur in a few records only.
        cursor.execute("SELECT substring(description from 'PC-[0-9]{6}') FROM incidents_incident "
                       "WHERE description LIKE '%%PC-%%' ORDER BY id DESC LIMIT 1 OFFSET 20000")
        asset = cursor.fetchone()[0]
        cursor.execute("SELECT substring(description from '[a-z-]+-[0-9]{3}') FROM incidents_incident "
                       "WHERE description LIKE '%%Host name %%' ORDER BY id LIMIT 1 OFFSET 5000")
        host = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM incidents_incident")
        total = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM incidents_incident WHERE state IN ('new','assigned','in_progress','pending')")
        open_total = cursor.fetchone()[0]
        cursor.execute("SELECT count(*), count(*) FILTER (WHERE state IN ('new','assigned','in_progress','pending')) "
                       "FROM incidents_incident WHERE assignee_id = %s", [users["bench_eng"].pk])
        eng_total, eng_open = cursor.fetchone()
    services = {s.code: s.pk for s in Service.objects.all()}
    categories = {s: list(Category.objects.filter(service_id=pk).values_list("pk", flat=True)) for s, pk in services.items()}
    requesters = list(User.objects.filter(username__startswith="user").values_list("pk", flat=True)[:800])
    return {
        "tokens": tokens,
        "user_ids": {name: user.pk for name, user in users.items()},
        "services": services,
        "categories": categories,
        "organisations": list(Organisation.objects.values_list("pk", flat=True)),
        "groups": list(SupportGroup.objects.values_list("pk", flat=True)),
        "requesters": requesters,
        "rare_words": [asset, host],
        "data": {"incidents": total, "open": open_total, "bench_eng_assigned": eng_total, "bench_eng_open": eng_open},
    }


# Latency ---------------------------------------------------------------------------------------


def measure(client: httpx.Client, token: str, paths: Callable[[], str], requests: int,
            time_limit: float) -> tuple[list[float], int, float, list[str]]:
    """Send ``requests`` GETs one after the other; (latencies of the good ones, errors, elapsed, first failures)."""
    headers = {"Authorization": f"Bearer {token}", "Accept-Language": "en"}
    samples: list[float] = []
    errors = 0
    failures: list[str] = []
    started = time.perf_counter()
    while len(samples) + errors < requests and time.perf_counter() - started < time_limit:
        path = paths()
        began = time.perf_counter()
        response = client.get(path, headers=headers)
        took = time.perf_counter() - began
        if response.status_code == 200 and "items" in response.json():
            samples.append(took)
        else:
            errors += 1
            failures.append(f"{response.status_code} {path}")
    return samples, errors, time.perf_counter() - started, failures[:3]


def latency_scenarios(ctx: dict, rng: random.Random) -> list[tuple[str, str, str, Callable[[], str]]]:
    """(group, name, user, path maker) for every latency scenario."""
    open_states = "new,assigned,in_progress,pending"
    services = list(ctx["services"].values())
    states = ["new", "assigned", "in_progress", "pending", "resolved", "closed", open_states, "assigned,in_progress"]

    def lst(**params) -> str:
        return "/api/v1/incidents?" + urlencode(params)

    def filtered() -> str:
        params = {"state": rng.choice(states)}
        if rng.random() < 0.8:
            params["priority"] = rng.choice(["1", "2", "3", "4", "1,2"])
        if rng.random() < 0.7:
            params["service"] = rng.choice(services)
        return lst(**params)

    def words(pool: list[str]) -> Callable[[], str]:
        return lambda: lst(q=rng.choice(pool))

    return [
        # Not a target: the cheapest authenticated endpoint, the floor every request of this stack pays.
        ("reference", "GET /api/v1/services (floor)", "bench_desk", lambda: "/api/v1/services"),
        ("queue", "queue=mine (engineer, all states)", "bench_eng", lambda: lst(queue="mine")),
        ("queue", "queue=mine&state=open (engineer)", "bench_eng", lambda: lst(queue="mine", state=open_states)),
        ("queue", "queue=my_groups (engineer)", "bench_eng", lambda: lst(queue="my_groups")),
        ("queue", "queue=my_groups&state=open (engineer)", "bench_eng", lambda: lst(queue="my_groups", state=open_states)),
        ("queue", "queue=unassigned (engineer)", "bench_eng", lambda: lst(queue="unassigned")),
        ("queue", "queue=my_groups (desk)", "bench_desk", lambda: lst(queue="my_groups")),
        ("queue", "queue=unassigned (desk)", "bench_desk", lambda: lst(queue="unassigned")),
        ("list", "no filter, first page (desk)", "bench_desk", lambda: lst()),
        ("list", "state&priority&service (desk)", "bench_desk", filtered),
        ("list", "state&priority&service (engineer)", "bench_eng", filtered),
        ("list", "organisation= (desk)", "bench_desk", lambda: lst(organisation=rng.choice(ctx["organisations"]))),
        ("list", "organisation=&state=open (desk)", "bench_desk",
         lambda: lst(organisation=rng.choice(ctx["organisations"]), state=open_states)),
        ("list", "group= (desk)", "bench_desk", lambda: lst(group=rng.choice(ctx["groups"]))),
        ("list", "group=&state=open (desk)", "bench_desk", lambda: lst(group=rng.choice(ctx["groups"]), state=open_states)),
        ("list", "reported (requester)", "bench_requester", lambda: lst(queue="reported")),
        ("search", "q Chinese (desk)", "bench_desk", words(SEARCH_ZH)),
        ("search", "q English (desk)", "bench_desk", words(SEARCH_EN)),
        ("search", "q rare word: asset tag, host (desk)", "bench_desk", words(ctx["rare_words"])),
        ("search", "q Chinese (engineer, city scope)", "bench_eng", words(SEARCH_ZH)),
        ("search", "q English (engineer, city scope)", "bench_eng", words(SEARCH_EN)),
        ("search", "q + state=open (desk)", "bench_desk",
         lambda: lst(q=rng.choice(SEARCH_ZH + SEARCH_EN), state=open_states)),
    ]


def run_latency(base: str, ctx: dict, requests: int, time_limit: float, rng: random.Random,
                only: str | None, cpu: ServerCpu) -> list[Result]:
    results = []
    with httpx.Client(base_url=base, timeout=30.0) as client:
        for group, name, user, paths in latency_scenarios(ctx, rng):
            if only and only not in group:
                continue
            token = ctx["tokens"][user]
            measure(client, token, paths, 5, time_limit)  # warm-up, not counted
            before = cpu.snapshot()
            samples, errors, elapsed, failures = measure(client, token, paths, requests, time_limit)
            result = summarise(name, group, samples, errors, elapsed, "; ".join(failures))
            result.server_cpu_ms = cpu.per_request(before, len(samples) + errors)
            results.append(result)
            print(f"  {group:7} {name:42} p50 {result.p50_ms:7.1f}  p95 {result.p95_ms:7.1f}  max {result.max_ms:7.1f} ms"
                  f"  server CPU {result.server_cpu_ms} ms/req  ({result.requests} req, {errors} errors)", flush=True)
    return results


# Throughput of creates ---------------------------------------------------------------------------


def create_payload(ctx: dict, rng: random.Random, serial: int) -> dict:
    spec = rng.choice(V.SERVICES)
    code = spec[0]
    obj, sym = rng.choice(spec[6]), rng.choice(spec[7])
    english = rng.random() < 0.3
    title = f"{obj[1]} {sym[1]}" if english else f"{obj[0]}{sym[0]}"
    description = (f"Load test {serial}: the {obj[1]} {sym[1]}. {rng.choice(V.TRIED_EN)}" if english else
                   f"压力测试 {serial}：{obj[0]}{sym[0]}，{rng.choice(V.WHEN_ZH)}出现。{rng.choice(V.TRIED_ZH)}")
    return {
        "title": title, "description": description, "service": ctx["services"][code],
        "category": rng.choice(ctx["categories"][code]), "impact": rng.choice([2, 3, 3, 3]),
        "urgency": rng.choice([1, 2, 2, 3]), "requester": rng.choice(ctx["requesters"]), "channel": "phone",
    }


def run_creates(base: str, ctx: dict, threads: int, seconds: float, seed: int, cpu: ServerCpu) -> Result:
    token = ctx["tokens"]["bench_desk"]
    deadline = time.perf_counter() + seconds
    lock = threading.Lock()
    samples: list[float] = []
    failures: list[str] = []
    counts = {"errors": 0}

    def worker(index: int) -> None:
        rng = random.Random(seed * 1000 + index)
        headers = {"Authorization": f"Bearer {token}", "Accept-Language": "en"}
        serial = 0
        with httpx.Client(base_url=base, timeout=30.0, headers=headers) as client:
            while time.perf_counter() < deadline:
                serial += 1
                payload = create_payload(ctx, rng, index * 1_000_000 + serial)
                began = time.perf_counter()
                try:
                    response = client.post("/api/v1/incidents", json=payload)
                    ok = response.status_code == 201
                    detail = f"{response.status_code} {response.text[:120]}"
                except httpx.HTTPError as error:
                    ok, detail = False, repr(error)
                took = time.perf_counter() - began
                with lock:
                    if ok:
                        samples.append(took)
                    else:
                        counts["errors"] += 1
                        if len(failures) < 3:
                            failures.append(detail)

    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    server_before = cpu.snapshot()
    started = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(seconds + 60)
    elapsed = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    client_cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    note = f"{threads} client threads; load client used {client_cpu / elapsed:.0%} of one core"
    if failures:
        note += "; first errors: " + " | ".join(failures)
    result = summarise(f"POST /api/v1/incidents ({threads} threads, {seconds:.0f} s)", "create", samples,
                       counts["errors"], elapsed, note)
    result.server_cpu_ms = cpu.per_request(server_before, len(samples) + counts["errors"])
    print(f"  create  {result.scenario:42} {result.per_second:7.1f} req/s  p50 {result.p50_ms:.1f}  p95 {result.p95_ms:.1f}"
          f"  max {result.max_ms:.1f} ms  server CPU {result.server_cpu_ms} ms/req  ({result.requests} req, "
          f"{result.errors} errors; {note})", flush=True)
    return result


WRK_SCRIPT = BENCH / "create_wrk.lua"
WRK_PAYLOADS = 30_000


def run_wrk(base: str, token: str, payloads: Path, connections: int, seconds: int) -> dict:
    """Run wrk with ``create_wrk.lua``; the parsed WRK_RESULT line."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency",
               # wrk's default timeout is 2 s: a slower response would count as a socket error and as a response.
               "--timeout", "60s", "-s", str(WRK_SCRIPT), base]
    env = {**os.environ, "BENCH_PAYLOADS": str(payloads), "BENCH_TOKEN": token}
    done = subprocess.run(command, env=env, capture_output=True, timeout=seconds + 120)
    output = done.stdout.decode("utf-8", "replace")
    for line in output.splitlines():
        if line.startswith("WRK_RESULT "):
            return json.loads(line.removeprefix("WRK_RESULT "))
    sys.exit(f"wrk gave no WRK_RESULT line (exit {done.returncode}):\n{output}\n{done.stderr.decode('utf-8', 'replace')}")


def incidents_after(last_id: int, settle: float = 1.0, limit: float = 20.0) -> int:
    """Incidents with an id above ``last_id``, once the count has stopped growing for ``settle`` seconds.

    When wrk stops, the requests still in flight (up to one per connection, most of them waiting in
    gunicorn's listen queue) are served all the same: the database gets them, wrk never counts them.
    """
    from django.db import connection

    def count() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM incidents_incident WHERE id > %s", [last_id])
            return cursor.fetchone()[0]

    seen, since, deadline = count(), time.perf_counter(), time.perf_counter() + limit
    while time.perf_counter() < deadline:
        time.sleep(0.25)
        now = count()
        if now != seen:
            seen, since = now, time.perf_counter()
        elif time.perf_counter() - since >= settle:
            break
    return seen


def run_creates_wrk(base: str, ctx: dict, connections: int, seconds: float, seed: int, cpu: ServerCpu) -> Result:
    """Creates driven by wrk: the same payloads as ``run_creates``, without a Python client on the same cores."""
    from django.db import connection as db

    token = ctx["tokens"]["bench_desk"]
    seconds = max(1, round(seconds))
    connections = max(2, connections - connections % 2)  # wrk gives each of its 2 threads connections // 2
    rng = random.Random(seed)
    with db.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM incidents_incident")
        last_id = cursor.fetchone()[0]
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as folder:
        payloads = Path(folder) / "payloads.jsonl"
        with payloads.open("w", encoding="utf-8") as out:
            for serial in range(1, WRK_PAYLOADS + 1):
                out.write(json.dumps(create_payload(ctx, rng, serial), ensure_ascii=False) + "\n")
        children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        server_before = cpu.snapshot()
        started = time.perf_counter()
        wrk = run_wrk(base, token, payloads, connections, seconds)
        elapsed = time.perf_counter() - started
        children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    statuses = {int(status): count for status, count in wrk["status"].items()}
    created = statuses.get(201, 0)
    answered = sum(statuses.values())
    socket_errors = sum(wrk["socket_errors"].values())
    requests = answered + socket_errors
    # Read right after wrk's last counted response, like run_creates after its threads' last one.
    server_cpu = cpu.per_request(server_before, requests)
    stored = incidents_after(last_id)
    wrk_cpu = (children_after.ru_utime - children_before.ru_utime) + (children_after.ru_stime - children_before.ru_stime)
    note = (f"wrk, {connections} connections; wrk used {wrk_cpu / elapsed:.0%} of one core "
            f"({wrk_cpu * 1000 / max(requests, 1):.2f} ms/req with its start-up); p99 {wrk['p99_ms']} ms")
    if answered != wrk["requests"]:
        note += f"; wrk counted {wrk['requests']} responses, the script {answered}"
    if stored != created:
        note += f"; the database got {stored} incidents for {created} 201s (requests in flight when wrk stopped)"
    if socket_errors:
        note += f"; socket errors {wrk['socket_errors']}"
    if wrk["failures"]:
        note += "; first errors: " + " | ".join(f[:160] for f in wrk["failures"][:3])
    result = Result(
        scenario=f"POST /api/v1/incidents (wrk, {connections} connections, {seconds} s)", group="create",
        requests=requests, errors=requests - created, p50_ms=wrk["p50_ms"], p95_ms=wrk["p95_ms"],
        max_ms=wrk["max_ms"], per_second=round(created / wrk["duration_s"], 1) if wrk["duration_s"] else 0.0,
        server_cpu_ms=server_cpu, note=note,
    )
    print(f"  create  {result.scenario:42} {result.per_second:7.1f} req/s  p50 {result.p50_ms:.1f}  p95 {result.p95_ms:.1f}"
          f"  max {result.max_ms:.1f} ms  server CPU {result.server_cpu_ms} ms/req  ({result.requests} req, "
          f"{result.errors} errors; {note})", flush=True)
    return result


# Report ----------------------------------------------------------------------------------------

TARGETS = {"reference": ("p95_ms", float("inf")), "queue": ("p95_ms", 100.0), "list": ("p95_ms", 100.0), "search": ("p95_ms", 300.0), "create": ("per_second", 300.0)}


def verdict(result: Result) -> str:
    if result.group == "reference":
        return "-"
    metric, target = TARGETS[result.group]
    value = getattr(result, metric)
    ok = value >= target if metric == "per_second" else value < target
    if result.errors:
        ok = False
    return "ok" if ok else "MISS"


def table(results: list[Result]) -> str:
    lines = [
        "| group | scenario | requests | errors | p50 ms | p95 ms | max ms | req/s | server CPU ms/req | target | |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for r in results:
        metric, target = TARGETS[r.group]
        goal = f"≥ {target:.0f}/s" if metric == "per_second" else f"p95 < {target:.0f} ms"
        if r.group == "reference":
            goal = "(none)"
        lines.append(f"| {r.group} | {r.scenario} | {r.requests} | {r.errors} | {r.p50_ms} | {r.p95_ms} | {r.max_ms} "
                     f"| {r.per_second} | {r.server_cpu_ms} | {goal} | {verdict(r)} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", required=True, help="the server, e.g. http://127.0.0.1:8000")
    parser.add_argument("--requests", type=int, default=200, help="measured requests per latency scenario")
    parser.add_argument("--scenario-seconds", type=float, default=60, help="time limit per latency scenario")
    parser.add_argument("--create-threads", type=int, default=16, help="httpx threads (--create-client httpx)")
    parser.add_argument("--create-seconds", type=float, default=25)
    parser.add_argument("--create-client", choices=["wrk", "httpx"],
                        help="who posts the creates: wrk (the default when it is installed) or Python httpx threads")
    parser.add_argument("--create-connections", type=int, default=64, help="wrk's connections (--create-client wrk)")
    parser.add_argument("--only", choices=["reference", "queue", "list", "search", "create"], help="run one group only")
    parser.add_argument("--label", default="", help="a note on the server set-up, stored with the figures")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--server-pid", type=int, help="gunicorn's master process, to read the server's CPU time")
    args = parser.parse_args()
    if urlsplit(args.base).hostname not in ("127.0.0.1", "localhost"):
        sys.exit("The load clients only talk to a server on 127.0.0.1.")
    if args.create_client is None and args.only in (None, "create"):
        args.create_client = "wrk" if shutil.which("wrk") else "httpx"
        if args.create_client == "httpx":
            print("warning: wrk is not installed (apt-get install -y wrk): creates are posted by Python threads, "
                  "which spend CPU on the cores they measure", flush=True)
    elif args.create_client == "wrk" and not shutil.which("wrk"):
        sys.exit("--create-client wrk: wrk is not on the PATH (apt-get install -y wrk)")
    rng = random.Random(args.seed)
    load_before = os.getloadavg()
    ctx = prepare()
    cpu = ServerCpu(args.server_pid)
    print(f"data: {ctx['data']}", flush=True)
    results: list[Result] = []
    if args.only != "create":
        results += run_latency(args.base, ctx, args.requests, args.scenario_seconds, rng,
                               args.only if args.only else None, cpu)
    if args.only in (None, "create"):
        if args.create_client == "wrk":
            results.append(run_creates_wrk(args.base, ctx, args.create_connections, args.create_seconds, args.seed, cpu))
        else:
            results.append(run_creates(args.base, ctx, args.create_threads, args.create_seconds, args.seed, cpu))
    report = table(results)
    load_after = os.getloadavg()
    machine = (f"load average (1, 5, 15 min) at the start {load_before[0]:.1f} {load_before[1]:.1f} {load_before[2]:.1f}, "
               f"at the end {load_after[0]:.1f} {load_after[1]:.1f} {load_after[2]:.1f}")
    print()
    print(report)
    print(machine)
    OUT.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    payload = {
        "at": time.strftime("%Y-%m-%d %H:%M:%S %z"), "label": args.label, "base": args.base, "data": ctx["data"],
        "load_average": {"start": load_before, "end": load_after}, "results": [{k: v for k, v in asdict(r).items() if k != "samples"} for r in results],
    }
    (OUT / f"results-{stamp}.json").write_text(json.dumps(payload, ensure_ascii=False, indent=2))
    (OUT / f"results-{stamp}.md").write_text(f"{args.label}; {machine}\n\ndata: {ctx['data']}\n\n{report}\n")
    print(f"\nwritten to {OUT / f'results-{stamp}.md'}")


if __name__ == "__main__":
    main()
