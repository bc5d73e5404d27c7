"""Relations: rules per class pair with inheritance, no self-relations, no duplicates."""

from __future__ import annotations

import pytest

from opsdesk.cmdb import selectors, services
from opsdesk.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed


def test_a_rule_for_a_parent_class_allows_its_subclasses(cmdb):
    app = cmdb.ci("application", "erp")
    server = cmdb.ci("server", "srv-01")
    relation = cmdb.relate(app, "runs_on", server)  # rule: software runs on hardware
    assert relation.source == app and relation.target == server


def test_a_pair_no_rule_allows_is_refused_with_the_classes_named(cmdb):
    app = cmdb.ci("application", "erp")
    server = cmdb.ci("server", "srv-01")
    with pytest.raises(ValidationFailed) as excinfo:
        cmdb.relate(server, "runs_on", app)
    assert "Server" in excinfo.value.field_errors["kind"][0]


def test_no_self_relation_and_no_duplicates_including_reverse_connected_to(cmdb):
    a = cmdb.ci("network_device", "sw-a")
    b = cmdb.ci("network_device", "sw-b")
    with pytest.raises(ValidationFailed):
        cmdb.relate(a, "connected_to", a)
    cmdb.relate(a, "connected_to", b)
    with pytest.raises(Conflict):
        cmdb.relate(a, "connected_to", b)
    with pytest.raises(Conflict):
        cmdb.relate(b, "connected_to", a)
    cmdb.relate(b, "depends_on", a)  # another kind is another relation


def test_relations_are_history_on_both_cis_and_can_be_removed(cmdb, world):
    app = cmdb.ci("application", "erp")
    server = cmdb.ci("server", "srv-01")
    relation = cmdb.relate(app, "runs_on", server)
    assert [v.other for v in selectors.ci_relations(user=world.l1, ci=server)] == [app]
    services.relation_delete(actor=world.l1, relation=relation)
    assert selectors.ci_relations(user=world.l1, ci=server) == []
    assert [e.action for e in selectors.ci_timeline(user=world.l1, ci=server)][-2:] == ["ci.related", "ci.unrelated"]


def test_relating_needs_write_on_the_source_and_sight_of_the_target(cmdb, world):
    mine = cmdb.ci("application", "a-app")
    theirs = cmdb.ci("server", "b-srv", org=world.city_b)
    with pytest.raises(NotFound):
        cmdb.relate(mine, "runs_on", theirs, actor=world.l1)
    with pytest.raises(PermissionDenied):
        cmdb.relate(mine, "runs_on", cmdb.ci("server", "a-srv"), actor=world.auditor)


def test_only_administrators_change_rules(cmdb, world):
    with pytest.raises(PermissionDenied):
        services.relation_rule_add(actor=world.l1, kind="runs_on", source_class=cmdb.classes["server"],
                                   target_class=cmdb.classes["application"])
    services.relation_rule_add(actor=world.admin, kind="runs_on", source_class=cmdb.classes["server"],
                               target_class=cmdb.classes["application"])
    cmdb.relate(cmdb.ci("server", "s"), "runs_on", cmdb.ci("application", "a"))
