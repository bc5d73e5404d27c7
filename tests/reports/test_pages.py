"""The Reports area in the browser: man-hour page, drill-down, Excel download, bad input, who may look."""

from __future__ import annotations

from decimal import Decimal
from io import BytesIO

import pytest
from django.test import Client
from openpyxl import load_workbook

pytestmark = pytest.mark.django_db


def signed_in(user, language: str = "en") -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


@pytest.fixture
def logged(world, levels, incident_at, log_work):
    city_a = incident_at("2026-10-10 09:00")
    city_b = incident_at("2026-10-10 09:00", requester=world.requester2, service=world.erp)
    log_work(city_a, world.l1, 45, "2026-10-31 23:30")  # 90.00
    log_work(city_a, world.l1b, 7, "2026-10-20 10:00")  # 7 × 120.00 / 60 = 14.00
    log_work(city_b, world.l1, 30, "2026-11-01 00:30")  # 60.00
    return city_a, city_b


def test_man_hour_page_shows_rows_and_total(world, logged):
    response = signed_in(world.admin).get("/reports/man-hours/", {"group_by": "month"})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="nav-reports"' in page
    assert "2026-10" in page and "2026-11" in page
    assert "104.00" in page and "60.00" in page and "164.00" in page


def test_drill_down_lists_the_work_logs_of_a_row(world, logged):
    city_a, city_b = logged
    response = signed_in(world.admin).get("/reports/man-hours/worklogs/", {"group_by": "month", "key": "2026-11"})
    assert response.status_code == 200
    page = response.content.decode()
    assert city_b.number in page and city_a.number not in page


def test_excel_download_has_headers_formats_and_the_total(world, logged):
    response = signed_in(world.admin, "zh-hans").get("/reports/man-hours/export.xlsx", {"group_by": "service"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    workbook = load_workbook(BytesIO(response.content))
    sheet = workbook.worksheets[0]
    rows = [row for row in sheet.iter_rows(values_only=True)]
    header_index = next(i for i, row in enumerate(rows) if row[1] is not None and row[0] in ("Service", "服务"))
    body = rows[header_index + 1:]
    totals = body[-1]
    assert [row[0] for row in body[:-1]] == ["生产管理系统", "ERP"]
    assert Decimal(str(totals[4])) == Decimal("164.00")
    assert sum(Decimal(str(row[4])) for row in body[:-1]) == Decimal("164.00")
    assert totals[1] == 3
    cost_cell = sheet.cell(row=header_index + 2, column=5)
    assert cost_cell.number_format == "#,##0.00"
    detail = workbook.worksheets[1]
    logs = [row for row in detail.iter_rows(values_only=True) if row[0] and str(row[0]).startswith("INC")]
    assert sorted(row[7] for row in logs) == [7, 30, 45]


def test_bad_month_is_shown_next_to_the_field_and_kept(world, logged):
    response = signed_in(world.admin).get("/reports/man-hours/", {"month_from": "2026-13"})
    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="id_month_from_errors"' in page
    assert 'value="2026-13"' in page


def test_a_city_engineer_sees_only_the_city_and_a_requester_nothing(world, logged):
    page = signed_in(world.l1).get("/reports/man-hours/", {"group_by": "organisation"}).content.decode()
    assert "104.00" in page and "164.00" not in page
    assert signed_in(world.requester).get("/reports/man-hours/").status_code == 403
    assert signed_in(world.requester).get("/reports/man-hours/export.xlsx").status_code == 403
    assert 'id="nav-reports"' not in signed_in(world.requester).get("/portal/").content.decode()


def test_the_tabs_offer_the_reports_the_reader_may_see(world):
    admin_page = signed_in(world.admin).get("/reports/man-hours/").content.decode()
    assert "/reports/sla/" in admin_page and 'href="/reports/man-hours/"' in admin_page
    viewer = signed_in(world.viewer_a)
    assert viewer.get("/reports/").url == "/reports/sla/"
    viewer_page = viewer.get("/reports/sla/").content.decode()
    assert 'id="nav-reports"' in viewer_page
    assert 'href="/reports/man-hours/"' not in viewer_page
