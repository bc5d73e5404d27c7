"""The map data: the operation map of a system, the application map of the catalogue, scoped to the reader."""

from __future__ import annotations

from django.urls import reverse

from opsdesk.catalog.models import ApplicationNode
from opsdesk.cmdb import services
from opsdesk.incidents import services as incidents


def _data(client, name, **params):
    response = client.get(reverse(name), params)
    assert response.status_code == 200, response.content
    return response.json()


def test_the_operation_map_of_a_service_draws_what_its_system_is_built_from(as_user, cmdb, world, estate):
    other_app = cmdb.ci("application", "另一系统")
    other_server = cmdb.ci("server", "other-srv-01")
    cmdb.relate(other_app, "runs_on", other_server)
    cmdb.relate(other_server, "connected_to", estate.switch)  # shares the access switch
    incident = incidents.incident_create(actor=world.requester, title="卡顿", description="慢",
                                         service=world.production)
    services.incident_cis_add(actor=world.desk, incident=incident, cis=[estate.server])

    data = _data(as_user("l1"), "ui:cmdb_map_operation_data", service=world.production.pk)
    labels = {node["label"] for node in data["nodes"]}
    assert {"生产管理系统", "pms-app-01", "pms-oracle", "nj-acc-sw-01", "A-01 机柜"} <= labels
    assert "另一系统" not in labels and "other-srv-01" not in labels  # the switch does not pull in its neighbours
    server = next(node for node in data["nodes"] if node["label"] == "pms-app-01")
    assert server["incidents"] == 1 and server["url"] == reverse("ui:cmdb_ci_detail", args=[estate.server.pk])
    assert server["class"] == "server" and server["organisation"] == "甲市公司"
    edges = {(edge["source"], edge["kind"], edge["target"]) for edge in data["edges"]}
    assert (f"ci-{estate.app.pk}", "runs_on", f"ci-{estate.server.pk}") in edges
    assert (f"service-{world.production.pk}", "serves", f"ci-{estate.app.pk}") in edges


def test_the_operation_map_from_one_ci_and_its_page(as_user, estate):
    client = as_user("admin", "en")
    data = _data(client, "ui:cmdb_map_operation_data", ci=estate.db.pk)
    assert {node["label"] for node in data["nodes"]} >= {"pms-oracle", "pms-app-01"}
    assert next(node for node in data["nodes"] if node["label"] == "pms-oracle")["root"] is True
    page = client.get(reverse("ui:cmdb_map_operation"), {"ci": estate.db.pk}).content.decode()
    assert f'data-source="{reverse("ui:cmdb_map_operation_data")}?ci={estate.db.pk}"' in page


def test_the_map_shows_only_what_the_reader_may_see(as_user, cmdb, world, estate):
    hidden = cmdb.ci("database", "city-b-db", org=world.city_b)
    cmdb.relate(estate.app, "depends_on", hidden)
    labels = {node["label"] for node in _data(as_user("l1"), "ui:cmdb_map_operation_data",
                                               service=world.production.pk)["nodes"]}
    assert "city-b-db" not in labels and "pms-app-01" in labels
    labels = {node["label"] for node in _data(as_user("admin"), "ui:cmdb_map_operation_data",
                                               service=world.production.pk)["nodes"]}
    assert "city-b-db" in labels


def test_the_operation_map_asks_for_a_system(as_user, estate):
    response = as_user("admin", "en").get(reverse("ui:cmdb_map_operation_data"))
    assert response.status_code == 422 and response.json()["code"] == "invalid"


def test_the_application_map_is_the_catalogue_tree_with_its_services_and_application_cis(as_user, cmdb, world,
                                                                                          estate):
    system = ApplicationNode.objects.create(level="system", code="app-pms", name="生产管理系统")
    subsystem = ApplicationNode.objects.create(level="subsystem", code="app-pms-eq", name="设备管理", parent=system)
    platform = ApplicationNode.objects.create(level="platform", code="app-pms-eq-l", name="设备台账平台",
                                              parent=subsystem)
    module = ApplicationNode.objects.create(level="module", code="app-pms-eq-l-d", name="缺陷管理", parent=platform)
    world.production.application = system
    world.production.save()
    services.ci_update(actor=world.admin, ci=estate.app, application=system)
    incident = incidents.incident_create(actor=world.requester, title="x", description="y", service=world.production)
    services.incident_cis_add(actor=world.desk, incident=incident, cis=[estate.app])
    loose = cmdb.ci("module", "缺陷移动端")
    cmdb.relate(loose, "part_of", estate.app)

    data = _data(as_user("admin", "en"), "ui:cmdb_map_application_data")
    nodes = {node["id"]: node for node in data["nodes"]}
    edges = {(edge["source"], edge["target"]) for edge in data["edges"]}
    assert {(f"app-{system.pk}", f"app-{subsystem.pk}"), (f"app-{subsystem.pk}", f"app-{platform.pk}"),
            (f"app-{platform.pk}", f"app-{module.pk}"), (f"app-{system.pk}", f"service-{world.production.pk}"),
            (f"app-{system.pk}", f"ci-{loose.pk}")} <= edges
    assert nodes[f"app-{system.pk}"]["incidents"] == 1 and nodes[f"app-{system.pk}"]["root"] is True
    assert nodes[f"app-{module.pk}"]["class"] == "module"
    only = _data(as_user("admin", "en"), "ui:cmdb_map_application_data", system=subsystem.pk)
    assert {node["id"] for node in only["nodes"] if node["kind"] == "application"} == {
        f"app-{subsystem.pk}", f"app-{platform.pk}", f"app-{module.pk}"}
