"""The relation graph held in memory for impact analysis, reloaded when the CMDB changes.

Why: a core switch's failure reaches almost the whole estate (95,000 of 100,000 CIs through 380,000
relation ends in the benchmark). Any walk in the database touches every one of those rows, level by level
(a recursive CTE took 3.5 s, batched ``IN`` queries 7 s on the shared benchmark machine); the same walk over
compact arrays in memory takes a few tens of milliseconds. So each process keeps one snapshot:

- adjacency in both directions (a list indexed by CI id of neighbour tuples): “up” = where a failure
  travels (``rules.IMPACT_DIRECTION``), “down” = what a CI depends on;
- per CI: its organisation and application node; per CI: the services it supports.

Cost: on the benchmark (144,000 CIs, 300,000 relations) a snapshot takes about 50 MB per process
(130 MB at its peak while loading) and 3–5 s to load; the first impact read after a change pays the load.

Freshness: every write that changes what the snapshot holds (relations, a CI's creation, organisation,
application or services, an import) sets a new random token in ``core_number_sequence`` under
``cmdb.graph`` inside its transaction; a reader compares the committed token with its snapshot's (one
primary-key read) and reloads when they differ. Random, not a counter: a rolled-back transaction (a test)
must never leave a token that a later, different state reuses.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import chain

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


def _adjacency(size: int, pairs: list[tuple[int, int]]) -> list[tuple[int, ...]]:
    """``adj[i]`` = the neighbours of CI ``i`` (a tuple; the shared empty tuple for most leaves)."""
    lists: dict[int, list[int]] = {}
    for src, dst in pairs:
        lists.setdefault(src, []).append(dst)
    adjacency: list[tuple[int, ...]] = [()] * size
    for src, neighbours in lists.items():
        adjacency[src] = tuple(neighbours)
    return adjacency


@dataclass
class Reach:
    """The CIs a walk reached, level by level (``levels[0]`` = the start)."""

    levels: list[set[int]]
    seen: set[int]
    back: list[tuple[int, ...]]  # the opposite adjacency, to name the CI a failure came through

    def depth_of(self, ci_id: int) -> int | None:
        return next((depth for depth, level in enumerate(self.levels) if ci_id in level), None)

    def via_of(self, ci_id: int) -> int | None:
        depth = self.depth_of(ci_id)
        if not depth:
            return None
        previous = self.levels[depth - 1]
        candidates = [n for n in (self.back[ci_id] if ci_id < len(self.back) else ()) if n in previous]
        return min(candidates) if candidates else None

    def nearest(self, wanted, limit: int) -> list[int]:
        """Up to ``limit`` reached CIs (not the start) for which ``wanted(id)`` holds, nearest first, then by id."""
        found: list[int] = []
        for level in self.levels[1:]:
            if len(found) >= limit:
                break
            found.extend(cid for cid in sorted(level) if wanted(cid))
        return found[:limit]

    def as_dict(self) -> dict[int, tuple[int, int | None]]:
        return {cid: (depth, self.via_of(cid) if depth else None)
                for depth, level in enumerate(self.levels) for cid in level}


@dataclass
class GraphSnapshot:
    token: int
    size: int
    up: list[tuple[int, ...]]
    down: list[tuple[int, ...]]
    organisation: list[int]
    application: list[int]
    services: dict[int, tuple[int, ...]] = field(default_factory=dict)
    condensed: Condensed | None = None

    def impacted(self, start: int) -> Iterable[int]:
        """Every CI a failure of ``start`` reaches (itself included), through the condensed graph."""
        if not 0 <= start < self.size or self.condensed is None:
            return [start]
        members = self.condensed.members
        return chain.from_iterable(map(members.__getitem__, self.condensed.reach(start)))

    def bounded_walk(self, start: int, enough) -> Reach:
        """Breadth first, stopping after the first level at which ``enough(found)`` holds (for display)."""
        first = {start}
        seen = set(first)
        levels = [first]
        frontier = [start] if 0 <= start < self.size else []
        adjacency = self.up
        while frontier and not enough(levels):
            reached = set(chain.from_iterable(map(adjacency.__getitem__, frontier)))
            reached -= seen
            if not reached:
                break
            seen |= reached
            levels.append(reached)
            frontier = list(reached)
        return Reach(levels=levels, seen=seen, back=self.down)

    def walk(self, start: Iterable[int], *, downward: bool = False, max_depth: int | None = None) -> Reach:
        """Breadth first from ``start``; each CI is taken once, so cycles end the walk. Each level is one
        set operation over the neighbours' tuples (C speed: no Python loop per relation)."""
        adjacency, back = (self.down, self.up) if downward else (self.up, self.down)
        first = set(start)
        seen = set(first)
        levels = [first]
        frontier = [i for i in first if 0 <= i < self.size]
        while frontier and (max_depth is None or len(levels) <= max_depth):
            reached = set(chain.from_iterable(map(adjacency.__getitem__, frontier)))
            reached -= seen
            if not reached:
                break
            seen |= reached
            levels.append(reached)
            frontier = list(reached)
        return Reach(levels=levels, seen=seen, back=back)


