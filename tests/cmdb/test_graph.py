"""The in-memory relation graph: components agree with a plain walk, and writes make readers reload."""

from __future__ import annotations

import random

from opsdesk.cmdb import graph, selectors
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
