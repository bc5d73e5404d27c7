"""The record form's affected-CI picker: the incident and its CIs are written together, or nothing is."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from opsdesk.audit.models import AuditEntry
from opsdesk.cmdb import selectors, services
from opsdesk.cmdb.models import IncidentCI
from opsdesk.core.errors import ValidationFailed
from opsdesk.incidents.models import Incident


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client


def _record(world, **overrides):
    data = {
        "requester": world.requester.pk, "channel": "phone", "service": world.production.pk,
        "category": world.categories["operation"].pk, "title": "Cannot post goods receipt",
        "description": "Caller says the posting button is greyed out.", "impact": "2", "urgency": "2",
        "priority": "", "priority_reason": "", "group": world.l1_group.pk, "assignee": world.l1.pk,
    }
    data.update(overrides)
    return data


@pytest.fixture
def cis(cmdb, world):
    return {
        "server": cmdb.ci("server", "pms-app-01"),
        "db": cmdb.ci("database", "pms-oracle", org=world.city_b),
        "hq": cmdb.ci("server", "hq-core-01", org=world.hq),  # outside the desk's scope (province and below)
    }


def test_the_desk_records_an_incident_with_its_affected_cis(cmdb, world, cis):
    response = _client(world.desk).post(reverse("ui:incident_new"),
                                        _record(world, cis=[cis["server"].pk, cis["db"].pk]))
    assert response.status_code == 302
    incident = Incident.objects.get()
    assert selectors.incident_cis(user=world.desk, incident=incident) == [cis["server"], cis["db"]]
    entry = AuditEntry.objects.get(action="incident.cis_changed")
    assert entry.actor_id == world.desk.pk and entry.data["changes"]["affected_cis"] == ["", "pms-app-01, pms-oracle"]
    detail = _client(world.desk).get(response["Location"]).content.decode()
    assert 'id="affected-cis"' in detail


def test_recording_without_cis_still_works(cmdb, world, cis):
    response = _client(world.desk).post(reverse("ui:incident_new"), _record(world))
    assert response.status_code == 302
    assert Incident.objects.count() == 1 and not IncidentCI.objects.exists()


@pytest.mark.parametrize("refused", ["hidden", "unknown", "not_a_number"])
def test_a_refused_ci_shows_on_the_field_keeps_what_was_typed_and_creates_nothing(cmdb, world, cis, refused):
    bad = {"hidden": cis["hq"].pk, "unknown": 987654, "not_a_number": "pms"}[refused]
    audit_before = AuditEntry.objects.count()
    response = _client(world.desk).post(reverse("ui:incident_new"),
                                        _record(world, cis=[cis["server"].pk, bad], title="ERP posting fails"))
    assert response.status_code == 422
    html = response.content.decode()
    picker = re.search(r'<select name="cis" id="id_cis"[^>]*>', html)
    assert picker and "is-invalid" in picker.group(0)
    if refused == "not_a_number":
        assert "Choose from the list." in html
    else:
        assert f"CI {bad} does not exist." in html
        assert "hq-core-01" not in html  # a CI out of scope is never named
    assert 'value="ERP posting fails"' in html
    assert f'<option value="{cis["server"].pk}" selected>' in html  # the visible CI chosen stays chosen
    assert Incident.objects.count() == 0
    assert not IncidentCI.objects.exists()
    assert AuditEntry.objects.count() == audit_before


def test_the_service_refuses_before_writing_and_rolls_back_a_refused_incident(cmdb, world, cis):
    with pytest.raises(ValidationFailed) as excinfo:
        services.incident_create_with_cis(actor=world.desk, cis=[cis["hq"]], title="x", description="y",
                                          service=world.production, requester=world.requester, channel="phone")
    assert set(excinfo.value.field_errors) == {"cis"}
    with pytest.raises(ValidationFailed) as excinfo:  # the incident itself refused: no link either
        services.incident_create_with_cis(actor=world.desk, cis=[cis["server"]], title="", description="y",
                                          service=world.production, requester=world.requester, channel="phone")
    assert "title" in excinfo.value.field_errors
    assert Incident.objects.count() == 0 and not IncidentCI.objects.exists()
    incident = services.incident_create_with_cis(actor=world.desk, cis=[cis["server"].pk, str(cis["server"].pk)],
                                                 title="x", description="y", service=world.production,
                                                 requester=world.requester, channel="phone")
    assert list(IncidentCI.objects.filter(incident=incident).values_list("ci_id", flat=True)) == [cis["server"].pk]


def test_the_picker_search_keeps_the_chosen_cis_first(cmdb, world, cis):
    other = cmdb.ci("server", "pms-app-02")
    html = _client(world.desk).get(reverse("ui:cmdb_ci_options"),
                                   {"ci_q": "pms-app", "cis": [cis["server"].pk, cis["hq"].pk]}).content.decode()
    assert html.index(f'<option value="{cis["server"].pk}" selected>') < html.index(f'<option value="{other.pk}">')
    assert html.count(f'value="{cis["server"].pk}"') == 1
    assert "hq-core-01" not in html
