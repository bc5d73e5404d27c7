"""Impact analysis: directions per kind, cycles, symmetric connected-to, catalogue, users, incidents, scope."""

from __future__ import annotations

import pytest

from opsdesk.catalog.models import ApplicationNode
from opsdesk.cmdb import selectors, services
from opsdesk.cmdb.selectors import impacted_ci_ids
from opsdesk.core.errors import NotFound, PermissionDenied
from opsdesk.incidents import services as incidents


@pytest.fixture
def estate(cmdb, world):
    """core-sw ⇄ access-sw (connected) ← srv (connected); app runs on srv; db runs on srv; app depends on db;
    a cycle: db depends on app-cache, app-cache depends on app."""
    s = type("Estate", (), {})()
    s.core = cmdb.ci("network_device", "core-sw", org=world.province)
    s.access = cmdb.ci("network_device", "access-sw")
    s.srv = cmdb.ci("server", "srv-01")
    s.app = cmdb.ci("application", "erp-app", services=[world.erp])
    s.db = cmdb.ci("database", "erp-db")
    s.cache = cmdb.ci("middleware", "app-cache")
    s.other = cmdb.ci("server", "unrelated")
    cmdb.relate(s.access, "connected_to", s.core)
    cmdb.relate(s.srv, "connected_to", s.access)
    cmdb.relate(s.app, "runs_on", s.srv)
    cmdb.relate(s.db, "runs_on", s.srv)
    cmdb.relate(s.app, "depends_on", s.db)
    cmdb.relate(s.db, "depends_on", s.cache)
    cmdb.relate(s.cache, "depends_on", s.app)
    return s


def test_a_failure_travels_against_runs_on_and_depends_on_and_both_ways_on_connected_to(estate):
    reached = impacted_ci_ids([estate.core.pk])
    assert set(reached) == {estate.core.pk, estate.access.pk, estate.srv.pk, estate.app.pk, estate.db.pk,
                            estate.cache.pk}
    assert reached[estate.access.pk][0] == 1 and reached[estate.srv.pk][0] == 2
    # Connected-to is symmetric: the access switch's failure reaches the core switch too.
    assert estate.core.pk in impacted_ci_ids([estate.access.pk])
    # A failing application does not take its server down.
    assert estate.srv.pk not in impacted_ci_ids([estate.app.pk])


def test_impact_terminates_on_a_cycle_and_visits_each_ci_once(estate):
    reached = impacted_ci_ids([estate.app.pk])  # app → cache → db → app (cycle)
    assert set(reached) == {estate.app.pk, estate.cache.pk, estate.db.pk}
    assert reached[estate.db.pk] == (2, estate.cache.pk)


def test_part_of_and_backs_up_carry_the_failure_to_the_whole_and_the_protected(cmdb, world):
    cabinet = cmdb.ci("cabinet", "rack-1")
    srv = cmdb.ci("server", "srv-1")
    backup = cmdb.ci("storage", "backup-1")
    cmdb.relate(srv, "part_of", cabinet)
    cmdb.relate(backup, "backs_up", srv)
    assert set(impacted_ci_ids([srv.pk])) == {srv.pk, cabinet.pk}
    assert srv.pk in impacted_ci_ids([backup.pk])


def test_impact_reaches_services_applications_organisations_users_and_open_incidents(estate, cmdb, world):
    system = ApplicationNode.objects.create(level="system", code="pms", name="生产管理系统", organisation=world.province)
    module = ApplicationNode.objects.create(level="subsystem", code="pms-dispatch", name="调度", parent=system)
    world.production.application = system
    world.production.save()
    services.ci_update(actor=world.admin, ci=estate.cache, application=module)
    incident = incidents.incident_create(actor=world.l1, title="ERP slow", description="slow", service=world.erp)
    services.incident_cis_add(actor=world.desk, incident=incident, cis=[estate.db])

    impact = selectors.impact_of(user=world.l2, ci=estate.core)
    assert [i.ci.name for i in impact.cis][:1] == ["access-sw"]
    assert {i.ci.pk for i in impact.cis} == {estate.access.pk, estate.srv.pk, estate.app.pk, estate.db.pk,
                                             estate.cache.pk}
    assert {s.code for s in impact.services} == {"erp", "pms"}
    assert {a.code for a in impact.applications} == {"pms", "pms-dispatch"}
    assert {o.code for o in impact.organisations} == {"prov", "city-a", "city-b"}
    assert impact.user_count > 0
    assert impact.open_incidents == [incident]
    assert selectors.open_incidents_touching(user=world.l2, ci=estate.srv) == [incident]
    assert selectors.open_incidents_touching(user=world.l2, ci=estate.other) == []
    users, _cursor = selectors.impact_users(user=world.l2, ci=estate.core, limit=100)
    assert world.requester2 in users and world.admin not in users  # hq is above, not below


def test_a_city_sees_impact_only_on_its_own_cis_the_rest_counted(estate, cmdb, world):
    b_srv = cmdb.ci("server", "b-srv", org=world.city_b)
    cmdb.relate(b_srv, "connected_to", estate.core)
    impact = selectors.impact_of(user=world.l1, ci=estate.access)
    names = {i.ci.name for i in impact.cis}
    assert "b-srv" not in names and "core-sw" not in names
    assert impact.hidden_count == 2  # core-sw (province) and b-srv (city B)
    assert {o.code for o in impact.organisations} <= {"city-a"}
    with pytest.raises(NotFound):
        selectors.impact_of(user=world.l1, ci=b_srv)


def test_a_service_depends_on_every_ci_below_its_cis(estate, world):
    deps = selectors.service_dependencies(user=world.l2, service=world.erp)
    assert {d.ci.pk for d in deps.cis} == {estate.app.pk, estate.srv.pk, estate.db.pk, estate.cache.pk,
                                           estate.access.pk, estate.core.pk}


def test_incident_links_need_write_rights_on_the_incident_and_show_on_its_timeline(estate, world):
    incident = incidents.incident_create(actor=world.requester, title="ERP down", description="x", service=world.erp)
    with pytest.raises(PermissionDenied):
        services.incident_cis_set(actor=world.requester, incident=incident, cis=[estate.app])
    linked = services.incident_cis_set(actor=world.desk, incident=incident, cis=[estate.app, estate.db])
    assert linked == [estate.app, estate.db]
    services.incident_cis_remove(actor=world.desk, incident=incident, cis=[estate.app])
    assert selectors.incident_cis(user=world.desk, incident=incident) == [estate.db]
    from opsdesk.incidents.selectors import incident_timeline
    entries = [e for e in incident_timeline(user=world.desk, incident=incident) if e.action == "incident.cis_changed"]
    assert entries[0].data["changes"]["affected_cis"] == ["", "erp-app, erp-db"]
    assert entries[1].data["removed"] == [{"id": estate.app.pk, "label": "erp-app"}]
    from opsdesk.ui.timeline import build_timeline
    item = build_timeline(entries[:1])[0]
    assert "changed the affected CIs" in item.phrase
    assert (item.changes[0].label, item.changes[0].after) == ("Affected CIs", "erp-app, erp-db")
    assert selectors.ci_incidents(user=world.desk, ci=estate.db) == [incident]
