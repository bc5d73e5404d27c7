"""The CMDB in a real browser: import an acceptance list through the wizard, then open both maps
(Cytoscape.js served by the app) and see the imported servers drawn, with an open incident marked."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import Workbook
from tests.e2e.test_incident_story import signed_in

from opsdesk.catalog.models import ApplicationNode
from opsdesk.cmdb import services
from opsdesk.cmdb.defaults import install_standard_classes
from opsdesk.cmdb.models import ConfigurationItem
from opsdesk.incidents import services as incidents

pytestmark = pytest.mark.e2e


def acceptance_list() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(("设备名称", "序列号", "IP地址", "操作系统", "保修截止"))
    sheet.append(("js-pms-app-01", "SN-E2E-01", "10.10.20.11", "Linux", "2029-06-30"))
    sheet.append(("js-pms-app-02", "SN-E2E-02", "10.10.20.12", "Linux", "2029-06-30"))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def wait_for_map(page: Any) -> None:
    page.wait_for_selector("[data-cmdb-map][data-rendered=true]", state="attached")


def test_import_a_sheet_then_open_both_maps(browser: Any, live_server: Any, e2e_world: Any) -> None:
    world = e2e_world
    classes = install_standard_classes(actor=world.admin)
    page = signed_in(browser, live_server, "admin")

    # The acceptance list through the wizard: upload, the guessed mapping, preview, import.
    page.goto(f"{live_server.url}/cmdb/import/")
    page.select_option("select[name=ci_class]", str(classes["server"].pk))
    page.select_option("select[name=organisation]", str(world.city_a.pk))
    page.set_input_files("input[name=file]", files=[{
        "name": "竣工验收清单.xlsx", "buffer": acceptance_list(),
        "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}])
    with page.expect_navigation():
        page.click("#import-upload button[type=submit]")
    assert page.locator("select[name=col_1]").input_value() == "attributes.serial_number"
    page.select_option("select[name=col_0]", "name")
    page.select_option("select[name=col_4]", "warranty_end")
    with page.expect_navigation():
        page.click("button[value=preview]")
    assert page.locator("#import-preview").is_visible()
    assert not ConfigurationItem.objects.exists()
    with page.expect_navigation():
        page.click("#import-confirm")
    assert page.locator("[data-count=created]").inner_text() == "2"
    servers = list(ConfigurationItem.objects.order_by("name"))
    assert [ci.name for ci in servers] == ["js-pms-app-01", "js-pms-app-02"]

    # The production system runs on them; an open incident names the first.
    system = ApplicationNode.objects.create(level="system", code="app-pms", name="生产管理系统")
    ApplicationNode.objects.create(level="subsystem", code="app-pms-eq", name="设备管理", parent=system)
    world.production.application = system
    world.production.save()
    app = services.ci_create(actor=world.admin, ci_class=classes["application"], organisation=world.city_a,
                             name="生产管理系统（江苏）", application=system, services=[world.production])
    for server in servers:
        services.relation_create(actor=world.admin, source=app, target=server, kind="runs_on")
    incident = incidents.incident_create(actor=world.requester, title="登录超时", description="生产管理系统登录超时",
                                         service=world.production)

    # The desk agent picks the affected CI on the incident record: search, choose, add (htmx panel).
    desk = signed_in(browser, live_server, "desk")
    desk.goto(f"{live_server.url}/incidents/{incident.number}/")
    desk.wait_for_selector("#affected-cis-panel")
    desk.fill("#affected-ci-search", "SN-E2E-01")
    desk.wait_for_selector(f"#affected-ci-select option[value='{servers[0].pk}']", state="attached")
    desk.select_option("#affected-ci-select", str(servers[0].pk))
    desk.click("#affected-ci-add")
    desk.wait_for_selector(f"[data-affected-ci='{servers[0].pk}']")
    assert "生产管理系统" in desk.locator(f"[data-affected-ci='{servers[0].pk}']").inner_text()  # what else it hits
    assert list(incident.ci_links.values_list("ci_id", flat=True)) == [servers[0].pk]

    # The system operation map: the service, its application and both servers, the first marked.
    page.goto(f"{live_server.url}/cmdb/maps/operation/?service={world.production.pk}")
    wait_for_map(page)
    assert page.evaluate("window.opsdeskMap.nodes().length") == 4
    assert page.evaluate("window.opsdeskMap.edges().length") == 3
    marked = page.evaluate("window.opsdeskMap.nodes('.incident').map(n => [n.data('label'), n.data('incidents')])")
    assert marked == [["js-pms-app-01", 1]]
    assert page.evaluate("window.opsdeskMap.nodes('.incident')[0].style('border-color')") == "rgb(220,53,69)"
    page.screenshot(path="/tmp/cmdb-e2e-operation-map.png")
    # Filtering by class hides the servers; clicking a node names it and links its page.
    page.uncheck("[data-filter=class] input[value=server]")
    page.wait_for_function("window.opsdeskMap.nodes(':visible').length === 2", timeout=10_000)
    page.check("[data-filter=class] input[value=server]")
    page.wait_for_function("window.opsdeskMap.nodes(':visible').length === 4", timeout=10_000)
    page.evaluate(f"window.opsdeskMap.getElementById('ci-{servers[0].pk}').emit('tap')")
    assert page.locator("[data-map-details] [data-field=label]").inner_text() == "js-pms-app-01"
    assert page.locator("[data-map-details] [data-link=page]").get_attribute("href") == f"/cmdb/cis/{servers[0].pk}/"

    # The application map: the catalogue's system, its subsystem and the service; the application CI standing
    # for the system is named by an incident too, so the system's node is marked.
    services.incident_cis_add(actor=world.desk, incident=incident, cis=[app])
    page.goto(f"{live_server.url}/cmdb/maps/application/")
    wait_for_map(page)
    assert page.evaluate("window.opsdeskMap.nodes().length") == 3
    assert page.evaluate("window.opsdeskMap.nodes('.incident').map(n => n.id())") == [f"app-{system.pk}"]
    assert page.evaluate("window.opsdeskMap.nodes('[kind = \"service\"]').length") == 1
    page.screenshot(path="/tmp/cmdb-e2e-application-map.png")
