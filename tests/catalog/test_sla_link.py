"""A service product's SLA: chosen on its page or sent with the API, saved through the SLA app, shown back."""

from __future__ import annotations

import pytest
from django.urls import reverse

from opsdesk.audit.models import AuditEntry
from opsdesk.catalog import services
from opsdesk.catalog.models import Service
from opsdesk.core.errors import ValidationFailed
from opsdesk.sla import services as sla_services
from opsdesk.sla.selectors import agreement_for_service
from tests.api.expect import error_of

TARGETS = {1: (15, 240), 2: (30, 480), 3: (60, 960), 4: (120, 1920)}


@pytest.fixture
def agreements(world):
    gold = sla_services.agreement_save(actor=world.admin, name="金牌", name_en="Gold", code="gold", targets=TARGETS)
    silver = sla_services.agreement_save(actor=world.admin, name="银牌", name_en="Silver", code="silver",
                                         targets=TARGETS)
    retired = sla_services.agreement_save(actor=world.admin, name="旧协议", code="retired", targets=TARGETS,
                                          is_active=False)
    return gold, silver, retired


def test_a_service_is_offered_under_an_agreement_and_moved_to_another(world, agreements) -> None:
    gold, silver, retired = agreements
    service = services.service_create(actor=world.admin, code="outage", name="停电计划", agreement=gold)
    assert agreement_for_service(service) == gold
    services.service_update(actor=world.admin, service=service, agreement=silver)
    assert agreement_for_service(service) == silver
    services.service_update(actor=world.admin, service=service, agreement=None)
    assert agreement_for_service(service) is None
    assert AuditEntry.objects.filter(action="sla.service_agreement_set", subject_id=service.pk).count() == 3


def test_an_inactive_agreement_is_refused_on_the_sla_field_and_nothing_is_created(world, agreements) -> None:
    with pytest.raises(ValidationFailed) as caught:
        services.service_create(actor=world.admin, code="outage", name="停电计划", agreement=agreements[2])
    assert set(caught.value.field_errors) == {"sla"}
    assert not Service.objects.filter(code="outage").exists()


def test_the_api_shows_and_sets_the_sla(world, agreements, client_for) -> None:
    gold = agreements[0]
    client = client_for(world.admin)
    response = client.post_json("/api/v1/services", {"code": "outage", "name": "停电计划", "sla": gold.pk})
    assert response.status_code == 201, response.content
    assert response.json()["sla"] == gold.pk
    listed = {s["code"]: s for s in client.get("/api/v1/services").json()["items"]}
    assert (listed["outage"]["sla"], listed["pms"]["sla"]) == (gold.pk, None)
    body = error_of(client.post_json("/api/v1/services", {"code": "other", "name": "其他", "sla": 999999}), 422)
    assert set(body["errors"]) == {"sla"}
    body = error_of(client.post_json("/api/v1/services", {"code": "other", "name": "其他",
                                                          "sla": agreements[2].pk}), 422)
    assert set(body["errors"]) == {"sla"}


def test_the_service_page_offers_the_active_agreements(world, agreements, as_user) -> None:
    gold, silver, retired = agreements
    client = as_user("admin", language="zh-hans")
    url = reverse("ui:catalogue_service", args=[world.production.pk])
    html = client.get(url).content.decode()
    assert "金牌" in html and "银牌" in html and "旧协议" not in html
    response = client.post(url, {"code": "pms", "name": "生产管理系统", "name_en": "Production management",
                                 "kind": "production", "description": "", "application": "", "owner_group": "",
                                 "sla": silver.pk, "is_active": "on"})
    assert response.status_code == 302
    assert agreement_for_service(world.production) == silver
    assert f'<option value="{silver.pk}" selected>' in client.get(url).content.decode()
