"""SLA compliance: met / breached / in progress per row, response and resolution apart, from real clocks.

Clocks come from the SLA services: the production service is offered under a 7×24 agreement (priority 4:
response 120 minutes, resolution 1,920 minutes), so incident_create starts them and every transition
keeps them in line.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import BytesIO

import pytest
from django.test import Client
from openpyxl import load_workbook

from opsdesk.calendars.models import BusinessCalendar
from opsdesk.core import clock
from opsdesk.core.errors import PermissionDenied
from opsdesk.incidents import services as incidents
from opsdesk.incidents.choices import Priority
from opsdesk.reports import selectors
from opsdesk.reports.periods import period_of
from opsdesk.sla import services as sla
from tests.api.expect import ApiClient, error_of

from .conftest import at

pytestmark = pytest.mark.django_db
NOW = "2026-11-02 06:00"
TARGETS = {1: (15, 240), 2: (30, 480), 3: (60, 960), 4: (120, 1920)}


def step(incident, actor, transition, when, **inputs):
    with clock.frozen_at(at(when)):
        incident.refresh_from_db()
        return incidents.incident_transition(actor=actor, incident=incident.number, transition=transition,
                                             version=incident.version, **inputs)


@pytest.fixture
def agreement(world):
    with clock.frozen_at(at("2026-01-01 00:00")):
        calendar = BusinessCalendar.objects.create(name="7×24", code="always", always_open=True, is_default=True,
                                                   holiday_region="", created_at=clock.now(), updated_at=clock.now())
        made = sla.agreement_save(actor=world.admin, name="生产系统 SLA", name_en="Production SLA",
                                  code="production", calendar=calendar, targets=TARGETS)
        sla.service_agreement_set(actor=world.admin, service=world.production, agreement=made)
        sla.service_agreement_set(actor=world.admin, service=world.erp, agreement=made)
    return made


@pytest.fixture
def records(world, agreement, incident_at):
    """City A, October: kept (both met), late (response met, resolution missed), cancelled (left out),
    forgotten (never taken: both overdue, though nobody marked them). City A, November: fresh (both running,
    not yet due). City B, October: one kept ERP record. Plus a record of 31 October 23:30 (October) and one of
    1 November 00:30 (November) in Shanghai time, both still within their targets at the report's moment."""
    kept = incident_at("2026-10-10 09:00")
    step(kept, world.l1, "accept", "2026-10-10 09:30")
    step(kept, world.l1, "resolve", "2026-10-10 10:00", resolution="Restarted", cause_code="configuration")
    late = incident_at("2026-10-12 09:00")
    step(late, world.l1, "accept", "2026-10-12 09:30")
    step(late, world.l1, "resolve", "2026-10-14 09:00", resolution="Patched", cause_code="configuration")
    cancelled = incident_at("2026-10-13 09:00")
    step(cancelled, world.desk, "cancel", "2026-10-13 09:10", reason="Duplicate")
    forgotten = incident_at("2026-10-20 09:00")
    fresh = incident_at("2026-11-02 05:00")
    city_b = incident_at("2026-10-15 09:00", requester=world.requester2, service=world.erp)
    step(city_b, world.l1, "accept", "2026-10-15 09:10")
    step(city_b, world.l1, "resolve", "2026-10-15 10:00", resolution="Fixed", cause_code="configuration")
    october_night = incident_at("2026-10-31 23:30")
    step(october_night, world.l1, "accept", "2026-10-31 23:40")
    november_night = incident_at("2026-11-01 00:30")
    step(november_night, world.l1, "accept", "2026-11-01 00:40")
    step(november_night, world.l1, "resolve", "2026-11-01 01:00", resolution="Fixed", cause_code="configuration")
    return {"kept": kept, "late": late, "cancelled": cancelled, "forgotten": forgotten, "fresh": fresh,
            "city_b": city_b, "october_night": october_night, "november_night": november_night}


def report(user, group_by="service", **arguments):
    period = {key: arguments.pop(key) for key in ("month", "month_from", "month_to") if key in arguments}
    with clock.frozen_at(at(NOW)):
        return selectors.sla_report(user=user, group_by=group_by, filters=selectors.ReportFilter(
            period=period_of(user=user, **period), **arguments))


def counts(part):
    return part.met, part.breached, part.in_progress


def test_the_clocks_come_from_the_sla_services(records):
    assert records["kept"].sla_clocks.count() == 2
    assert records["late"].sla_clocks.get(kind="resolution").met is False


def test_met_breached_and_in_progress_per_month(world, records):
    rows = {row.key: row for row in report(world.admin, "month").rows}
    assert set(rows) == {"2026-10", "2026-11"}
    october, november = rows["2026-10"], rows["2026-11"]
    # kept, late, forgotten, city B, 31 October 23:30 (the cancelled record is left out)
    assert october.records == 5
    assert counts(october.response) == (4, 1, 0)  # forgotten was never taken: overdue
    assert counts(october.resolution) == (2, 2, 1)  # kept + city B met; late + forgotten breached; the night running
    assert october.resolution.percent == Decimal("50.0")
    assert october.response.percent == Decimal("80.0")
    # fresh (running) and 1 November 00:30 (met)
    assert november.records == 2
    assert counts(november.resolution) == (1, 0, 1)
    assert counts(november.response) == (1, 0, 1)


def test_compliance_counts_only_decided_clocks(world, records):
    only_running = report(world.admin, "service", month="2026-11", organisation=world.city_a.pk)
    assert only_running.total.resolution.percent == Decimal("100.0")
    assert selectors.Compliance(met=0, breached=0, in_progress=3).percent is None


