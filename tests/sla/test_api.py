"""The SLA in the API: the incident's ``sla`` object, and ``/slas``."""

from __future__ import annotations

import pytest

from opsdesk.accounts.services import api_token_create
from opsdesk.core import clock
from opsdesk.sla.models import ServiceAgreement
from tests.api.expect import ApiClient, error_of

from .conftest import act, at


@pytest.fixture
def client_for(world):
    def make(user) -> ApiClient:
        secret = api_token_create(actor=user, name="tests").secret
        return ApiClient(headers={"Authorization": f"Bearer {secret}", "Accept-Language": "en"})

    return make


def get(client: ApiClient, path: str, when):
    with clock.frozen_at(when):
        response = client.get(path)
    assert response.status_code == 200, response.content[:300]
    return response.json()


def test_the_incident_sla_object(world, agreement, report, client_for):
    incident = report(group=world.l1_group, assignee=world.l1)
    other = report(service=world.erp)
    client = client_for(world.l1)
    body = get(client, f"/api/v1/incidents/{incident.number}", at(2, 10))
    assert body["sla"] == {"response_due": "2026-03-02T03:00:00Z", "resolution_due": "2026-03-05T09:00:00Z",
                           "response_met": None, "resolution_met": None, "paused": False,
                           "remaining_seconds": 3600}
    assert get(client_for(world.desk), f"/api/v1/incidents/{other.number}", at(2, 10))["sla"] is None
    act(at(2, 10), world.l1, incident, "accept")
    act(at(2, 11), world.l1, incident, "pend", reason="screenshot", pending_reason="customer")
    body = get(client, f"/api/v1/incidents/{incident.number}", at(2, 15))
    assert body["sla"]["response_met"] is True and body["sla"]["paused"] is True
    assert body["sla"]["resolution_due"] is None
    assert body["sla"]["remaining_seconds"] == 30 * 3600  # 32 h − 2 h counted, paused since 11:00
    listed = get(client_for(world.desk), "/api/v1/incidents", at(2, 15))["items"]
    assert {row["number"]: row["sla"] is None for row in listed} == {incident.number: False, other.number: True}


def test_incident_list_reads_clocks_without_a_query_per_row(world, agreement, report, client_for,
                                                            django_assert_max_num_queries, django_assert_num_queries):
    client = client_for(world.desk)
    for _ in range(2):
        report(group=world.l1_group)
    get(client, "/api/v1/me", at(2, 10))
    with django_assert_max_num_queries(12) as few:
        get(client, "/api/v1/incidents", at(2, 10))
    for _ in range(10):
        report(group=world.l1_group)
    with django_assert_num_queries(len(few.captured_queries)):
        assert len(get(client, "/api/v1/incidents", at(2, 10))["items"]) == 12


def test_list_create_and_read_agreements(world, office, client_for):
    admin = client_for(world.admin)
    payload = {"code": "network", "name": "网络 SLA", "name_en": "Network SLA", "calendar": office.pk,
               "pause_on_vendor": True, "targets": [{"priority": 1, "response_minutes": 10, "resolution_minutes": 120},
                                                    {"priority": 4, "response_minutes": 60, "resolution_minutes": 960}],
               "thresholds": [{"percent": 75}, {"percent": 100, "notify_managers": True}],
               "services": [world.erp.pk]}
    with clock.frozen_at(at(2, 9)):
        response = admin.post_json("/api/v1/slas", payload)
    assert response.status_code == 201, response.content
    made = response.json()
    assert made["targets"][0] == {"priority": 1, "response_minutes": 10, "resolution_minutes": 120}
    assert [t["percent"] for t in made["thresholds"]] == [75, 100] and made["services"] == [world.erp.pk]
    assert ServiceAgreement.objects.get(service=world.erp).agreement_id == made["id"]
    desk = client_for(world.desk)
    assert [a["code"] for a in get(desk, "/api/v1/slas?q=net", at(2, 9))["items"]] == ["network"]
    assert get(desk, "/api/v1/slas?q=nothing", at(2, 9))["items"] == []
    assert get(desk, f"/api/v1/slas/{made['id']}", at(2, 9))["name_en"] == "Network SLA"
    error_of(desk.get("/api/v1/slas/9999"), 404)
    # Only administrators create; bad input names the field.
    error_of(desk.post_json("/api/v1/slas", {**payload, "code": "other"}), 403)
    bad = error_of(admin.post_json("/api/v1/slas", {**payload, "code": "network",
                                                    "thresholds": [{"percent": 120}]}), 422)
    assert set(bad["errors"]) >= {"code", "thresholds"}
    error_of(client_for(world.requester).get("/api/v1/slas"), 403)


def test_operational_targets_read(world, office, client_for):
    from opsdesk.sla.services import operational_target_save

    operational_target_save(actor=world.admin, group=world.l1_group, priority=None, target_minutes=30)
    items = get(client_for(world.desk), "/api/v1/slas/ola", at(2, 9))["items"]
    assert items == [{"id": items[0]["id"], "group": world.l1_group.pk, "priority": None, "target_minutes": 30,
                      "calendar": None}]
