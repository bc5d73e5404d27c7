"""The catalogue administration pages: Chinese by default, bad forms kept with the field named, trees edited."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from opsdesk.audit.models import AuditEntry
from opsdesk.catalog.models import ApplicationNode, Category, RoutingRule, Service
from opsdesk.catalog.selectors import priority_matrix


def test_the_catalogue_pages_render_in_chinese(world, catalogue, as_user) -> None:
    client = as_user("admin", language="zh-hans")
    pages = [reverse("ui:catalogue"), reverse("ui:catalogue_node_new"), reverse("ui:catalogue_node", args=[catalogue.pms.pk]),
             reverse("ui:catalogue_services"), reverse("ui:catalogue_service_new"),
             reverse("ui:catalogue_service", args=[world.production.pk]), reverse("ui:routing_rules"),
             reverse("ui:priority_matrix")]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        assert '<html lang="zh-hans">' in response.content.decode(), page
    tree = client.get(reverse("ui:catalogue")).content.decode()
    for text in ("生产管理系统", "生产调度", "调度平台", "停电计划", "财务", "二线"):
        assert text in tree
    assert 'data-service="pms"' in tree and 'data-node="pms-outage"' in tree


def test_others_are_refused_and_a_routing_manager_sees_only_routing(world, catalogue, as_user) -> None:
    admin_pages = [reverse("ui:catalogue"), reverse("ui:catalogue_node_new"), reverse("ui:catalogue_services"),
                   reverse("ui:catalogue_service", args=[world.production.pk]), reverse("ui:priority_matrix")]
    for username in ("desk", "l2", "auditor", "requester", "category_admin"):
        client = as_user(username)
        for page in admin_pages:
            assert client.get(page).status_code == 403, (username, page)
        response = client.post(reverse("ui:catalogue_node_new"), {"code": "x", "name": "X"})
        assert response.status_code == 403
    assert as_user("category_admin").get(reverse("ui:routing_rules")).status_code == 200
    assert as_user("desk").get(reverse("ui:routing_rules")).status_code == 403
    assert not ApplicationNode.objects.filter(code="x").exists()


def test_the_navigation_shows_the_catalogue_to_those_who_may_use_it(world, as_user) -> None:
    assert reverse("ui:catalogue") in as_user("admin").get(reverse("ui:home")).content.decode()
    routing = as_user("category_admin").get(reverse("ui:home")).content.decode()
    assert reverse("ui:routing_rules") in routing and reverse("ui:catalogue") + '"' not in routing
    assert "/catalogue/" not in as_user("desk").get(reverse("ui:home")).content.decode()


def test_adding_a_subsystem_under_a_system(world, catalogue, as_user) -> None:
    response = as_user("admin").post(reverse("ui:catalogue_node_new"), {
        "parent": catalogue.pms.pk, "code": "pms-equipment", "name": "设备管理", "name_en": "Equipment",
        "owner_group": world.l2_group.pk, "organisation": "", "description": ""})
    assert response.status_code == 302
    node = ApplicationNode.objects.get(code="pms-equipment")
    assert (node.level, node.parent, node.owner_group) == ("subsystem", catalogue.pms, world.l2_group)


def test_a_bad_node_form_keeps_the_input_and_names_the_field(world, catalogue, as_user) -> None:
    response = as_user("admin").post(reverse("ui:catalogue_node_new"), {
        "parent": catalogue.outage.pk, "code": "pms", "name": "设备管理台账", "name_en": "", "owner_group": "",
        "organisation": "", "description": "很长的说明"})
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="id_code_errors"' in html and 'id="id_parent_errors"' in html
    assert 'value="设备管理台账"' in html and "很长的说明" in html
    assert not ApplicationNode.objects.filter(name="设备管理台账").exists()


def test_deactivating_a_system_asks_to_confirm_then_deactivates_everything(world, catalogue, as_user) -> None:
    client = as_user("admin")
    url = reverse("ui:catalogue_node_deactivate", args=[catalogue.pms.pk])
    response = client.post(url)
    assert response.status_code == 422
    assert 'id="cascade-message"' in response.content.decode()
    assert ApplicationNode.objects.get(pk=catalogue.pms.pk).is_active

    assert client.post(url, {"cascade": "on"}).status_code == 302
    assert not ApplicationNode.objects.filter(code__startswith="pms", is_active=True).exists()
    assert not Service.objects.get(pk=world.production.pk).is_active


def test_creating_and_editing_a_service_product(world, catalogue, as_user) -> None:
    client = as_user("admin")
    data = {"code": "outage", "name": "停电计划服务", "name_en": "Outage planning", "kind": "production",
            "description": "", "application": catalogue.outage.pk, "owner_group": world.l2_group.pk, "is_active": "on"}
    response = client.post(reverse("ui:catalogue_service_new"), data)
    service = Service.objects.get(code="outage")
    assert response.status_code == 302 and response["Location"] == reverse("ui:catalogue_service", args=[service.pk])
    assert service.application == catalogue.outage

    response = client.post(reverse("ui:catalogue_service", args=[service.pk]), {**data, "name": ""})
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="id_name_errors"' in html and 'value="Outage planning"' in html
    response = client.post(reverse("ui:catalogue_service", args=[service.pk]), {**data, "code": "erp"})
    assert response.status_code == 422
    assert 'id="id_code_errors"' in response.content.decode()
    assert Service.objects.get(pk=service.pk).name == "停电计划服务"

    client.post(reverse("ui:catalogue_service", args=[service.pk]), {**data, "is_active": ""})
    assert not Service.objects.get(pk=service.pk).is_active


def test_editing_the_category_tree(world, as_user) -> None:
    client = as_user("admin")
    service_url = reverse("ui:catalogue_service", args=[world.production.pk])
    new = reverse("ui:catalogue_category_new", args=[world.production.pk])
    response = client.post(new, {"category-new-parent": world.categories["bug"].pk, "category-new-code": "bug-ui",
                                 "category-new-name": "界面缺陷", "category-new-name_en": "UI defect"})
    assert response.status_code == 302 and response["Location"] == service_url
    child = Category.objects.get(code="bug-ui")
    assert child.parent == world.categories["bug"]

    # A duplicate code: the add form comes back open, with what was typed and the field named.
    response = client.post(new, {"category-new-parent": "", "category-new-code": "bug",
                                 "category-new-name": "重复", "category-new-name_en": ""})
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="id_category-new-code_errors"' in html and 'value="重复"' in html

    # Rename and move to the top.
    key = f"category-{child.pk}"
    response = client.post(reverse("ui:catalogue_category", args=[child.pk]), {
        f"{key}-parent": "", f"{key}-code": "bug-ui", f"{key}-name": "界面问题", f"{key}-name_en": "UI issue"})
    assert response.status_code == 302
    child.refresh_from_db()
    assert (child.name, child.parent) == ("界面问题", None)

    # Moving a category under its own child is refused next to the field.
    bug = world.categories["bug"]
    client.post(reverse("ui:catalogue_category", args=[child.pk]), {
        f"{key}-parent": bug.pk, f"{key}-code": "bug-ui", f"{key}-name": "界面问题", f"{key}-name_en": ""})
    bug_key = f"category-{bug.pk}"
    response = client.post(reverse("ui:catalogue_category", args=[bug.pk]), {
        f"{bug_key}-parent": child.pk, f"{bug_key}-code": "bug", f"{bug_key}-name": "程序BUG", f"{bug_key}-name_en": ""})
    assert response.status_code == 422
    assert f'id="id_{bug_key}-parent_errors"' in response.content.decode()

    # Deactivating the parent asks first, then takes the child along.
    url = reverse("ui:catalogue_category_deactivate", args=[bug.pk])
    assert client.post(url).status_code == 422
    assert client.post(url, {"cascade": "on"}).status_code == 302
    assert set(Category.objects.filter(is_active=False).values_list("code", flat=True)) == {"bug", "bug-ui"}
    assert AuditEntry.objects.filter(action="category.deactivated").count() == 2


def test_a_routing_manager_adds_and_changes_a_rule(world, as_user) -> None:
    client = as_user("category_admin")
    response = client.post(reverse("ui:routing_rules"), {
        "rule-new-service": world.production.pk, "rule-new-category": world.categories["bug"].pk,
        "rule-new-organisation": world.city_a.pk, "rule-new-group": world.l2_group.pk, "rule-new-is_active": "on"})
    assert response.status_code == 302
    rule = RoutingRule.objects.get()
    assert (rule.category, rule.organisation, rule.group) == (world.categories["bug"], world.city_a, world.l2_group)

    # A rule for every organisation reaches beyond the province: refused, with the input kept.
    response = client.post(reverse("ui:routing_rules"), {
        "rule-new-service": world.erp.pk, "rule-new-category": world.categories["erp_report"].pk,
        "rule-new-organisation": "", "rule-new-group": world.l1_group.pk})
    assert response.status_code == 403
    assert RoutingRule.objects.count() == 1

    # A category of another service is named on its field.
    key = f"rule-{rule.pk}"
    response = client.post(reverse("ui:routing_rule", args=[rule.pk]), {
        f"{key}-service": world.production.pk, f"{key}-category": world.categories["erp_report"].pk,
        f"{key}-organisation": world.city_a.pk, f"{key}-group": world.l1_group.pk, f"{key}-is_active": "on"})
    assert response.status_code == 422
    assert f'id="id_{key}-category_errors"' in response.content.decode()

    response = client.post(reverse("ui:routing_rule", args=[rule.pk]), {
        f"{key}-service": world.production.pk, f"{key}-category": world.categories["bug"].pk,
        f"{key}-organisation": world.city_a.pk, f"{key}-group": world.l1_group.pk})
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.group, rule.is_active) == (world.l1_group, False)
    assert client.post(reverse("ui:routing_rule_delete", args=[rule.pk])).status_code == 302
    assert not RoutingRule.objects.exists()


def test_the_priority_matrix_page(world, as_user) -> None:
    client = as_user("admin")
    data = {f"cell_{i}_{u}": str(p) for (i, u), p in priority_matrix().items()}
    response = client.post(reverse("ui:priority_matrix"), {**data, "cell_3_1": "1"})
    assert response.status_code == 302
    assert priority_matrix()[(3, 1)] == 1
    response = client.post(reverse("ui:priority_matrix"), {**data, "cell_2_2": "7"})
    assert response.status_code == 422
    assert 'id="id_cell_2_2_errors"' in response.content.decode()
    assert priority_matrix()[(3, 1)] == 1


def test_the_pages_cost_a_bounded_number_of_queries(world, catalogue, as_user) -> None:
    from opsdesk.catalog import services

    client = as_user("admin")
    urls = (reverse("ui:catalogue"), reverse("ui:routing_rules"),
            reverse("ui:catalogue_service", args=[world.production.pk]))

    def counts() -> list[int]:
        measured = []
        for url in urls:
            with CaptureQueriesContext(connection) as context:
                assert client.get(url).status_code == 200
            measured.append(len(context.captured_queries))
        return measured

    before = counts()
    for n in range(6):  # more nodes, services, categories and rules must not mean more queries
        node = services.application_node_create(actor=world.admin, code=f"extra-{n}", name=f"子系统{n}",
                                                parent=catalogue.erp)
        services.service_create(actor=world.admin, code=f"svc-{n}", name=f"服务{n}", application=node)
        category = services.category_create(actor=world.admin, service=world.production, code=f"cat-{n}",
                                            name=f"类别{n}")
        services.routing_rule_create(actor=world.admin, service=world.production, group=world.l1_group,
                                     category=category)
    after = counts()
    assert after == before, (before, after)
    assert max(after) <= 30
