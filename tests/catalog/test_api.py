"""The catalogue API: services carry their node and SLA, the tree, nodes, and who may create what."""

from __future__ import annotations

from opsdesk.audit.models import AuditEntry
from opsdesk.catalog.models import ApplicationNode, Service
from tests.api.expect import error_of


def test_services_carry_their_application_node_and_sla(world, catalogue, client_for) -> None:
    body = client_for(world.requester).get("/api/v1/services").json()
    by_code = {s["code"]: s for s in body["items"]}
    assert by_code["pms"]["application"] == catalogue.pms.pk
    assert by_code["erp"]["application"] == catalogue.finance.pk
    assert by_code["pms"]["sla"] is None
    assert {"id", "code", "display_name", "owner_group", "is_active"} <= set(by_code["pms"])


def test_the_catalogue_tree(world, catalogue, client_for) -> None:
    response = client_for(world.requester).get("/api/v1/services/tree")
    assert response.status_code == 200, response.content
    systems = response.json()["items"]
    assert [s["code"] for s in systems] == ["erp", "pms"]
    pms = systems[1]
    assert (pms["level"], pms["display_name"], pms["owner_group"]) == ("system", "Production management",
                                                                       world.l2_group.pk)
    assert [s["code"] for s in pms["services"]] == ["pms"]
    subsystem = pms["children"][0]
    platform = subsystem["children"][0]
    module = platform["children"][0]
    assert [subsystem["level"], platform["level"], module["level"]] == ["subsystem", "platform", "module"]
    assert module["code"] == "pms-outage" and module["children"] == []
    assert systems[0]["children"][0]["services"][0]["code"] == "erp"


def test_application_nodes_list_and_filter(world, catalogue, client_for) -> None:
    client = client_for(world.desk)
    nodes = client.get("/api/v1/application-nodes?level=subsystem").json()["items"]
    assert {n["code"] for n in nodes} == {"pms-dispatch", "erp-fi"}
    children = client.get(f"/api/v1/application-nodes?parent={catalogue.pms.pk}").json()["items"]
    assert [(n["code"], n["parent"]) for n in children] == [("pms-dispatch", catalogue.pms.pk)]
    assert [n["code"] for n in client.get("/api/v1/application-nodes?q=停电").json()["items"]] == ["pms-outage"]


def test_an_administrator_adds_a_node_and_a_service(world, catalogue, client_for) -> None:
    client = client_for(world.admin)
    response = client.post_json("/api/v1/application-nodes", {
        "code": "pms-equipment", "name": "设备管理", "parent": catalogue.pms.pk, "owner_group": world.l2_group.pk})
    assert response.status_code == 201, response.content
    node = response.json()
    assert (node["level"], node["parent"]) == ("subsystem", catalogue.pms.pk)

    response = client.post_json("/api/v1/services", {
        "code": "equipment-ledger", "name": "设备台账", "name_en": "Equipment ledger", "kind": "production",
        "application": node["id"], "owner_group": world.l2_group.pk})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["application"], body["sla"], body["display_name"]) == (node["id"], None, "Equipment ledger")
    service = Service.objects.get(code="equipment-ledger")
    assert AuditEntry.objects.filter(action="service.created", subject_id=service.pk, actor=world.admin).exists()


def test_bad_input_is_a_422_naming_each_field(world, catalogue, client_for) -> None:
    client = client_for(world.admin)
    body = error_of(client.post_json("/api/v1/services", {"code": "pms", "name": "", "kind": "mainframe"}), 422)
    assert {"code", "name", "kind"} <= set(body["errors"])
    body = error_of(client.post_json("/api/v1/services", {"code": "new", "name": "新", "application": 999999}), 422)
    assert set(body["errors"]) == {"application"}
    body = error_of(client.post_json("/api/v1/application-nodes", {
        "code": "x", "name": "X", "level": "module", "parent": catalogue.pms.pk}), 422)
    assert set(body["errors"]) == {"level"}
    body = error_of(client.post_json("/api/v1/application-nodes", {"name": "X"}), 422)
    assert "code" in body["errors"]
    assert Service.objects.count() == 2 and not ApplicationNode.objects.filter(code__in=["x", "new"]).exists()


def test_only_administrators_create(world, catalogue, client_for) -> None:
    for user in (world.desk, world.category_admin, world.auditor):
        client = client_for(user)
        error_of(client.post_json("/api/v1/services", {"code": "new", "name": "新"}), 403)
        error_of(client.post_json("/api/v1/application-nodes", {"code": "new", "name": "新"}), 403)
    assert not Service.objects.filter(code="new").exists()
    assert not ApplicationNode.objects.filter(code="new").exists()


def test_the_catalogue_needs_a_caller(world, client) -> None:
    for path in ("/api/v1/services/tree", "/api/v1/application-nodes"):
        error_of(client.get(path), 401)
    error_of(client.post("/api/v1/services", {"code": "x", "name": "x"}, content_type="application/json"), 401)


def test_an_administrator_changes_and_moves_nodes_and_services(world, catalogue, client_for) -> None:
    client = client_for(world.admin)
    response = client.patch_json(f"/api/v1/application-nodes/{catalogue.dispatch.pk}",
                                 {"parent": catalogue.erp.pk, "name": "调度"})
    assert response.status_code == 200, response.content
    assert (response.json()["parent"], response.json()["name"], response.json()["level"]) == (
        catalogue.erp.pk, "调度", "subsystem")
    body = error_of(client.patch_json(f"/api/v1/application-nodes/{catalogue.erp.pk}",
                                      {"parent": catalogue.platform.pk}), 422)
    assert set(body["errors"]) == {"parent"}  # under its own descendant
    error_of(client.patch_json("/api/v1/application-nodes/999999", {"name": "X"}), 404)

    response = client.patch_json(f"/api/v1/services/{world.erp.pk}", {"application": catalogue.erp.pk,
                                                                     "name_en": "ERP (SAP)"})
    assert response.status_code == 200, response.content
    assert (response.json()["application"], response.json()["display_name"]) == (catalogue.erp.pk, "ERP (SAP)")
    body = error_of(client.patch_json(f"/api/v1/services/{world.erp.pk}", {"code": "pms", "name": None}), 422)
    assert set(body["errors"]) == {"name"}
    assert Service.objects.get(pk=world.erp.pk).code == "erp"


def test_deactivating_a_node_over_the_api_needs_cascade(world, catalogue, client_for) -> None:
    client = client_for(world.admin)
    url = f"/api/v1/application-nodes/{catalogue.pms.pk}/deactivate"
    body = error_of(client.post_json(url, {}), 422)
    assert set(body["errors"]) == {"cascade"}
    response = client.post_json(url, {"cascade": True})
    assert response.status_code == 200 and response.json()["is_active"] is False
    assert not Service.objects.get(pk=world.production.pk).is_active
    assert [s["code"] for s in client.get("/api/v1/services").json()["items"]] == ["erp"]
    assert {s["code"] for s in client.get("/api/v1/services?include_inactive=true").json()["items"]} == {"erp", "pms"}
    error_of(client_for(world.desk).post_json(f"/api/v1/application-nodes/{catalogue.erp.pk}/deactivate", {}), 403)
    error_of(client_for(world.desk).patch_json(f"/api/v1/services/{world.erp.pk}", {"name": "x"}), 403)