def test_rows_per_service_organisation_group_and_priority(world, records):
    by_service = {row.key: counts(row.resolution) for row in report(world.admin, "service", month="2026-10").rows}
    assert by_service == {str(world.production.pk): (1, 2, 1), str(world.erp.pk): (1, 0, 0)}
    by_org = {row.key: row.records for row in report(world.admin, "organisation", month="2026-10").rows}
    assert by_org == {str(world.city_a.pk): 4, str(world.city_b.pk): 1}
    by_group = {row.key: row.records for row in report(world.admin, "group", month="2026-10").rows}
    assert by_group == {str(world.l1_group.pk): 5}
    by_priority = report(world.admin, "priority").rows
    assert [(row.key, row.records) for row in by_priority] == [("4", 7)]
    assert by_priority[0].label == str(Priority.LOW.label)


def test_drill_down_lists_the_records_of_a_cell(world, records):
    with clock.frozen_at(at(NOW)):
        breached = selectors.sla_records(user=world.admin, group_by="month", key="2026-10",
                                         filters=selectors.ReportFilter(period=period_of(user=world.admin)),
                                         kind="resolution", status="breached")
        numbers = {incident.number for incident in breached}
        assert numbers == {records["late"].number, records["forgotten"].number}
        statuses = {i.number: selectors.record_status(i, "response") for i in breached}
        assert statuses == {records["late"].number: "met", records["forgotten"].number: "breached"}
        november = selectors.sla_records(user=world.admin, group_by="month", key="2026-11",
                                         filters=selectors.ReportFilter(period=period_of(user=world.admin)))
        assert {i.number for i in november} == {records["fresh"].number, records["november_night"].number}


def test_a_city_viewer_never_sees_another_citys_figures(world, records):
    mine = report(world.viewer_a, "organisation")
    assert [row.key for row in mine.rows] == [str(world.city_a.pk)]
    assert mine.total.records == 6
    with clock.frozen_at(at(NOW)):
        other = selectors.sla_records(user=world.viewer_a, group_by="organisation", key=str(world.city_b.pk),
                                      filters=selectors.ReportFilter(period=period_of(user=world.viewer_a)))
        assert list(other) == []
    assert report(world.desk, "organisation").total.records == 7  # the province's desk sees both cities
    with pytest.raises(PermissionDenied):
        report(world.requester)


def test_api_rows_and_422s(world, records):
    from opsdesk.accounts.services import api_token_create

    secret = api_token_create(actor=world.viewer_a, name="tests").secret
    client = ApiClient(headers={"Authorization": f"Bearer {secret}", "Accept-Language": "en"})
    with clock.frozen_at(at(NOW)):
        body = client.get("/api/v1/reports/sla", {"group_by": "organisation", "month": "2026-10"}).json()
        assert body["rows"] == [{
            "key": {"id": world.city_a.pk, "label": "City A"}, "records": 4, "met": 1, "breached": 2,
            "in_progress": 1, "compliance": 33.3,
            "response": {"met": 3, "breached": 1, "in_progress": 0, "compliance": 75.0},
        }]
        drill = client.get("/api/v1/reports/sla/incidents", {"group_by": "organisation", "month": "2026-10",
                                                              "key": str(world.city_a.pk), "status": "met"}).json()
        assert [item["number"] for item in drill["items"]] == [records["kept"].number]
        assert drill["items"][0]["resolution"] == "met"
    assert "group_by" in error_of(client.get("/api/v1/reports/sla", {"group_by": "assignee"}), 422)["errors"]
    assert "month" in error_of(client.get("/api/v1/reports/sla", {"month": "2026/10"}), 422)["errors"]
    assert "status" in error_of(client.get("/api/v1/reports/sla/incidents", {"key": "1", "status": "late"}),
                                422)["errors"]


def test_page_drill_down_and_excel(world, records):
    client = Client()
    client.force_login(world.admin)
    client.cookies["django_language"] = "en"
    with clock.frozen_at(at(NOW)):
        page = client.get("/reports/sla/", {"group_by": "month"})
        assert page.status_code == 200
        assert 'data-cell="resolution-breached"' in page.content.decode()
        drill = client.get("/reports/sla/incidents/", {"group_by": "month", "key": "2026-10", "kind": "resolution",
                                                       "status": "breached"})
        assert records["late"].number in drill.content.decode()
        assert records["kept"].number not in drill.content.decode()
        download = client.get("/reports/sla/export.xlsx", {"group_by": "month"})
    assert download.status_code == 200
    sheet = load_workbook(BytesIO(download.content)).worksheets[0]
    rows = [row for row in sheet.iter_rows(values_only=True) if row[0] in ("2026-10", "2026-11", "Total")]
    assert [row[:5] for row in rows] == [("2026-10", 5, 4, 1, 0), ("2026-11", 2, 1, 0, 1), ("Total", 7, 5, 1, 1)]
    assert [row[6:9] for row in rows] == [(2, 2, 1), (1, 0, 1), (3, 2, 2)]
    assert rows[-1][9] == pytest.approx(0.6)  # 3 met of 5 decided
    total_row = next(r for r in sheet.iter_rows() if r[0].value == "Total")
    assert total_row[9].number_format == "0.0%"
    assert total_row[0].font.bold


def test_a_past_due_clock_breaches_even_before_the_scheduler_marks_it(world, records):
    forgotten = records["forgotten"].sla_clocks.get(kind="resolution")
    assert forgotten.breached_at is None and forgotten.met is None
    assert dt.datetime.fromisoformat("2026-11-01T22:00:00+00:00") > forgotten.due_at
