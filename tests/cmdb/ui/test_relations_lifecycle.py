"""Relations added and removed on the CI page; lifecycle buttons with reasons; custody agreements."""

from __future__ import annotations

from django.urls import reverse

from opsdesk.cmdb.models import ConfigurationItem, CustodyAgreement, Relation


def test_adding_and_removing_a_relation_on_the_ci_page(as_user, cmdb, estate):
    storage = cmdb.ci("storage", "nj-storage-01")
    client = as_user("admin", "en")
    url = reverse("ui:cmdb_relation_add", args=[estate.server.pk])
    response = client.post(url, {"relation-kind": "depends_on", "relation-direction": "out",
                                 "relation-other": storage.pk})
    assert response.status_code == 302
    relation = Relation.objects.get(source=estate.server, target=storage, kind="depends_on")
    html = client.get(reverse("ui:cmdb_ci_detail", args=[storage.pk])).content.decode()
    assert "pms-app-01" in html and "added a relation" in html  # incoming on the other CI, and its history
    client.post(reverse("ui:cmdb_relation_remove", args=[estate.server.pk, relation.pk]))
    assert not Relation.objects.filter(pk=relation.pk).exists()


def test_a_relation_no_rule_allows_is_refused_with_the_reason(as_user, cmdb, estate):
    response = as_user("admin", "en").post(reverse("ui:cmdb_relation_add", args=[estate.cabinet.pk]), {
        "relation-kind": "runs_on", "relation-direction": "out", "relation-other": estate.app.pk})
    assert response.status_code == 422
    assert "no rule allows it" in response.content.decode()
    assert not Relation.objects.filter(source=estate.cabinet).exists()


def test_a_relation_without_the_other_ci_names_the_field(as_user, estate):
    response = as_user("admin", "en").post(reverse("ui:cmdb_relation_add", args=[estate.server.pk]), {
        "relation-kind": "depends_on", "relation-direction": "out", "relation-other": ""})
    assert response.status_code == 422 and "Choose the other CI." in response.content.decode()


def test_lifecycle_buttons_move_the_asset_and_ask_for_a_reason_where_needed(as_user, estate):
    client = as_user("admin", "en")
    ci = estate.server
    client.post(reverse("ui:cmdb_ci_transition", args=[ci.pk, "verify"]), {"verify-version": ci.version})
    ci = ConfigurationItem.objects.get(pk=ci.pk)
    client.post(reverse("ui:cmdb_ci_transition", args=[ci.pk, "put_in_use"]), {"put_in_use-version": ci.version})
    ci = ConfigurationItem.objects.get(pk=ci.pk)
    assert ci.state == "in_use"
    response = client.post(reverse("ui:cmdb_ci_transition", args=[ci.pk, "repair"]),
                           {"repair-version": ci.version, "repair-reason": ""})
    assert response.status_code in (409, 422)
    assert ConfigurationItem.objects.get(pk=ci.pk).state == "in_use"
    response = client.post(reverse("ui:cmdb_ci_transition", args=[ci.pk, "repair"]),
                           {"repair-version": ci.version, "repair-reason": "电源模块故障"})
    assert response.status_code == 302 and ConfigurationItem.objects.get(pk=ci.pk).state == "in_repair"
    html = client.get(reverse("ui:cmdb_ci_detail", args=[ci.pk])).content.decode()
    assert "电源模块故障" in html and 'data-transition="put_in_use"' in html and 'data-transition="verify"' not in html


def test_recording_a_custody_agreement_makes_its_custodian_the_assets(as_user, world, estate):
    response = as_user("admin", "en").post(reverse("ui:cmdb_custody_add", args=[estate.server.pk]), {
        "custody-number": "BGXY-2026-001", "custody-signed_on": "2026-01-05", "custody-custodian": world.l1.pk})
    assert response.status_code == 302
    assert CustodyAgreement.objects.get().number == "BGXY-2026-001"
    assert ConfigurationItem.objects.get(pk=estate.server.pk).custodian == world.l1
