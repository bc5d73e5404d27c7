"""The CI list: search, class, state and any-attribute filters, and the filtered list as a real .xlsx."""

from __future__ import annotations

import io

from django.urls import reverse
from openpyxl import load_workbook

from opsdesk.cmdb import services


def _names(response) -> set[str]:
    html = response.content.decode()
    return {name for name in ("pms-app-01", "pms-oracle", "生产管理系统", "nj-acc-sw-01", "A-01 机柜", "erp-app-01")
            if f">{name}</a>" in html}


def test_filter_by_class_includes_subclasses_and_by_state(as_user, estate):
    client = as_user("admin", "en")
    server_class = estate.server.ci_class_id
    assert _names(client.get(reverse("ui:cmdb_ci_list"), {"ci_class": server_class})) == {"pms-app-01"}
    hardware = estate.server.ci_class.parent_id
    assert _names(client.get(reverse("ui:cmdb_ci_list"), {"ci_class": hardware})) == {
        "pms-app-01", "nj-acc-sw-01", "A-01 机柜"}
    assert _names(client.get(reverse("ui:cmdb_ci_list"), {"state": "verified"})) == set()
    services.ci_transition(actor=estate.server.created_by, ci=estate.server, transition="verify")
    assert _names(client.get(reverse("ui:cmdb_ci_list"), {"state": "verified"})) == {"pms-app-01"}


def test_the_filter_builder_matches_any_attribute(as_user, cmdb, estate):
    cmdb.ci("server", "erp-app-01", attributes={"serial_number": "SN-2001", "os": "Windows", "cpu_cores": 64})
    client = as_user("admin", "en")
    url = reverse("ui:cmdb_ci_list")
    assert _names(client.get(url, {"fa": "os", "fv": "linux"})) == {"pms-app-01"}  # any case
    assert _names(client.get(url, {"fa": "cpu_cores__gte", "fv": "32"})) == {"erp-app-01"}
    assert _names(client.get(url, {"fa": ["os", "cpu_cores__lte"], "fv": ["Windows", "16"]})) == set()  # all must hold
    assert _names(client.get(url, {"fa": "engine", "fv": "Oracle"})) == {"pms-oracle"}
    assert _names(client.get(url, {"attr.serial_number": "SW-77"})) == {"nj-acc-sw-01"}
    page = client.get(url, {"fa": "cpu_cores__gte", "fv": "32"}).content.decode()
    assert '<option value="cpu_cores__gte" selected>' in page and 'value="32"' in page  # the builder keeps the rows


def test_search_finds_names_and_text_attributes(as_user, estate):
    client = as_user("admin", "en")
    assert _names(client.get(reverse("ui:cmdb_ci_list"), {"q": "SN-1001"})) == {"pms-app-01"}
    assert _names(client.get(reverse("ui:cmdb_ci_list"), {"q": "oracle"})) == {"pms-oracle"}


def test_a_bad_attribute_filter_says_why(as_user, estate):
    response = as_user("admin", "en").get(reverse("ui:cmdb_ci_list"), {"fa": "cpu_cores__gte", "fv": "lots"})
    assert response.status_code == 422
    assert "Enter a number." in response.content.decode()
    response = as_user("admin", "en").get(reverse("ui:cmdb_ci_list"), {"attr.nonsense": "1"})
    assert "There is no attribute “nonsense”." in response.content.decode()


def test_the_export_downloads_the_filtered_list_as_xlsx(as_user, estate):
    response = as_user("admin", "en").get(reverse("ui:cmdb_ci_export"), {"ci_class": estate.server.ci_class.parent_id})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"].startswith('attachment; filename="cmdb-')
    workbook = load_workbook(io.BytesIO(response.content))
    cells = {str(cell.value) for row in workbook.worksheets[0].iter_rows() for cell in row if cell.value is not None}
    assert {"pms-app-01", "nj-acc-sw-01", "A-01 机柜", "SN-1001"} <= cells
    assert "pms-oracle" not in cells and "生产管理系统" not in cells


def test_the_list_links_its_export_with_the_same_filters(as_user, estate):
    html = as_user("admin", "en").get(reverse("ui:cmdb_ci_list"), {"q": "pms", "fa": "os", "fv": "Linux"}).content.decode()
    assert f'href="{reverse("ui:cmdb_ci_export")}?q=pms&amp;fa=os&amp;fv=Linux"' in html
