"""Benchmark: the system operation map (信息系统运行图) of a 500-node system.

Seeds one system into a scratch database (SQLite in a temporary data directory, or the database of
OPSDESK_DATABASE_URL when set — use a database of your own): a service, its application and subsystems,
middleware, databases, servers, cables, access/core switches, firewalls, storage and cabinets — 500 CIs
and their relations — with open incidents on some of them. Then measures

1. the JSON of the map (the view ``cmdb/maps/operation/data/?service=…`` through Django's test client:
   the graph walk, the incident counts and the serialisation), median and worst of ``--runs``;
2. in Chromium (Playwright, Debian's /usr/bin/chromium) against a local server on 127.0.0.1: the map
   page opened until its first frame is painted — the data fetched, the layout computed, the canvas drawn
   (the page's own ``data-fetch-ms`` and ``data-render-ms``, and the wall time from navigation).

    .venv/bin/python bench/cmdb_map.py [--runs 10] [--nodes 500]

The target (issue 4): the map of a 500-node system renders in under a second.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
if not os.environ.get("OPSDESK_DATABASE_URL"):
    os.environ["OPSDESK_DATA_DIR"] = tempfile.mkdtemp(prefix="opsdesk-bench-map-")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsdesk.config.settings")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from opsdesk.accounts import services as accounts  # noqa: E402
from opsdesk.accounts.models import User  # noqa: E402
from opsdesk.accounts.roles import Role  # noqa: E402
from opsdesk.catalog.models import Service  # noqa: E402
from opsdesk.cmdb.defaults import install_standard_classes  # noqa: E402
from opsdesk.cmdb.models import ConfigurationItem, IncidentCI, Relation  # noqa: E402
from opsdesk.core import clock  # noqa: E402
from opsdesk.incidents import services as incidents  # noqa: E402

CHROMIUM = os.environ.get("OPSDESK_CHROMIUM", "/usr/bin/chromium")


def seed(total: int) -> tuple[Service, User]:
    """One system of ``total`` CIs (bulk inserts: the benchmark measures the map, not the registration)."""
    call_command("migrate", verbosity=0)
    if ConfigurationItem.objects.filter(name="bench-map-app").exists():
        return Service.objects.get(code="bench-map"), User.objects.get(username="bench_map_admin")
    org = accounts.organisation_create(name="基准总部", code="bench-map-hq", level="headquarters")
    admin = accounts.user_create(username="bench_map_admin", password=None, organisation=org,
                                 display_name="bench", roles=(Role.ADMINISTRATOR,), is_superuser=True)
    requester = accounts.user_create(username="bench_map_requester", password=None, organisation=org,
                                     display_name="requester", roles=(Role.REQUESTER,))
    classes = install_standard_classes(actor=admin)
    service = Service.objects.create(code="bench-map", name="基准系统", kind="production")
    now = clock.now()

    made: list[ConfigurationItem] = []

    def ci(class_code: str, name: str) -> ConfigurationItem:
        item = ConfigurationItem(name=name, ci_class=classes[class_code], organisation=org, state="in_use",
                                 created_at=now, updated_at=now, attributes={})
        made.append(item)
        return item

    app = ci("application", "bench-map-app")
    cores = [ci("network_device", f"core-{i}") for i in range(4)]
    firewalls = [ci("network_device", f"fw-{i}") for i in range(4)]
    cabinets = [ci("cabinet", f"rack-{i:02d}") for i in range(20)]
    storages = [ci("storage", f"storage-{i}") for i in range(2)]
    subsystems = [ci("subsystem", f"sub-{i}") for i in range(9)]
    databases = [ci("database", f"db-{i}") for i in range(10)]
    access = [ci("network_device", f"acc-{i:02d}") for i in range(40)]
    middleware = [ci("middleware", f"mw-{i:02d}") for i in range(60)]
    fixed = len(made)
    servers_count = (total - fixed) // 2 + (total - fixed) % 2
    servers = [ci("server", f"srv-{i:03d}") for i in range(servers_count)]
    cables = [ci("cable", f"cable-{i:03d}") for i in range(total - fixed - servers_count)]
    ConfigurationItem.objects.bulk_create(made, batch_size=500)
    ids = {item.name: item.pk for item in ConfigurationItem.objects.filter(organisation=org)}

    def pk(item: ConfigurationItem) -> int:
        return ids[item.name]

    relations: set[tuple[int, int, str]] = set()

    def rel(source: ConfigurationItem, kind: str, target: ConfigurationItem) -> None:
        relations.add((pk(source), pk(target), kind))

    for sub in subsystems:
        rel(sub, "part_of", app)
    for index, mw in enumerate(middleware):
        rel(app, "runs_on", mw)
        rel(mw, "depends_on", databases[index % len(databases)])
    for index, server in enumerate(servers[: len(servers) - len(databases)]):
        rel(middleware[index % len(middleware)], "runs_on", server)  # clusters of a few servers per middleware
    for index, db in enumerate(databases):
        rel(app, "depends_on", db)
        rel(db, "runs_on", servers[-1 - index])
    for index, server in enumerate(servers):
        rel(server, "part_of", cabinets[index % len(cabinets)])
        if index < len(cables):
            rel(server, "connected_to", cables[index])
            rel(cables[index], "connected_to", access[index % len(access)])
        else:
            rel(server, "connected_to", access[index % len(access)])
        if index % 10 == 0:
            rel(server, "depends_on", storages[index % 2])
    for index, switch in enumerate(access):
        rel(switch, "connected_to", cores[index % len(cores)])
        rel(switch, "connected_to", cores[(index + 1) % len(cores)])
    for core, firewall in zip(cores, firewalls, strict=True):
        rel(core, "connected_to", firewall)
    Relation.objects.bulk_create([Relation(source_id=s, target_id=t, kind=k, created_at=now)
                                  for s, t, k in relations], batch_size=1000)
    from opsdesk.cmdb import services as cmdb_services

    cmdb_services.ci_update(actor=admin, ci=pk(app), services=[service])
    for index in range(25):  # open incidents on some servers
        incident = incidents.incident_create(actor=requester, title=f"bench {index}", description="bench",
                                             service=service)
        IncidentCI.objects.create(incident=incident, ci_id=pk(servers[index * 7 % len(servers)]), added_at=now)
    return service, admin


def measure_json(client: Client, url: str, runs: int) -> tuple[dict, list[float]]:
    data = client.get(url).json()  # warm up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        response.json()
        times.append((time.perf_counter() - started) * 1000)
    return data, times


def serve() -> str:
    """The app (with its static files) on a free port of 127.0.0.1, in a thread."""
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = ThreadedWSGIServer(("127.0.0.1", 0), Quiet, allow_reuse_address=True)
    server.set_app(StaticFilesHandler(WSGIHandler()))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}"


def measure_browser(base: str, session_cookie: str, path: str, runs: int) -> list[dict]:
    from playwright.sync_api import sync_playwright

    results = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        context = browser.new_context(viewport={"width": 1600, "height": 1000})
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session_cookie, "url": base}])
        page = context.new_page()
        for run in range(runs + 1):
            started = time.perf_counter()
            page.goto(base + path)
            page.wait_for_selector("[data-cmdb-map][data-rendered=true]", state="attached", timeout=30000)
            wall = (time.perf_counter() - started) * 1000
            figures = page.evaluate("""() => {
                const el = document.querySelector('[data-cmdb-map]');
                const nav = performance.getEntriesByType('navigation')[0];
                return {nodes: window.opsdeskMap.nodes().length, edges: window.opsdeskMap.edges().length,
                        marked: window.opsdeskMap.nodes('.incident').length,
                        fetch_ms: +el.dataset.fetchMs, render_ms: +el.dataset.renderMs,
                        page_to_painted_ms: Math.round(performance.now() - (nav ? nav.startTime : 0)),
                        ...Object.fromEntries(['init', 'layout', 'filters', 'painted'].map((name, i, all) => {
                            const at = n => performance.getEntriesByName('cmdb-map:' + n).slice(-1)[0].startTime;
                            return [name + '_ms', Math.round(at(name) - at(i ? all[i - 1] : 'start'))];
                        }))};
            }""")
            figures["wall_ms"] = round(wall)
            if run:  # the first run warms the browser's caches
                results.append(figures)
        page.screenshot(path=os.path.join(tempfile.gettempdir(), "cmdb-map-bench.png"))
        browser.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--nodes", type=int, default=500)
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()
    started = time.perf_counter()
    service, admin = seed(args.nodes)
    print(f"database: {connection.vendor}; seeded in {time.perf_counter() - started:.1f} s")
    client = Client()
    client.force_login(admin)
    url = reverse("ui:cmdb_map_operation_data") + f"?service={service.pk}"
    data, times = measure_json(client, url, args.runs)
    if os.environ.get("BENCH_DUMP_JSON"):
        Path(os.environ["BENCH_DUMP_JSON"]).write_text(client.get(url).content.decode())
    marked = sum(1 for node in data["nodes"] if node.get("incidents"))
    print(f"map JSON: {len(data['nodes'])} nodes, {len(data['edges'])} edges, {marked} with open incidents; "
          f"median {statistics.median(times):.0f} ms, worst {max(times):.0f} ms over {args.runs} runs")
    if args.no_browser:
        return
    base = serve()
    path = reverse("ui:cmdb_map_operation") + f"?service={service.pk}"
    results = measure_browser(base, client.cookies[settings.SESSION_COOKIE_NAME].value, path, args.runs)
    first = results[0]
    print(f"browser: {first['nodes']} nodes, {first['edges']} edges drawn, {first['marked']} marked")
    for key in ("fetch_ms", "render_ms", "init_ms", "layout_ms", "filters_ms", "painted_ms", "page_to_painted_ms",
                "wall_ms"):
        values = [r[key] for r in results]
        print(f"  {key:>20}: median {statistics.median(values):.0f}, worst {max(values):.0f} (over {len(values)})")
    print("  fetch_ms: the map's JSON requested and parsed; render_ms: elements, layout and first painted frame;"
          " page_to_painted_ms: from navigation start to the painted map")


if __name__ == "__main__":
    main()
