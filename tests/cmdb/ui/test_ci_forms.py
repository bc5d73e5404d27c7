"""Registering and editing a CI through its class's form: errors next to the field, what was typed kept."""

from __future__ import annotations

from django.urls import reverse

from opsdesk.audit.models import AuditEntry
from opsdesk.cmdb.models import ConfigurationItem


def _form(cmdb, **overrides):
    data = {"ci_class": cmdb.classes["server"].pk, "name": "erp-app-09", "organisation": cmdb.world.city_a.pk,
            "attr_serial_number": "SN-9", "attr_ip_address": "10.2.3.4", "attr_os": "Linux", "attr_cpu_cores": "32",
            "warranty_end": "2027-06-30", "financial_category": "fixed_asset", "value": "168000.00",
            "is_maintained": "on"}
    data.update(overrides)
    return data


def test_a_bad_attribute_keeps_the_input_and_names_the_attribute(as_user, cmdb):
    client = as_user("admin", "en")
    response = client.post(reverse("ui:cmdb_ci_new"), _form(cmdb, attr_ip_address="10.2.3.999",
                                                            attr_cpu_cores="many"))
    assert response.status_code == 422
    html = response.content.decode()
    assert "“IP address” must be an IP address, not “10.2.3.999”." in html
    assert "“CPU cores” must be a number, not “many”." in html
    assert 'value="10.2.3.999"' in html and 'value="erp-app-09"' in html and 'value="SN-9"' in html
    assert 'id="id_attr_ip_address_errors"' in html  # next to its field
    assert not ConfigurationItem.objects.filter(name="erp-app-09").exists()


def test_a_unique_attribute_already_used_is_refused_next_to_it(as_user, cmdb, estate):
    response = as_user("admin", "en").post(reverse("ui:cmdb_ci_new"), _form(cmdb, attr_serial_number="SN-1001"))
    assert response.status_code in (409, 422)
    html = response.content.decode()
    assert 'id="id_attr_serial_number_errors"' in html and 'value="SN-1001"' in html


def test_a_good_form_registers_the_ci_with_its_attributes_and_history(as_user, cmdb):
    response = as_user("admin", "en").post(reverse("ui:cmdb_ci_new"), _form(cmdb))
    ci = ConfigurationItem.objects.get(name="erp-app-09")
    assert response.status_code == 302 and response["Location"] == reverse("ui:cmdb_ci_detail", args=[ci.pk])
    assert ci.attributes == {"serial_number": "SN-9", "ip_address": "10.2.3.4", "os": "Linux", "cpu_cores": 32}
    assert str(ci.warranty_end) == "2027-06-30" and ci.created_by == cmdb.world.admin
    assert AuditEntry.objects.filter(action="ci.created", subject_id=ci.pk).exists()


def test_editing_shows_old_and_new_values_on_the_timeline(as_user, cmdb, estate):
    client = as_user("admin", "en")
    url = reverse("ui:cmdb_ci_edit", args=[estate.server.pk])
    form = client.get(url).content.decode()
    assert 'value="10.1.1.11"' in form  # the stored values fill the form
    data = _form(cmdb, name="pms-app-01", attr_serial_number="SN-1001", attr_ip_address="10.1.1.12",
                 location="南京机房 B-02", version=str(estate.server.version))
    response = client.post(url, data)
    assert response.status_code == 302
    html = client.get(reverse("ui:cmdb_ci_detail", args=[estate.server.pk])).content.decode()
    assert "changed the CI" in html
    assert "<del class=\"text-body-secondary\">10.1.1.11</del>" in html and "10.1.1.12" in html
    assert "南京机房 A-01" in html and "南京机房 B-02" in html


def test_a_stale_edit_is_refused_and_keeps_what_was_typed(as_user, cmdb, estate):
    client = as_user("admin", "en")
    data = _form(cmdb, name="renamed", attr_serial_number="SN-1001", version=str(estate.server.version - 1 or 99))
    response = client.post(reverse("ui:cmdb_ci_edit", args=[estate.server.pk]), data)
    assert response.status_code == 409
    assert 'value="renamed"' in response.content.decode()
    assert ConfigurationItem.objects.get(pk=estate.server.pk).name == "pms-app-01"


def test_an_engineer_of_another_city_may_not_edit(as_user, cmdb):
    ci = cmdb.ci("server", "b-only", org=cmdb.world.city_b)
    assert as_user("l1").get(reverse("ui:cmdb_ci_edit", args=[ci.pk])).status_code == 404
    assert as_user("auditor").get(reverse("ui:cmdb_ci_edit", args=[ci.pk])).status_code == 403


def test_in_chinese_the_error_names_the_attribute_by_its_chinese_name(as_user, cmdb):
    response = as_user("admin").post(reverse("ui:cmdb_ci_new"), _form(cmdb, attr_ip_address="不是地址"))
    assert response.status_code == 422
    html = response.content.decode()
    assert "“IP地址”" in html and 'value="不是地址"' in html
