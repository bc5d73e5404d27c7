"""The catalogue's services: what an administrator may build, what is refused and why, and the trail left."""

from __future__ import annotations

import pytest

from opsdesk.audit.models import AuditEntry
from opsdesk.audit.services import audit_verify_chain
from opsdesk.catalog import selectors, services
from opsdesk.catalog.models import ApplicationNode, Category, RoutingRule, Service
from opsdesk.core.errors import PermissionDenied, ValidationFailed
from opsdesk.incidents import services as incident_services


def fields_of(caught: pytest.ExceptionInfo) -> set[str]:
    return set(caught.value.field_errors)


# The application catalogue ----------------------------------------------------------------------


def test_each_level_hangs_under_the_one_above(world, catalogue) -> None:
    assert [catalogue.pms.level, catalogue.dispatch.level, catalogue.platform.level, catalogue.outage.level] == [
        "system", "subsystem", "platform", "module"]
    tree = selectors.application_tree()
    assert [item.node.code for item in tree] == ["erp", "pms"]
    pms = tree[1]
    assert pms.services == [world.production]
    assert pms.children[0].children[0].children[0].node == catalogue.outage


def test_a_level_that_does_not_fit_its_parent_is_refused(world, catalogue) -> None:
    with pytest.raises(ValidationFailed) as caught:
        services.application_node_create(actor=world.admin, code="x", name="X", level="module", parent=catalogue.pms)
    assert fields_of(caught) == {"level"}
    with pytest.raises(ValidationFailed) as caught:
        services.application_node_create(actor=world.admin, code="x", name="X", level="platform")
    assert fields_of(caught) == {"parent"}  # only a system stands at the top
    with pytest.raises(ValidationFailed) as caught:
        services.application_node_create(actor=world.admin, code="x", name="X", parent=catalogue.outage)
    assert fields_of(caught) == {"parent"}  # a module has no children
    assert not ApplicationNode.objects.filter(code="x").exists()


def test_codes_are_unique_and_well_formed_and_names_required(world, catalogue) -> None:
    with pytest.raises(ValidationFailed) as caught:
        services.application_node_create(actor=world.admin, code="PMS", name=" ")
    assert caught.value.field_errors.keys() == {"code", "name"}
    with pytest.raises(ValidationFailed) as caught:
        services.application_node_create(actor=world.admin, code="生产 系统", name="生产")
    assert fields_of(caught) == {"code"}
    with pytest.raises(ValidationFailed) as caught:
        services.application_node_update(actor=world.admin, node=catalogue.erp, code="pms-outage")
    assert fields_of(caught) == {"code"}


def test_a_node_cannot_move_under_itself_or_its_descendants(world, catalogue) -> None:
    for parent in (catalogue.dispatch, catalogue.platform):
        with pytest.raises(ValidationFailed) as caught:
            services.application_node_update(actor=world.admin, node=catalogue.dispatch, parent=parent)
        assert fields_of(caught) == {"parent"}
        assert "descendants" in caught.value.field_errors["parent"][0]
    assert ApplicationNode.objects.get(pk=catalogue.dispatch.pk).parent_id == catalogue.pms.pk


def test_moving_a_subsystem_to_another_system_keeps_its_level_and_is_audited(world, catalogue) -> None:
    moved = services.application_node_update(actor=world.admin, node=catalogue.dispatch, parent=catalogue.erp,
                                             name="调度")
    assert (moved.parent, moved.level, moved.name) == (catalogue.erp, "subsystem", "调度")
    entry = AuditEntry.objects.filter(action="application_node.updated", subject_id=moved.pk).get()
    assert entry.actor == world.admin
    assert entry.data["changes"]["name"] == ["生产调度", "调度"]
    assert entry.data["changes"]["parent"][1]["id"] == catalogue.erp.pk


def test_moving_a_node_with_children_to_another_level_is_refused(world, catalogue) -> None:
    with pytest.raises(ValidationFailed) as caught:
        services.application_node_update(actor=world.admin, node=catalogue.platform, parent=catalogue.pms)
    assert fields_of(caught) == {"parent"}
    leaf = services.application_node_update(actor=world.admin, node=catalogue.outage, parent=catalogue.pms)
    assert leaf.level == "subsystem"  # a node without children takes the level below its new parent


def test_deactivating_a_node_with_active_children_or_services_needs_confirmation(world, catalogue) -> None:
    with pytest.raises(ValidationFailed) as caught:
        services.application_node_deactivate(actor=world.admin, node=catalogue.pms)
    assert fields_of(caught) == {"cascade"}
    assert "3" in caught.value.message and "1" in caught.value.message  # three nodes below, one service
    assert ApplicationNode.objects.filter(is_active=False).count() == 0

    services.application_node_deactivate(actor=world.admin, node=catalogue.pms, cascade=True)

    assert set(ApplicationNode.objects.filter(is_active=False).values_list("code", flat=True)) == {
        "pms", "pms-dispatch", "pms-dispatch-platform", "pms-outage"}
    assert not Service.objects.get(pk=world.production.pk).is_active
    assert AuditEntry.objects.filter(action="application_node.deactivated").count() == 4
    assert AuditEntry.objects.filter(action="service.deactivated", subject_id=world.production.pk).exists()
    assert audit_verify_chain().intact


