"""The incident record's "Affected CIs" panel: pick CIs, see what else they affect and who else reported it."""

from __future__ import annotations

from django.urls import reverse

from opsdesk.cmdb.models import IncidentCI
from opsdesk.incidents import services as incidents


def _incident(world, title="生产管理系统无法登录"):
    return incidents.incident_create(actor=world.requester, title=title, description="登录页超时。",
                                     service=world.production)


def test_the_incident_page_loads_the_panel_from_the_cmdb(as_user, world, estate):
    incident = _incident(world)
    html = as_user("desk").get(reverse("ui:incident_detail", args=[incident.number])).content.decode()
    assert f'hx-get="{reverse("ui:cmdb_incident_cis", args=[incident.number])}"' in html
    portal = as_user("requester").get(reverse("ui:portal_detail", args=[incident.number])).content.decode()
    assert "affected-cis" not in portal


def test_adding_a_ci_shows_its_impact_and_the_other_open_incidents_touching_it(as_user, cmdb, world, estate):
    earlier = _incident(world, "数据库连接池耗尽")
    incidents_url = reverse("ui:cmdb_incident_cis", args=[earlier.number])
    client = as_user("desk", "en")
    client.post(incidents_url, {"ci": estate.db.pk, "action": "add"}, HTTP_HX_REQUEST="true")
    incident = _incident(world)
    url = reverse("ui:cmdb_incident_cis", args=[incident.number])
    response = client.post(url, {"ci": estate.server.pk, "action": "add"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert IncidentCI.objects.filter(incident=incident, ci=estate.server).exists()
    assert f'data-affected-ci="{estate.server.pk}"' in html
    assert "Production management" in html  # the service the server's application supports
    assert "data-other-incidents" in html and earlier.number in html  # the database on it already has an incident
    response = client.post(url, {"ci": estate.server.pk, "action": "remove"}, HTTP_HX_REQUEST="true")
    assert not IncidentCI.objects.filter(incident=incident).exists()
    assert "No CI is linked to this incident yet." in response.content.decode()


def test_the_ci_search_for_the_picker_finds_by_name_and_serial(as_user, estate):
    client = as_user("desk")
    html = client.get(reverse("ui:cmdb_ci_options"), {"ci_q": "SN-1001"}).content.decode()
    assert f'<option value="{estate.server.pk}">pms-app-01' in html
    assert "pms-oracle" not in html


def test_a_bad_pick_says_why_and_links_nothing(as_user, world, estate):
    incident = _incident(world)
    response = as_user("desk", "en").post(reverse("ui:cmdb_incident_cis", args=[incident.number]),
                                          {"ci": "", "action": "add"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422 and "Choose a CI." in response.content.decode()
    assert not IncidentCI.objects.exists()


def test_a_read_only_auditor_sees_the_panel_but_cannot_change_it(as_user, world, estate):
    incident = _incident(world)
    url = reverse("ui:cmdb_incident_cis", args=[incident.number])
    client = as_user("auditor", "en")
    assert 'name="action" value="add"' not in client.get(url).content.decode()
    response = client.post(url, {"ci": estate.server.pk, "action": "add"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 403 and not IncidentCI.objects.exists()


def test_the_ci_page_lists_the_incidents_that_name_it(as_user, cmdb, world, estate):
    incident = _incident(world)
    from opsdesk.cmdb import services

    services.incident_cis_add(actor=world.desk, incident=incident, cis=[estate.server])
    html = as_user("admin", "en").get(reverse("ui:cmdb_ci_detail", args=[estate.server.pk])).content.decode()
    assert incident.number in html
