"""The reports API: figures, drill-down, 422s naming the parameter, and scope."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from opsdesk.accounts.models import User
from opsdesk.accounts.services import api_token_create
from tests.api.expect import ApiClient, error_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_for(world: Any) -> Callable[[User], ApiClient]:
    def make(user: User) -> ApiClient:
        secret = api_token_create(actor=user, name="tests").secret
        return ApiClient(headers={"Authorization": f"Bearer {secret}", "Accept-Language": "en"})

    return make


@pytest.fixture
def logged(world, levels, incident_at, log_work):
    city_a = incident_at("2026-10-10 09:00")
    city_b = incident_at("2026-10-10 09:00", requester=world.requester2, service=world.erp)
    log_work(city_a, world.l1, 45, "2026-10-31 23:30")  # October in Shanghai: 45 × 120.00 / 60 = 90.00
    log_work(city_b, world.l1, 30, "2026-11-01 00:30")  # November in Shanghai: 60.00
    return city_a, city_b


def test_man_hours_per_service_for_a_month(world, logged, client_for):
    response = client_for(world.admin).get("/api/v1/reports/man-hours", {"group_by": "service", "month": "2026-10"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["group_by"] == "service"
    assert [(r["key"]["id"], r["key"]["label"], r["minutes"], r["cost"]) for r in body["rows"]] == [
        (world.production.pk, "Production management", 45, "90.00")]
    assert body["total"]["cost"] == "90.00"
    assert body["total"]["hours"] == "0.75"


def test_man_hours_per_month_and_drill_down(world, logged, client_for):
    client = client_for(world.admin)
    body = client.get("/api/v1/reports/man-hours", {"group_by": "month"}).json()
    assert [(r["key"]["id"], r["minutes"], r["cost"]) for r in body["rows"]] == [
        ("2026-10", 45, "90.00"), ("2026-11", 30, "60.00")]
    assert body["total"]["cost"] == "150.00"
    logs = client.get("/api/v1/reports/man-hours/worklogs", {"group_by": "month", "key": "2026-11"}).json()
    assert [(item["incident"], item["minutes"], item["hourly_rate"], item["cost"]) for item in logs["items"]] == [
        (logged[1].number, 30, "120.00", "60.00")]


@pytest.mark.parametrize(("path", "params", "field"), [
    ("/api/v1/reports/man-hours", {"group_by": "colour"}, "group_by"),
    ("/api/v1/reports/man-hours", {"month": "2026-13"}, "month"),
    ("/api/v1/reports/man-hours", {"month": "October"}, "month"),
    ("/api/v1/reports/man-hours", {"month_from": "2026-11", "month_to": "2026-10"}, "month_to"),
    ("/api/v1/reports/man-hours", {"service": "erp"}, "service"),
    ("/api/v1/reports/sla", {"group_by": "assignee"}, "group_by"),
    ("/api/v1/reports/sla", {"month": "2026-1"}, "month"),
    ("/api/v1/reports/man-hours/worklogs", {"group_by": "month", "key": "soon"}, "key"),
    ("/api/v1/reports/man-hours/worklogs", {"group_by": "service"}, "key"),
])
def test_bad_parameters_are_422_naming_the_parameter(world, client_for, path, params, field):
    body = error_of(client_for(world.admin).get(path, params), 422)
    assert field in body["errors"], body


def test_people_without_a_scope_get_403(world, client_for):
    error_of(client_for(world.requester).get("/api/v1/reports/man-hours"), 403)
    error_of(client_for(world.viewer_a).get("/api/v1/reports/man-hours"), 403)
    # Whatever they send: a 422 would tell them which parameters the report reads.
    error_of(client_for(world.requester).get("/api/v1/reports/man-hours", {"group_by": "assignee"}), 403)
    error_of(client_for(world.requester).get("/api/v1/reports/man-hours/worklogs", {"month": "soon", "key": "x"}), 403)


def test_a_city_engineer_sees_only_the_city(world, logged, client_for):
    body = client_for(world.l1).get("/api/v1/reports/man-hours", {"group_by": "organisation"}).json()
    assert [(r["key"]["id"], r["minutes"]) for r in body["rows"]] == [(world.city_a.pk, 45)]
    drill = client_for(world.l1).get("/api/v1/reports/man-hours/worklogs",
                                     {"group_by": "organisation", "key": str(world.city_b.pk)}).json()
    assert drill["items"] == []


def test_signed_out_is_401():
    response = ApiClient().get("/api/v1/reports/man-hours")
    assert response.status_code == 401


def test_query_count_does_not_grow_with_the_rows(world, levels, incident_at, log_work, client_for,
                                                 django_assert_max_num_queries):
    client = client_for(world.admin)
    for day in range(1, 6):
        incident = incident_at(f"2026-10-{day:02d} 09:00", service=world.erp if day % 2 else world.production,
                               requester=world.requester2 if day % 2 else world.requester)
        log_work(incident, world.l1, 10 * day, f"2026-10-{day:02d} 10:00")
    for group_by in ("service", "organisation", "group", "month", "level"):
        with django_assert_max_num_queries(6):
            assert client.get("/api/v1/reports/man-hours", {"group_by": group_by}).status_code == 200
    with django_assert_max_num_queries(6):
        assert client.get("/api/v1/reports/man-hours/worklogs", {"group_by": "month", "key": "2026-10"}).status_code == 200
    for group_by in ("service", "organisation", "group", "month", "priority"):
        with django_assert_max_num_queries(6):
            assert client.get("/api/v1/reports/sla", {"group_by": group_by}).status_code == 200