def test_a_leaf_deactivates_without_confirmation_and_reactivates_under_an_active_parent(world, catalogue) -> None:
    services.application_node_deactivate(actor=world.admin, node=catalogue.outage)
    assert not ApplicationNode.objects.get(pk=catalogue.outage.pk).is_active
    with pytest.raises(ValidationFailed) as caught:
        services.application_node_create(actor=world.admin, code="y", name="Y", parent=catalogue.outage)
    services.application_node_deactivate(actor=world.admin, node=catalogue.platform)
    with pytest.raises(ValidationFailed) as caught:
        services.application_node_reactivate(actor=world.admin, node=catalogue.outage)
    assert fields_of(caught) == {"parent"}
    services.application_node_reactivate(actor=world.admin, node=catalogue.platform)
    assert services.application_node_reactivate(actor=world.admin, node=catalogue.outage).is_active


def test_only_administrators_change_the_catalogue(world, catalogue) -> None:
    for user in (world.desk, world.category_admin, world.auditor, world.requester):
        with pytest.raises(PermissionDenied):
            services.application_node_create(actor=user, code="x", name="X")
        with pytest.raises(PermissionDenied):
            services.application_node_deactivate(actor=user, node=catalogue.outage)
        with pytest.raises(PermissionDenied):
            services.service_create(actor=user, code="x", name="X")
        with pytest.raises(PermissionDenied):
            services.category_create(actor=user, service=world.production, code="x", name="X")
        with pytest.raises(PermissionDenied):
            services.priority_matrix_set(actor=user, cells={(3, 1): 1})
    assert not ApplicationNode.objects.filter(code="x").exists()


# Service products ------------------------------------------------------------------------------


def test_an_administrator_offers_a_service_on_a_node(world, catalogue) -> None:
    service = services.service_create(actor=world.admin, code="outage-plan", name="停电计划服务",
                                      name_en="Outage planning", kind="production", application=catalogue.outage,
                                      owner_group=world.l2_group, description="停电计划编制与审批")
    assert (service.application, service.owner_group, service.is_active) == (catalogue.outage, world.l2_group, True)
    entry = AuditEntry.objects.get(action="service.created", subject_id=service.pk)
    assert entry.data["fields"]["code"] == "outage-plan"
    assert entry.data["fields"]["application"]["id"] == catalogue.outage.pk


def test_a_bad_service_names_every_field_and_writes_nothing(world, catalogue) -> None:
    services.application_node_deactivate(actor=world.admin, node=catalogue.outage)
    with pytest.raises(ValidationFailed) as caught:
        services.service_create(actor=world.admin, code="erp", name="", kind="mainframe", application=catalogue.outage)
    assert fields_of(caught) == {"code", "name", "kind", "application"}
    assert Service.objects.count() == 2


def test_updating_a_service_records_only_what_changed(world, catalogue) -> None:
    services.service_update(actor=world.admin, service=world.erp, name_en="ERP (SAP)", owner_group=world.l3_group)
    entry = AuditEntry.objects.filter(action="service.updated", subject_id=world.erp.pk).last()
    assert set(entry.data["changes"]) == {"name_en", "owner_group"}
    count = AuditEntry.objects.count()
    services.service_update(actor=world.admin, service=world.erp, name_en="ERP (SAP)")
    assert AuditEntry.objects.count() == count  # nothing changed, nothing recorded


# Category trees --------------------------------------------------------------------------------


def test_categories_are_added_renamed_and_moved_within_their_service(world) -> None:
    bug = world.categories["bug"]
    ui = services.category_create(actor=world.admin, service=world.production, code="bug-ui", name="界面缺陷",
                                  parent=bug)
    assert ui.parent == bug
    services.category_update(actor=world.admin, category=ui, name="界面问题", parent=world.categories["operation"])
    ui.refresh_from_db()
    assert (ui.name, ui.parent) == ("界面问题", world.categories["operation"])
    assert AuditEntry.objects.filter(action="category.updated", subject_id=ui.pk).get().data["changes"]["name"] == [
        "界面缺陷", "界面问题"]
    rows = selectors.category_tree_rows(service=world.production)
    assert [(row.category.code, row.depth) for row in rows] == [("operation", 0), ("bug-ui", 1), ("bug", 0)]


def test_category_moves_that_would_break_the_tree_are_refused(world) -> None:
    bug = world.categories["bug"]
    child = services.category_create(actor=world.admin, service=world.production, code="bug-ui", name="界面", parent=bug)
    with pytest.raises(ValidationFailed) as caught:
        services.category_update(actor=world.admin, category=bug, parent=child)
    assert fields_of(caught) == {"parent"}
    with pytest.raises(ValidationFailed) as caught:
        services.category_update(actor=world.admin, category=bug, parent=world.categories["erp_report"])
    assert fields_of(caught) == {"parent"}
    with pytest.raises(ValidationFailed) as caught:
        services.category_create(actor=world.admin, service=world.production, code="BUG", name="又一个")
    assert fields_of(caught) == {"code"}
    # The same code in another service is fine.
    services.category_create(actor=world.admin, service=world.erp, code="bug", name="程序BUG")


