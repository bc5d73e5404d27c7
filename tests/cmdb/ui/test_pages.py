"""The CMDB pages render for staff, in Chinese by default, and stay closed to requesters."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from opsdesk.cmdb.models import AttributeDefinition, CIClass
from opsdesk.core import clock


def test_every_cmdb_page_renders_in_chinese_for_staff(as_user, estate):
    client = as_user("admin")
    pages = [
        reverse("ui:cmdb_ci_list"), reverse("ui:cmdb_ci_detail", args=[estate.server.pk]),
        reverse("ui:cmdb_ci_edit", args=[estate.server.pk]),
        reverse("ui:cmdb_ci_new") + f"?ci_class={estate.server.ci_class_id}", reverse("ui:cmdb_ci_new"),
        reverse("ui:cmdb_class_list"), reverse("ui:cmdb_class_detail", args=[estate.server.ci_class_id]),
        reverse("ui:cmdb_warranty_report"), reverse("ui:cmdb_map_operation"), reverse("ui:cmdb_map_application"),
        reverse("ui:cmdb_import"),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert '<html lang="zh-hans">' in html, url
    detail = client.get(reverse("ui:cmdb_ci_detail", args=[estate.server.pk])).content.decode()
    assert "服务器" in detail and "SN-1001" in detail and "10.1.1.11" in detail
    assert 'src="/static/vendor/cytoscape/cytoscape.min.js"' in client.get(reverse("ui:cmdb_map_operation")).content.decode()


def test_the_navbar_leads_staff_to_the_cmdb(as_user, estate):
    html = as_user("l1").get(reverse("ui:incident_queue")).content.decode()
    assert f'href="{reverse("ui:cmdb_ci_list")}" id="nav-cmdb"' in html


def test_requesters_do_not_see_the_cmdb(as_user, estate):
    client = as_user("requester")
    assert client.get(reverse("ui:cmdb_ci_list")).status_code == 403
    assert client.get(reverse("ui:cmdb_ci_detail", args=[estate.server.pk])).status_code in (403, 404)
    assert client.get(reverse("ui:cmdb_map_operation_data") + f"?ci={estate.app.pk}").status_code == 403


def test_a_city_engineer_does_not_see_another_citys_ci(as_user, cmdb, estate):
    other = cmdb.ci("server", "city-b-srv", org=cmdb.world.city_b)
    client = as_user("l1")  # City A
    assert client.get(reverse("ui:cmdb_ci_detail", args=[other.pk])).status_code == 404
    assert "city-b-srv" not in client.get(reverse("ui:cmdb_ci_list")).content.decode()
    assert "pms-app-01" in client.get(reverse("ui:cmdb_ci_list")).content.decode()


def test_the_detail_page_shows_relations_both_ways_impact_and_history(as_user, estate):
    html = as_user("admin", "en").get(reverse("ui:cmdb_ci_detail", args=[estate.server.pk])).content.decode()
    assert "生产管理系统" in html and "pms-oracle" in html and "nj-acc-sw-01" in html  # incoming and outgoing
    assert 'data-impact="services"' in html and "Production management" in html  # the app on it supports the service
    assert "registered the CI" in html  # the history's first entry
    assert "Send for repair" not in html and "Verify" in html  # only the allowed transitions


def test_an_administrator_defines_a_class_and_its_attributes_in_the_page(as_user, cmdb):
    client = as_user("admin", "en")
    parent = cmdb.classes["hardware"]
    response = client.post(reverse("ui:cmdb_class_list"), {"name": "不间断电源", "name_en": "UPS", "code": "ups",
                                                           "parent": parent.pk, "is_maintained": "on"})
    ups = CIClass.objects.get(code="ups")
    assert response.status_code == 302 and ups.parent == parent
    response = client.post(reverse("ui:cmdb_class_detail", args=[ups.pk]), {
        "attr-name": "额定功率", "attr-code": "rated_kva", "attr-type": "number", "attr-order": "1"})
    assert response.status_code == 302
    response = client.post(reverse("ui:cmdb_class_detail", args=[ups.pk]), {
        "attr-name": "电池类型", "attr-code": "battery", "attr-type": "choice", "attr-choices": "铅酸\n锂电"})
    assert AttributeDefinition.objects.get(ci_class=ups, code="battery").choices == ["铅酸", "锂电"]
    html = client.get(reverse("ui:cmdb_class_detail", args=[ups.pk])).content.decode()
    assert "rated_kva" in html and "serial_number" in html and "inherited from" in html  # hardware's attributes
    form = client.get(reverse("ui:cmdb_ci_new") + f"?ci_class={ups.pk}").content.decode()
    assert 'name="attr_rated_kva"' in form and 'name="attr_serial_number"' in form and "锂电" in form


def test_a_choice_without_choices_is_refused_next_to_the_field(as_user, cmdb):
    response = as_user("admin", "en").post(reverse("ui:cmdb_class_detail", args=[cmdb.classes["server"].pk]), {
        "attr-name": "机房等级", "attr-code": "tier", "attr-type": "choice", "attr-choices": ""})
    assert response.status_code == 422
    html = response.content.decode()
    assert "A choice needs at least one allowed value." in html and 'value="tier"' in html
    assert not AttributeDefinition.objects.filter(code="tier").exists()


def test_only_administrators_define_classes(as_user, cmdb):
    response = as_user("l2").post(reverse("ui:cmdb_class_list"), {"name": "x", "code": "x"})
    assert response.status_code == 403
    assert not CIClass.objects.filter(code="x").exists()


def test_the_warranty_report_lists_what_expires_in_90_days(as_user, cmdb, estate):
    today = clock.now().date()
    cmdb.ci("server", "expiring-soon", warranty_end=(today + dt.timedelta(days=30)).isoformat())
    cmdb.ci("server", "expiring-later", warranty_end=(today + dt.timedelta(days=200)).isoformat())
    cmdb.ci("server", "expired-already", warranty_end=(today - dt.timedelta(days=2)).isoformat())
    html = as_user("admin", "en").get(reverse("ui:cmdb_warranty_report")).content.decode()
    assert "expiring-soon" in html and ">30<" in html
    assert "expiring-later" not in html and "expired-already" not in html


def test_the_list_and_detail_pages_have_bounded_queries(as_user, cmdb, estate, django_assert_max_num_queries):
    for index in range(30):
        cmdb.ci("server", f"bulk-{index:02d}", attributes={"serial_number": f"B-{index}"})
    client = as_user("admin", "en")
    client.get(reverse("ui:cmdb_ci_list"))
    with django_assert_max_num_queries(20):
        response = client.get(reverse("ui:cmdb_ci_list"), {"fa": "os", "fv": "Linux"})
    assert response.status_code == 200
    with django_assert_max_num_queries(40):
        client.get(reverse("ui:cmdb_ci_detail", args=[estate.server.pk]))


def test_an_administrator_edits_a_class_and_an_attributes_choices(as_user, cmdb, estate):
    client = as_user("admin", "en")
    server = cmdb.classes["server"]
    response = client.post(reverse("ui:cmdb_class_edit", args=[server.pk]), {
        "class-name": "服务器（物理机）", "class-parent": server.parent_id, "class-is_maintained": "on",
        "class-is_active": "on"})
    assert response.status_code == 302
    assert CIClass.objects.get(pk=server.pk).name == "服务器（物理机）"
    os_attribute = AttributeDefinition.objects.get(ci_class=server, code="os")
    url = reverse("ui:cmdb_attribute_edit", args=[server.pk, os_attribute.pk])
    assert "Linux" in client.get(url).content.decode()
    response = client.post(url, {"name": "操作系统", "choices": "Windows\nKylin"})  # Linux is in use by pms-app-01
    assert response.status_code == 422
    assert "A removed choice is still used by some CIs." in response.content.decode()
    response = client.post(url, {"name": "操作系统", "choices": "Linux\nWindows\nKylin\nEulerOS"})
    assert response.status_code == 302
    assert AttributeDefinition.objects.get(pk=os_attribute.pk).choices == ["Linux", "Windows", "Kylin", "EulerOS"]
    inherited = AttributeDefinition.objects.get(code="serial_number")
    assert client.get(reverse("ui:cmdb_attribute_edit", args=[server.pk, inherited.pk])).status_code == 404
    assert as_user("l2").post(url, {"name": "x"}).status_code == 403
