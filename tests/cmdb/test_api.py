"""The CMDB API: classes, CIs with attribute filters, versions, relations, impact, import, export, 4xx paths."""

from __future__ import annotations

import io
import json

import pytest
from openpyxl import load_workbook

from opsdesk.accounts.services import api_token_create
from tests.api.expect import ApiClient, error_of

from .test_import_export import GOOD, MAPPING, sheet

BASE = "/api/v1"


@pytest.fixture
def client_for(world):
    clients = {}

    def make(user):
        if user.pk not in clients:
            secret = api_token_create(actor=user, name="tests").secret
            clients[user.pk] = ApiClient(headers={"Authorization": f"Bearer {secret}", "Accept-Language": "en"})
        return clients[user.pk]

    return make


def test_classes_list_their_attributes_with_inherited_ones_marked(cmdb, world, client_for):
    body = client_for(world.l1).get(f"{BASE}/ci-classes").json()
    server = next(c for c in body["items"] if c["code"] == "server")
    attrs = {a["code"]: a for a in server["attributes"]}
    assert attrs["serial_number"]["inherited"] and attrs["serial_number"]["defined_on"] == "hardware"
    assert not attrs["os"]["inherited"] and "Linux" in attrs["os"]["choices"]
    error_of(client_for(world.requester).get(f"{BASE}/ci-classes"), 403)


def test_administrators_define_classes_and_attributes_others_are_refused(cmdb, world, client_for):
    admin = client_for(world.admin)
    response = admin.post_json(f"{BASE}/ci-classes", {"code": "ups", "name": "UPS", "parent": "hardware"})
    assert response.status_code == 201 and response.json()["parent"] == "hardware"
    assert any(a["code"] == "serial_number" and a["inherited"] for a in response.json()["attributes"])
    response = admin.post_json(f"{BASE}/ci-classes/ups/attributes", {"code": "kva", "name": "容量", "type": "number"})
    assert response.status_code == 201 and response.json()["type"] == "number"
    body = error_of(admin.post_json(f"{BASE}/ci-classes/ups/attributes",
                                    {"code": "mode", "name": "模式", "type": "choice"}), 422)
    assert "choices" in body["errors"]
    error_of(client_for(world.l1).post_json(f"{BASE}/ci-classes", {"code": "x", "name": "X"}), 403)
    error_of(admin.post_json(f"{BASE}/ci-classes/nope/attributes", {"code": "a", "name": "A", "type": "text"}), 404)


def test_create_filter_by_attribute_and_patch_with_versions(cmdb, world, client_for):
    l1 = client_for(world.l1)
    response = l1.post_json(f"{BASE}/cis", {"name": "srv-01", "ci_class": "server", "organisation": world.city_a.pk,
                                            "attributes": {"cpu_cores": "16", "os": "Linux"},
                                            "warranty_end": "2028-01-01"})
    assert response.status_code == 201, response.content
    ci = response.json()
    assert ci["attributes"] == {"cpu_cores": 16, "os": "Linux"} and ci["version"] == 1
    l1.post_json(f"{BASE}/cis", {"name": "srv-02", "ci_class": "server", "organisation": world.city_a.pk,
                                 "attributes": {"cpu_cores": 4}})
    names = [c["name"] for c in l1.get(f"{BASE}/cis", {"attr.cpu_cores__gte": "8"}).json()["items"]]
    assert names == ["srv-01"]
    assert [c["name"] for c in l1.get(f"{BASE}/cis", {"attr.os": "linux", "class": "hardware"}).json()["items"]] == ["srv-01"]
    assert [c["name"] for c in l1.get(f"{BASE}/cis", {"q": "02"}).json()["items"]] == ["srv-02"]
    page = l1.get(f"{BASE}/cis", {"limit": 1}).json()
    assert len(page["items"]) == 1 and page["next_cursor"]
    assert l1.get(f"{BASE}/cis", {"limit": 1, "cursor": page["next_cursor"]}).json()["items"][0]["name"] == "srv-01"

    patched = l1.patch_json(f"{BASE}/cis/{ci['id']}", {"version": 1, "attributes": {"cpu_cores": 32}})
    assert patched.status_code == 200 and patched.json()["version"] == 2
    error_of(l1.patch_json(f"{BASE}/cis/{ci['id']}", {"version": 1, "name": "late"}), 409)
    body = error_of(l1.patch_json(f"{BASE}/cis/{ci['id']}", {"version": 2, "attributes": {"cpu_cores": "x"}}), 422)
    assert "attributes.cpu_cores" in body["errors"]
    history = l1.get(f"{BASE}/cis/{ci['id']}/history").json()["items"]
    assert history[-1]["data"]["changes"]["attributes.cpu_cores"] == [16, 32]


