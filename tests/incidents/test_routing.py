"""Routing: category → group rules dispatch new records; round robin or least loaded picks the person."""

from __future__ import annotations

import pytest

from opsdesk.accounts import services as accounts
from opsdesk.audit.models import AuditEntry
from opsdesk.catalog.models import Category, RoutingRule
from opsdesk.core.errors import PermissionDenied, ValidationFailed
from opsdesk.incidents.models import Incident
from opsdesk.notifications.models import Notification

from .records import step


def test_without_a_rule_a_record_waits_for_the_desk(world, make) -> None:
    incident = make.report()
    assert (incident.state, incident.assigned_group) == ("new", None)


def test_a_service_rule_routes_every_category_of_the_service(world, make) -> None:
    RoutingRule.objects.create(service=world.production, group=world.l1_group)
    incident = make.report(category=world.categories["bug"])
    assert (incident.state, incident.assigned_group, incident.assignee) == ("assigned", world.l1_group, None)
    assert Notification.objects.filter(kind="assigned", subject_id=incident.pk).count() == 2  # l1 and l1b


def test_a_category_rule_beats_the_service_rule(world, make) -> None:
    RoutingRule.objects.create(service=world.production, group=world.l1_group)
    RoutingRule.objects.create(service=world.production, category=world.categories["bug"], group=world.l2_group)
    assert make.report(category=world.categories["bug"]).assigned_group == world.l2_group
    assert make.report(category=world.categories["operation"]).assigned_group == world.l1_group
    assert make.report(category=None).assigned_group == world.l1_group


def test_a_sub_category_follows_its_parents_rule(world, make) -> None:
    child = Category.objects.create(service=world.production, parent=world.categories["bug"], name="界面错误",
                                    code="ui-bug")
    RoutingRule.objects.create(service=world.production, category=world.categories["bug"], group=world.l3_group)
    assert make.report(category=child).assigned_group == world.l3_group


def test_a_rule_narrowed_to_an_organisation_wins_there_only(world, make) -> None:
    RoutingRule.objects.create(service=world.production, category=world.categories["bug"], group=world.l1_group)
    RoutingRule.objects.create(service=world.production, category=world.categories["bug"],
                               organisation=world.city_b, group=world.l2_group)
    RoutingRule.objects.create(service=world.production, category=world.categories["bug"],
                               organisation=world.province, group=world.l3_group)
    assert make.report(category=world.categories["bug"]).assigned_group == world.l3_group  # City A: province rule
    in_b = make.report(actor=world.requester2, category=world.categories["bug"])
    assert in_b.assigned_group == world.l2_group  # the City B rule is the most specific


def test_a_rule_of_another_service_or_an_inactive_rule_does_not_apply(world, make) -> None:
    RoutingRule.objects.create(service=world.erp, group=world.l2_group)
    RoutingRule.objects.create(service=world.production, group=world.l3_group, is_active=False)
    assert make.report().assigned_group is None


def test_routing_records_that_it_routed(world, make) -> None:
    RoutingRule.objects.create(service=world.production, group=world.l1_group)
    entry = AuditEntry.objects.get(action="incident.created", subject_id=make.report().pk)
    assert entry.data["routed"] is True


def test_round_robin_takes_turns_inside_the_group(world, make) -> None:
    world.l1_group.strategy = "round_robin"
    world.l1_group.save()
    RoutingRule.objects.create(service=world.production, group=world.l1_group)
    assignees = [make.report().assignee for _ in range(5)]
    assert assignees == [world.l1, world.l1b, world.l1, world.l1b, world.l1]
    assert Notification.objects.filter(kind="assigned", recipient=world.l1).count() == 3


def test_round_robin_also_applies_to_manual_dispatch_to_a_group(world, make) -> None:
    world.l1_group.strategy = "round_robin"
    world.l1_group.save()
    first = step(make.report(), world.desk, "assign", group=world.l1_group)
    second = step(make.report(), world.desk, "assign", group=world.l1_group)
    assert {first.assignee, second.assignee} == {world.l1, world.l1b}


def test_least_loaded_picks_the_engineer_with_the_fewest_open_records(world, make) -> None:
    make.assigned(assignee=world.l1)
    make.in_progress()  # also l1
    make.resolved()  # resolved work does not count
    world.l1_group.strategy = "least_loaded"
    world.l1_group.save()
    RoutingRule.objects.create(service=world.production, group=world.l1_group)
    assert make.report().assignee == world.l1b
    assert make.report().assignee == world.l1b  # l1b has 1, l1 has 2
    assert {make.report().assignee for _ in range(2)} <= {world.l1, world.l1b}
    load = {u: Incident.objects.filter(assignee=u, state__in=["assigned", "in_progress"]).count()
            for u in (world.l1, world.l1b)}
    assert abs(load[world.l1] - load[world.l1b]) <= 1


def test_an_inactive_member_gets_nothing(world, make) -> None:
    world.l1_group.strategy = "round_robin"
    world.l1_group.save()
    world.l1b.is_active = False
    world.l1b.save()
    RoutingRule.objects.create(service=world.production, group=world.l1_group)
    assert {make.report().assignee for _ in range(3)} == {world.l1}


def test_the_desk_dispatches_at_recording_time(world, make) -> None:
    incident = make.report(actor=world.desk, requester=world.requester, channel="phone", group=world.l1_group,
                           assignee=world.l1)
    assert (incident.state, incident.assigned_group, incident.assignee, incident.channel) == \
        ("assigned", world.l1_group, world.l1, "phone")
    assert incident.created_by == world.desk and incident.requester == world.requester


def test_dispatching_to_someone_outside_the_group_is_refused(world, make) -> None:
    with pytest.raises(ValidationFailed) as caught:
        make.report(actor=world.desk, requester=world.requester, group=world.l1_group, assignee=world.l3)
    assert "assignee" in caught.value.field_errors
    assert not Incident.objects.exists()


def test_a_requester_cannot_dispatch_their_own_report(world, make) -> None:
    with pytest.raises(PermissionDenied):
        make.report(group=world.l1_group)
    assert not Incident.objects.exists()


def test_a_group_with_nobody_active_leaves_the_record_to_the_group(world, make) -> None:
    empty = accounts.group_create(name="供应商", code="vendor-x", organisation=world.province, line="vendor",
                                  strategy="round_robin")
    RoutingRule.objects.create(service=world.production, group=empty)
    incident = make.report()
    assert (incident.assigned_group, incident.assignee) == (empty, None)