def _components(size: int, adjacency: list[tuple[int, ...]]) -> tuple[list[int], int]:
    """Strongly connected components (iterative Tarjan): ``comp[i]`` for every CI id, and their number.

    CIs that reach each other (a switch and everything “connected to” it, cyclic dependencies) fail together,
    so impact analysis walks components instead of CIs: the giant network component's internal relations
    are never walked again.
    """
    index = [0] * size
    low = [0] * size
    comp = [-1] * size
    on_stack = bytearray(size)
    stack: list[int] = []
    counter = 1
    count = 0
    for root in range(size):
        if index[root]:
            continue
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack[root] = 1
        work = [(root, 0)]
        while work:
            node, position = work[-1]
            neighbours = adjacency[node]
            if position < len(neighbours):
                work[-1] = (node, position + 1)
                nxt = neighbours[position]
                if not index[nxt]:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack[nxt] = 1
                    work.append((nxt, 0))
                elif on_stack[nxt] and index[nxt] < low[node]:
                    low[node] = index[nxt]
                continue
            work.pop()
            if work and low[node] < low[work[-1][0]]:
                low[work[-1][0]] = low[node]
            if low[node] == index[node]:
                while True:
                    member = stack.pop()
                    on_stack[member] = 0
                    comp[member] = count
                    if member == node:
                        break
                count += 1
    return comp, count


@dataclass
class Condensed:
    """The upward graph with each strongly connected component as one node, and what each component holds."""

    comp: list[int]
    successors: list[tuple[int, ...]]
    members: list[tuple[int, ...]]

    def reach(self, start: int) -> set[int]:
        """The components a failure of CI ``start`` reaches (its own included)."""
        first = self.comp[start]
        seen = {first}
        frontier = [first]
        successors = self.successors
        while frontier:
            reached = set(chain.from_iterable(map(successors.__getitem__, frontier)))
            reached -= seen
            seen |= reached
            frontier = list(reached)
        return seen


def _condense(size: int, adjacency: list[tuple[int, ...]]) -> Condensed:
    comp, count = _components(size, adjacency)
    successors: list[set[int]] = [set() for _ in range(count)]
    members: list[list[int]] = [[] for _ in range(count)]
    for node in range(size):
        own = comp[node]
        members[own].append(node)
        for nxt in adjacency[node]:
            other = comp[nxt]
            if other != own:
                successors[own].add(other)
    return Condensed(comp=comp, successors=[tuple(x) for x in successors], members=[tuple(x) for x in members])


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
    up_adjacency, down_adjacency = _adjacency(size, up), _adjacency(size, down)
    organisation = [0] * size
    application = [0] * size
    for ci_id, org_id, app_id in ConfigurationItem.objects.values_list("id", "organisation_id", "application_id") \
            .iterator(chunk_size=20000):
        organisation[ci_id] = org_id
        if app_id:
            application[ci_id] = app_id
    services: dict[int, list[int]] = {}
    for ci_id, service_id in CIService.objects.values_list("ci_id", "service_id").iterator(chunk_size=20000):
        services.setdefault(ci_id, []).append(service_id)
    return GraphSnapshot(token=token, size=size, up=up_adjacency, down=down_adjacency, organisation=organisation,
                         application=application, services={k: tuple(v) for k, v in services.items()},
                         condensed=_condense(size, up_adjacency))


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
