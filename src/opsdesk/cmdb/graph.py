"""The relation graph held in memory for impact analysis, reloaded when the CMDB changes.

Why: a core switch's failure reaches almost the whole estate (95,000 of 100,000 CIs through 380,000
relation ends in the benchmark). Any walk in the database touches every one of those rows, level by level
(a recursive CTE took 3.5 s, batched ``IN`` queries 7 s on the shared benchmark machine); the same walk over
compact arrays in memory takes a few tens of milliseconds. So each process keeps one snapshot:

- adjacency in both directions as CSR arrays (``array('l')``: offsets indexed by CI id, then neighbours),
  “up” = where a failure travels (``rules.IMPACT_DIRECTION``), “down” = what a CI depends on;
- per CI: its organisation and application node; per CI: the services it supports.

Freshness: every write that changes what the snapshot holds (relations, a CI's creation, organisation,
application or services, an import) sets a new random token in ``core_number_sequence`` under
``cmdb.graph`` inside its transaction; a reader compares the committed token with its snapshot's (one
primary-key read) and reloads when they differ. Random, not a counter: a rolled-back transaction (a test)
must never leave a token that a later, different state reuses.
"""

from __future__ import annotations

import random
import threading
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection

from . import rules

TOKEN_KEY = "cmdb.graph"
_lock = threading.Lock()
_snapshots: dict[str, GraphSnapshot] = {}


def touch() -> None:
    """Mark the graph changed (call inside the writing transaction)."""
    token = random.randint(1, 2**31 - 1)  # noqa: S311 - a change marker, not a secret
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO core_number_sequence (key, last_value) VALUES (%s, %s) "
            "ON CONFLICT (key) DO UPDATE SET last_value = excluded.last_value",
            [TOKEN_KEY, token],
        )


def current_token() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_value FROM core_number_sequence WHERE key = %s", [TOKEN_KEY])
        row = cursor.fetchone()
    return row[0] if row else 0


def _csr(size: int, pairs: list[tuple[int, int]]) -> tuple[array, array]:
    """Offsets (``size + 1``) and neighbours so that ``to[off[i]:off[i + 1]]`` are i's neighbours."""
    counts = array("l", [0]) * (size + 1)
    for src, _dst in pairs:
        counts[src + 1] += 1
    for i in range(1, size + 1):
        counts[i] += counts[i - 1]
    offsets = array("l", counts)
    fill = array("l", counts)
    to = array("l", [0]) * len(pairs)
    for src, dst in pairs:
        to[fill[src]] = dst
        fill[src] += 1
    return offsets, to


@dataclass
class GraphSnapshot:
    token: int
    size: int
    up_off: array
    up_to: array
    down_off: array
    down_to: array
    organisation: array
    application: array
    services: dict[int, tuple[int, ...]] = field(default_factory=dict)

    def walk(self, start: Iterable[int], *, downward: bool = False,
             max_depth: int | None = None) -> dict[int, tuple[int, int | None]]:
        """Breadth first from ``start``: ``{ci id: (depth, reached from)}``; each CI once, so cycles end it."""
        off, to = (self.down_off, self.down_to) if downward else (self.up_off, self.up_to)
        size = self.size
        seen: dict[int, tuple[int, int | None]] = {i: (0, None) for i in start}
        frontier = [i for i in seen if 0 <= i < size]
        depth = 0
        while frontier and (max_depth is None or depth < max_depth):
            depth += 1
            following = []
            for node in frontier:
                for neighbour in to[off[node]:off[node + 1]]:
                    if neighbour not in seen:
                        seen[neighbour] = (depth, node)
                        following.append(neighbour)
            frontier = following
        return seen


def _load(token: int) -> GraphSnapshot:
    from .models import CIService, ConfigurationItem, Relation

    towards_source = set(rules.kinds_towards_source())
    towards_target = set(rules.kinds_towards_target())
    max_id = ConfigurationItem.objects.order_by("-id").values_list("id", flat=True).first() or 0
    size = max_id + 1
    up: list[tuple[int, int]] = []
    down: list[tuple[int, int]] = []
    for source, target, kind in Relation.objects.values_list("source_id", "target_id", "kind").iterator(chunk_size=20000):
        if kind in towards_source:  # the target's failure reaches the source
            up.append((target, source))
            down.append((source, target))
        if kind in towards_target:  # the source's failure reaches the target
            up.append((source, target))
            down.append((target, source))
    up_off, up_to = _csr(size, up)
    down_off, down_to = _csr(size, down)
    organisation = array("l", [0]) * size
    application = array("l", [0]) * size
    for ci_id, org_id, app_id in ConfigurationItem.objects.values_list("id", "organisation_id", "application_id") \
            .iterator(chunk_size=20000):
        organisation[ci_id] = org_id
        if app_id:
            application[ci_id] = app_id
    services: dict[int, list[int]] = {}
    for ci_id, service_id in CIService.objects.values_list("ci_id", "service_id").iterator(chunk_size=20000):
        services.setdefault(ci_id, []).append(service_id)
    return GraphSnapshot(token=token, size=size, up_off=up_off, up_to=up_to, down_off=down_off, down_to=down_to,
                         organisation=organisation, application=application,
                         services={k: tuple(v) for k, v in services.items()})


def snapshot() -> GraphSnapshot:
    """The current graph (reloaded when a committed write changed it since this process loaded it)."""
    token = current_token()
    alias = connection.settings_dict.get("NAME", "") or connection.alias
    cached = _snapshots.get(alias)
    if cached is not None and cached.token == token:
        return cached
    with _lock:
        cached = _snapshots.get(alias)
        if cached is not None and cached.token == token:
            return cached
        fresh = _load(token)
        _snapshots[alias] = fresh
        return fresh
