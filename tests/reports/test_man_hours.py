"""Man-hours and cost (工时核算): rates by date, exact sums, months in Shanghai, grouping, filters, scope."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from opsdesk.accounts import services as accounts
from opsdesk.accounts.services import staff_level_rate_set
from opsdesk.core import clock
from opsdesk.core.errors import PermissionDenied, ValidationFailed
from opsdesk.incidents import services
from opsdesk.reports import selectors
from opsdesk.reports.periods import period_of

from .conftest import at

pytestmark = pytest.mark.django_db


def report(user, group_by="service", **period):
    filters = selectors.ReportFilter(period=period_of(user=user, **period))
    return selectors.man_hour_report(user=user, group_by=group_by, filters=filters)


def test_each_log_is_priced_at_the_rate_in_effect_on_its_shanghai_date(world, levels, incident_at, log_work):
    incident = incident_at("2026-09-20 10:00")
    # 30 September 23:30 in Shanghai is still September (15:30 UTC): the old rate, 100.00.
    log_work(incident, world.l1, 60, "2026-09-30 23:30")
    # 1 October 00:30 in Shanghai is 30 September 16:30 UTC, but in Shanghai the new rate applies: 120.00.
    log_work(incident, world.l1, 60, "2026-10-01 00:30")
    rows = {row.key: row for row in report(world.admin, "month").rows}
    assert rows["2026-09"].cost == Decimal("100.00")
    assert rows["2026-10"].cost == Decimal("120.00")
    lines = selectors.priced(selectors.man_hour_worklogs(
        user=world.admin, group_by="month", key="2026-10", filters=selectors.ReportFilter(period=period_of(user=world.admin))))
    assert [(line.hourly_rate, line.cost) for line in lines] == [(Decimal("120.00"), Decimal("120.00"))]


def test_a_new_rate_does_not_reprice_last_years_work(world, levels, incident_at, log_work):
    incident = incident_at("2025-06-01 09:00")
    log_work(incident, world.l1, 90, "2025-06-01 10:00")
    staff_level_rate_set(actor=world.admin, level=levels.junior, effective_from=dt.date(2026, 11, 1), hourly_rate="999")
    assert report(world.admin, month="2025-06").total.cost == Decimal("150.00")


def test_costs_add_up_exactly(world, levels, incident_at, log_work):
    incident = incident_at("2026-10-10 09:00")
    log_work(incident, world.l1, 45, "2026-10-10 10:00")  # 45 min × 120.00 = 90.00
    log_work(incident, world.l1b, 7, "2026-10-10 11:00")  # 7 min × 120.00 = 14.00
    escalated = incident_at("2026-10-11 09:00", group=world.l2_group, assignee=world.l2)
    log_work(escalated, world.l2, 7, "2026-10-11 10:00")  # 7 × 133.33 / 60 = 15.5551 → 15.56
    log_work(escalated, world.l2, 13, "2026-10-11 11:00")  # 13 × 133.33 / 60 = 28.8882 → 28.89
    result = report(world.admin, "group", month="2026-10")
    by_key = {row.key: row for row in result.rows}
    assert by_key[str(world.l1_group.pk)].cost == Decimal("104.00")
    assert by_key[str(world.l1_group.pk)].minutes == 52
    assert by_key[str(world.l1_group.pk)].hours == Decimal("0.87")
    # 20 min × 133.33 = 2666.60 fen·min → 44.4433 → 44.44 (summed before rounding, not 15.56 + 28.89)
    assert by_key[str(world.l2_group.pk)].cost == Decimal("44.44")
    assert result.total.cost == Decimal("148.44")
    assert result.total.minutes == 72
    assert result.total.logs == 4
    assert isinstance(result.total.cost, Decimal)


def test_work_without_a_level_counts_as_unpriced_time(world, levels, incident_at, log_work):
    incident = incident_at("2026-10-10 09:00", group=world.l3_group, assignee=world.l3)
    log_work(incident, world.l3, 30, "2026-10-10 10:00")
    incident_b = incident_at("2026-10-10 09:00")
    log_work(incident_b, world.l1, 30, "2026-10-10 10:00")
    total = report(world.admin, "level").total
    assert (total.minutes, total.unpriced_minutes, total.cost) == (60, 30, Decimal("60.00"))
    rows = {row.key: row for row in report(world.admin, "level").rows}
    assert rows[selectors.NO_KEY].unpriced_minutes == 30
    assert rows[str(levels.junior.pk)].label == "初级工程师"


def test_months_are_cut_in_shanghai_time(world, levels, incident_at, log_work):
    incident = incident_at("2026-10-20 10:00")
    log_work(incident, world.l1, 10, "2026-10-31 23:30")  # October in Shanghai
    log_work(incident, world.l1, 20, "2026-11-01 00:30")  # November in Shanghai, 31 October in UTC
    rows = {row.key: row.minutes for row in report(world.admin, "month").rows}
    assert rows == {"2026-10": 10, "2026-11": 20}
    assert report(world.admin, month="2026-10").total.minutes == 10
    assert report(world.admin, month="2026-11").total.minutes == 20
    assert report(world.admin, month_from="2026-10", month_to="2026-11").total.minutes == 30
    drill = selectors.man_hour_worklogs(user=world.admin, group_by="month", key="2026-11",
                                        filters=selectors.ReportFilter(period=period_of(user=world.admin)))
    assert [log.minutes for log in drill] == [20]


def test_rows_per_service_and_organisation_with_filters(world, levels, incident_at, log_work):
    pms = incident_at("2026-10-10 09:00")
    erp = incident_at("2026-10-10 09:00", service=world.erp, requester=world.requester2)
    log_work(pms, world.l1, 60, "2026-10-10 10:00")
    log_work(erp, world.l1, 30, "2026-10-10 10:00")
    by_service = {row.key: (row.label, row.minutes) for row in report(world.admin, "service").rows}
    assert by_service == {str(world.production.pk): ("生产管理系统", 60), str(world.erp.pk): ("ERP", 30)}
    by_org = {row.key: row.minutes for row in report(world.admin, "organisation").rows}
    assert by_org == {str(world.city_a.pk): 60, str(world.city_b.pk): 30}
    only_erp = selectors.man_hour_report(user=world.admin, group_by="organisation", filters=selectors.ReportFilter(
        period=period_of(user=world.admin), service=world.erp.pk))
    assert only_erp.total.minutes == 30
    province = selectors.man_hour_report(user=world.admin, group_by="service", filters=selectors.ReportFilter(
        period=period_of(user=world.admin), organisation=world.province.pk))
    assert province.total.minutes == 90  # the province and the cities below it
    city_b = selectors.man_hour_report(user=world.admin, group_by="service", filters=selectors.ReportFilter(
        period=period_of(user=world.admin), organisation=world.city_b.pk))
    assert city_b.total.minutes == 30


def test_work_counts_for_the_group_the_author_worked_in(world, levels, incident_at, log_work):
    incident = incident_at("2026-10-10 09:00")
    log_work(incident, world.l1, 60, "2026-10-10 10:00")
    with clock.frozen_at(at("2026-10-10 11:00")):
        incident.refresh_from_db()
        incident = services.incident_transition(actor=world.l1, incident=incident.number, transition="accept",
                                                version=incident.version)
        services.incident_transition(actor=world.l1, incident=incident.number, transition="escalate",
                                     version=incident.version, group=world.l2_group, reason="Needs L2")
    log_work(incident, world.l2, 30, "2026-10-10 12:00")
    rows = {row.key: row.minutes for row in report(world.admin, "group").rows}
    # L1's hour stays with L1 though the record is with L2 now.
    assert rows == {str(world.l1_group.pk): 60, str(world.l2_group.pk): 30}
    only_l1 = selectors.man_hour_report(user=world.admin, group_by="service", filters=selectors.ReportFilter(
        period=period_of(user=world.admin), group=world.l1_group.pk))
    assert only_l1.total.minutes == 60


def test_a_city_sees_only_its_own_figures(world, levels, incident_at, log_work):
    city_a = incident_at("2026-10-10 09:00")
    city_b = incident_at("2026-10-10 09:00", requester=world.requester2)
    log_work(city_a, world.l1, 60, "2026-10-10 10:00")
    log_work(city_b, world.l1, 30, "2026-10-10 10:00")
    # l1 works in City A: the City B record they worked on is not City A's cost.
    assert report(world.l1).total.minutes == 60
    assert report(world.l2).total.minutes == 90  # the province sees both cities
    assert report(world.auditor).total.minutes == 90
    with pytest.raises(PermissionDenied):
        report(world.requester)
    with pytest.raises(PermissionDenied):  # an organisation viewer reads records, not internal work logs
        report(world.viewer_a)
    drill = selectors.man_hour_worklogs(user=world.l1, group_by="organisation", key=str(world.city_b.pk),
                                        filters=selectors.ReportFilter(period=period_of(user=world.l1)))
    assert list(drill) == []


@pytest.mark.parametrize(("arguments", "field"), [
    ({"month": "2026-13"}, "month"), ({"month": "10/2026"}, "month"), ({"month_from": "2026-1"}, "month_from"),
    ({"month_from": "2026-11", "month_to": "2026-10"}, "month_to"),
])
def test_bad_months_name_the_field(world, arguments, field):
    with pytest.raises(ValidationFailed) as error:
        period_of(user=world.admin, **arguments)
    assert list(error.value.field_errors) == [field]


def test_a_bad_grouping_names_the_field(world):
    with pytest.raises(ValidationFailed) as error:
        report(world.admin, "colour")
    assert list(error.value.field_errors) == ["group_by"]


def test_a_promotion_does_not_reprice_earlier_work(world, levels, incident_at, log_work):
    incident = incident_at("2026-10-10 09:00")
    log_work(incident, world.l1, 60, "2026-10-31 23:30")  # junior, 120.00
    log_work(incident, world.l1, 60, "2026-11-01 00:30")  # senior from 1 November (Shanghai), 133.33
    accounts.user_staff_level_set(actor=world.admin, user=world.l1, level=levels.senior,
                                  effective_from=dt.date(2026, 11, 1))
    by_month = {row.key: row.cost for row in report(world.admin, "month").rows}
    assert by_month == {"2026-10": Decimal("120.00"), "2026-11": Decimal("133.33")}
    by_level = {row.key: row.minutes for row in report(world.admin, "level").rows}
    assert by_level == {str(levels.junior.pk): 60, str(levels.senior.pk): 60}
    lines = selectors.priced(selectors.man_hour_worklogs(
        user=world.admin, group_by="level", key=str(levels.junior.pk),
        filters=selectors.ReportFilter(period=period_of(user=world.admin))))
    assert [(line.level, line.cost) for line in lines] == [(levels.junior, Decimal("120.00"))]


def test_before_a_persons_first_level_their_work_is_unpriced(world, levels, incident_at, log_work):
    incident = incident_at("2026-10-10 09:00", group=world.l3_group, assignee=world.l3)
    log_work(incident, world.l3, 30, "2026-10-10 10:00")
    accounts.user_staff_level_set(actor=world.admin, user=world.l3, level=levels.senior,
                                  effective_from=dt.date(2026, 10, 11))
    log_work(incident, world.l3, 30, "2026-10-11 10:00")
    total = report(world.admin).total
    assert (total.unpriced_minutes, total.cost) == (30, Decimal("66.67"))  # 30 × 133.33 / 60 = 66.665 → 66.67
