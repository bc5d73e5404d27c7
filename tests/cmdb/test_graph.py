"""The in-memory relation graph: components agree with a plain walk, and writes make readers reload."""

from __future__ import annotations

import random

from opsdesk.cmdb import graph, selectors, services
from opsdesk.cmdb.graph import GraphSnapshot, _adjacency, _condense


def test_the_condensed_walk_reaches_exactly_what_a_plain_walk_reaches_on_random_cyclic_graphs():
    rng = random.Random(7)
    for _ in range(20):
        size = 120
        pairs = [(rng.randrange(size), rng.randrange(size)) for _ in range(rng.randrange(50, 300))]
        pairs = [(a, b) for a, b in pairs if a != b]
        up = _adjacency(size, pairs)
        down = _adjacency(size, [(b, a) for a, b in pairs])
        snap = GraphSnapshot(token=1, size=size, up=up, down=down, organisation=[1] * size, application=[0] * size,
                             condensed=_condense(size, up))
        for start in range(0, size, 7):
            assert set(snap.impacted(start)) == snap.walk([start]).seen


def test_a_relation_written_is_seen_by_the_next_impact(cmdb):
    a = cmdb.ci("network_device", "sw-a")
    b = cmdb.ci("server", "srv-b")
    before = graph.snapshot()
    assert b.pk not in set(before.impacted(a.pk))
    cmdb.relate(b, "connected_to", a)
    after = graph.snapshot()
    assert after is not before and b.pk in set(after.impacted(a.pk))
    assert [i.ci for i in selectors.impact_of(user=cmdb.world.admin, ci=a).cis] == [b]


def _same_graph(incremental: GraphSnapshot, fresh: GraphSnapshot) -> None:
    assert incremental.size == fresh.size
    for ci_id in range(fresh.size):
        assert sorted(incremental.up[ci_id]) == sorted(fresh.up[ci_id]), ci_id
        assert sorted(incremental.down[ci_id]) == sorted(fresh.down[ci_id]), ci_id
        assert set(incremental.impacted(ci_id)) == set(fresh.impacted(ci_id)) == fresh.walk([ci_id]).seen, ci_id
    assert incremental.organisation == fresh.organisation
    assert incremental.application == fresh.application
    assert {k: sorted(v) for k, v in incremental.services.items()} == {k: sorted(v) for k, v in fresh.services.items()}


def test_writes_update_a_loaded_graph_in_place_and_it_equals_a_fresh_load(cmdb, world, monkeypatch):
    """Random relates, unrelates, new CIs and moves, each followed by an impact read: the graph is never
    reloaded nor its components recomputed whole, and after every step it is exactly what a full load gives
    (cycles made and broken included)."""
    from opsdesk.cmdb.models import Relation
    from opsdesk.core.errors import Conflict, ValidationFailed

    rng = random.Random(11)
    kinds = {("hardware", "hardware"): ["depends_on", "connected_to", "part_of", "backs_up"],
             ("software", "software"): ["runs_on", "depends_on", "part_of", "backs_up"],
             ("software", "hardware"): ["runs_on"]}
    family = {"server": "hardware", "network_device": "hardware", "application": "software", "database": "software"}
    cis = [cmdb.ci(code, f"{code}-{i}") for i, code in enumerate(rng.choice(list(family)) for _ in range(14))]
    graph.snapshot()
    loads = []
    real_load = graph._load
    monkeypatch.setattr(graph, "_load", lambda token: loads.append(token) or real_load(token))
    condensations = []
    real_condense = graph._condense
    monkeypatch.setattr(graph, "_condense", lambda *args: condensations.append(1) or real_condense(*args))
    seen = {"related": 0, "unrelated": 0, "cycle": 0}
    for step in range(70):
        roll = rng.random()
        if roll < 0.55:
            source, target = rng.sample(cis, 2)
            pair = (family[source.ci_class.code], family[target.ci_class.code])
            if pair not in kinds:
                continue
            try:
                cmdb.relate(source, rng.choice(kinds[pair]), target)
            except (Conflict, ValidationFailed):
                continue
            seen["related"] += 1
        elif roll < 0.85:
            relation = Relation.objects.order_by("?").first()
            if relation is None:
                continue
            services.relation_delete(actor=world.admin, relation=relation)
            seen["unrelated"] += 1
        elif roll < 0.93:
            code = rng.choice(list(family))
            cis.append(cmdb.ci(code, f"{code}-new-{step}"))
        else:
            ci = rng.choice(cis)
            services.ci_update(actor=world.admin, ci=ci, organisation=rng.choice([world.city_a, world.city_b]),
                               services=rng.sample([world.production, world.erp], rng.randrange(3)))
        current = graph.snapshot()
        checked = len(condensations)
        _same_graph(current, real_load(graph.current_token()))
        del condensations[checked:]  # the fresh load's own
        seen["cycle"] += any(len(members) > 1 for members in current.condensed.members)
    assert loads == [], "no write made a reader reload the whole graph"
    assert condensations == [], "cycles made and broken were merged and split in place"
    assert min(seen.values()) >= 10, seen


def test_a_rolled_back_change_is_never_mistaken_for_a_later_one(cmdb, world):
    from django.db import transaction

    a = cmdb.ci("network_device", "sw-a")
    b = cmdb.ci("server", "srv-b")
    c = cmdb.ci("server", "srv-c")
    graph.snapshot()
    with transaction.atomic():
        sid = transaction.savepoint()
        cmdb.relate(b, "connected_to", a)
        assert b.pk in set(graph.snapshot().impacted(a.pk))  # read inside the transaction that rolls back
        transaction.savepoint_rollback(sid)
    cmdb.relate(c, "connected_to", a)  # the same generation number again, another change
    after = set(graph.snapshot().impacted(a.pk))
    assert c.pk in after and b.pk not in after


def test_a_full_change_makes_readers_reload(cmdb):
    a = cmdb.ci("network_device", "sw-a")
    before = graph.snapshot()
    graph.touch(full=True)
    after = graph.snapshot()
    assert after is not before and after.token != before.token and a.pk < after.size