def test_4xx_paths(cmdb, world, client_for):
    l1 = client_for(world.l1)
    theirs = cmdb.ci("server", "b-srv", org=world.city_b)
    error_of(l1.get(f"{BASE}/cis/{theirs.pk}"), 404)
    error_of(l1.get(f"{BASE}/cis/{theirs.pk}/impact"), 404)
    error_of(l1.patch_json(f"{BASE}/cis/{theirs.pk}", {"version": 1, "name": "x"}), 404)
    error_of(l1.get(f"{BASE}/cis", {"attr.nope": "1"}), 422)
    error_of(l1.get(f"{BASE}/cis", {"class": "nope"}), 422)
    error_of(l1.post_json(f"{BASE}/cis", {"name": "x", "ci_class": "server", "organisation": world.city_b.pk}), 403)
    error_of(l1.post_json(f"{BASE}/cis", {"name": "", "ci_class": "server", "organisation": world.city_a.pk}), 422)
    error_of(l1.post_json(f"{BASE}/cis", {"name": "x", "ci_class": "server", "organisation": 99999}), 422)
    mine = cmdb.ci("server", "a-srv")
    error_of(l1.post(f"{BASE}/cis/{mine.pk}/transitions/repair", {}, content_type="application/json"), 409)
    error_of(l1.post(f"{BASE}/cis/{mine.pk}/transitions/fly", {}, content_type="application/json"), 422)
    assert l1.post(f"{BASE}/cis/{mine.pk}/transitions/verify", {}, content_type="application/json").json()["state"] == "verified"
    assert client_for(world.requester).get(f"{BASE}/cis").json()["items"] == []
    error_of(client_for(world.auditor).patch_json(f"{BASE}/cis/{mine.pk}", {"version": None, "name": "x"}), 403)


def test_relations_and_impact(cmdb, world, client_for):
    l1 = client_for(world.l1)
    app = cmdb.ci("application", "erp-app", services=[world.erp])
    srv = cmdb.ci("server", "srv-01")
    sw = cmdb.ci("network_device", "sw-01")
    response = l1.post_json(f"{BASE}/cis/{app.pk}/relations", {"kind": "runs_on", "target": srv.pk})
    assert response.status_code == 201 and response.json()["target"]["id"] == srv.pk
    error_of(l1.post_json(f"{BASE}/cis/{app.pk}/relations", {"kind": "runs_on", "target": srv.pk}), 409)
    error_of(l1.post_json(f"{BASE}/cis/{srv.pk}/relations", {"kind": "runs_on", "target": app.pk}), 422)
    error_of(l1.post_json(f"{BASE}/cis/{srv.pk}/relations", {"kind": "connected_to", "target": srv.pk}), 422)
    l1.post_json(f"{BASE}/cis/{srv.pk}/relations", {"kind": "connected_to", "target": sw.pk})
    impact = l1.get(f"{BASE}/cis/{sw.pk}/impact").json()
    assert [c["name"] for c in impact["cis"]] == ["srv-01", "erp-app"]
    assert impact["cis"][1]["depth"] == 2 and impact["cis"][1]["via"] == srv.pk
    assert [s["label"] for s in impact["services"]] == ["ERP"]
    users = l1.get(f"{BASE}/cis/{sw.pk}/impact/users", {"limit": 2}).json()
    assert len(users["items"]) == 2 and users["next_cursor"]
    assert all(u["organisation"]["id"] == world.city_a.pk for u in users["items"])
    deps = l1.get(f"{BASE}/services/{world.erp.pk}/cis").json()
    assert [c["name"] for c in deps["cis"]] == ["erp-app", "srv-01", "sw-01"]
    error_of(l1.get(f"{BASE}/services/99999/cis"), 404)
    error_of(client_for(world.requester).get(f"{BASE}/services/{world.erp.pk}/cis"), 403)
    relations = l1.get(f"{BASE}/cis/{srv.pk}/relations").json()["items"]
    assert {r["direction"] for r in relations} == {"in", "out"}
    rid = next(r["id"] for r in relations if r["kind"] == "runs_on")
    assert l1.delete(f"{BASE}/cis/{srv.pk}/relations/{rid}").status_code == 204
    error_of(l1.delete(f"{BASE}/cis/{srv.pk}/relations/{rid}"), 404)


def test_import_over_the_api_dry_run_then_for_real_and_bad_rows(cmdb, world, client_for):
    admin = client_for(world.admin)

    def post(content, dry_run):
        upload = io.BytesIO(content.getvalue())
        upload.name = "验收清单.xlsx"
        return admin.post(f"{BASE}/cis/import", {"file": upload, "mapping": json.dumps(MAPPING),
                                                 "dry_run": "true" if dry_run else "false"})

    dry = post(sheet(*GOOD), True)
    assert dry.status_code == 200 and dry.json()["imported"] == 3
    assert admin.get(f"{BASE}/cis").json()["items"] == []
    real = post(sheet(*GOOD), False).json()
    assert (real["imported"], real["updated"], real["refused"]) == (3, 0, [])
    bad = post(sheet(("x", "server", "city-a", "SN-X", "many", None, None, None, None, None)), False)
    body = bad.json()
    assert bad.status_code == 422 and body["refused"][0]["row"] == 2 and body["code"] == "invalid_rows"
    not_excel = io.BytesIO(b"plain text")
    not_excel.name = "list.xlsx"
    error_of(admin.post(f"{BASE}/cis/import", {"file": not_excel, "mapping": json.dumps(MAPPING)}), 422)
    error_of(client_for(world.l1).post(f"{BASE}/cis/import", {"file": io.BytesIO(b""), "mapping": "{}"}), 403)


def test_export_over_the_api_is_scoped(cmdb, world, client_for):
    cmdb.ci("server", "a-srv")
    cmdb.ci("server", "b-srv", org=world.city_b)
    response = client_for(world.l1).get(f"{BASE}/cis/export", {"class": "server"})
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0].iter_rows(values_only=True))
    assert [r[1] for r in rows[1:]] == ["a-srv"]