def test_deactivating_a_category_with_subcategories_needs_confirmation(world) -> None:
    bug = world.categories["bug"]
    services.category_create(actor=world.admin, service=world.production, code="bug-ui", name="界面", parent=bug)
    with pytest.raises(ValidationFailed) as caught:
        services.category_deactivate(actor=world.admin, category=bug)
    assert fields_of(caught) == {"cascade"}
    services.category_deactivate(actor=world.admin, category=bug, cascade=True)
    assert set(Category.objects.filter(is_active=False).values_list("code", flat=True)) == {"bug", "bug-ui"}
    assert [c.code for c in selectors.category_list(service_id=world.production.pk)] == ["operation"]
    services.category_reactivate(actor=world.admin, category=bug)
    assert Category.objects.get(pk=bug.pk).is_active


# Routing rules ---------------------------------------------------------------------------------


def test_a_routing_manager_routes_a_category_in_their_organisation(world) -> None:
    rule = services.routing_rule_create(actor=world.category_admin, service=world.production,
                                        category=world.categories["bug"], organisation=world.city_a,
                                        group=world.l2_group)
    incident = incident_services.incident_create(actor=world.requester, title="报表打不开", description="点击无反应",
                                                 service=world.production, category=world.categories["bug"])
    assert incident.assigned_group == world.l2_group
    entry = AuditEntry.objects.get(action="routing_rule.created")
    assert (entry.actor, entry.subject_id, entry.organisation_id) == (world.category_admin, rule.pk, world.city_a.pk)

    services.routing_rule_update(actor=world.category_admin, rule=rule, group=world.l1_group)
    assert RoutingRule.objects.get(pk=rule.pk).group == world.l1_group
    services.routing_rule_delete(actor=world.category_admin, rule=rule)
    assert not RoutingRule.objects.exists()
    assert AuditEntry.objects.filter(action="routing_rule.deleted", subject_id=rule.pk).exists()


def test_a_routing_manager_stays_inside_their_organisations(world) -> None:
    # category_admin holds routing.manage at the province (and below), not at headquarters.
    with pytest.raises(PermissionDenied):
        services.routing_rule_create(actor=world.category_admin, service=world.production, group=world.l2_group,
                                     organisation=world.hq)
    with pytest.raises(PermissionDenied):  # a rule for every organisation reaches beyond the province
        services.routing_rule_create(actor=world.category_admin, service=world.production, group=world.l2_group)
    rule = services.routing_rule_create(actor=world.admin, service=world.production, group=world.l2_group)
    with pytest.raises(PermissionDenied):
        services.routing_rule_update(actor=world.category_admin, rule=rule, organisation=world.city_a)
    for user in (world.desk, world.l2, world.auditor):
        with pytest.raises(PermissionDenied):
            services.routing_rule_create(actor=user, service=world.production, group=world.l2_group,
                                         organisation=world.city_a)
    assert RoutingRule.objects.count() == 1


def test_a_routing_rule_names_what_is_wrong(world) -> None:
    with pytest.raises(ValidationFailed) as caught:
        services.routing_rule_create(actor=world.admin, service=world.production, group=None,
                                     category=world.categories["erp_report"])
    assert fields_of(caught) == {"group", "category"}
    services.routing_rule_create(actor=world.admin, service=world.production, group=world.l1_group,
                                 category=world.categories["bug"])
    with pytest.raises(ValidationFailed) as caught:
        services.routing_rule_create(actor=world.admin, service=world.production, group=world.l2_group,
                                     category=world.categories["bug"])
    assert fields_of(caught) == {"category"}  # one active rule per service, category and organisation


# The priority matrix ---------------------------------------------------------------------------


def test_the_priority_matrix_is_changed_by_an_administrator(world) -> None:
    assert selectors.priority_matrix()[(3, 1)] == 3
    matrix = services.priority_matrix_set(actor=world.admin, cells={(3, 1): 1, (1, 1): 1})
    assert matrix[(3, 1)] == 1 and matrix[(3, 3)] == 4
    assert incident_services.priority_for(impact=3, urgency=1) == 1
    entry = AuditEntry.objects.get(action="priority_matrix.updated")
    assert entry.data["changes"] == {"3x1": [3, 1]}


def test_a_priority_outside_the_scale_names_its_cell(world) -> None:
    with pytest.raises(ValidationFailed) as caught:
        services.priority_matrix_set(actor=world.admin, cells={(1, 2): 9, (2, 2): "x", (3, 3): 2})
    assert fields_of(caught) == {"cell_1_2", "cell_2_2"}
    assert selectors.priority_matrix()[(3, 3)] == 4  # the valid cell was not written either
    assert not AuditEntry.objects.filter(action="priority_matrix.updated").exists()
