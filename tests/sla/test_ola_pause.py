"""OLA: a record's stay with a group pauses while it is pending for a reason its agreement names, like the
resolution clock; other pending reasons do not pause it."""

from __future__ import annotations

import pytest

from opsdesk.sla import services as sla
from opsdesk.sla.models import GroupSpan

from .conftest import act, at


@pytest.fixture
def l1_target(world, agreement):
    return sla.operational_target_save(actor=world.admin, group=world.l1_group, priority=None, target_minutes=480)


def span_of(incident, group) -> GroupSpan:
    return GroupSpan.objects.get(incident=incident, group=group)


def test_a_group_stay_pauses_while_pending_on_the_customer(world, l1_target, report):
    incident = report(group=world.l1_group, assignee=world.l1)  # Monday 09:00, 8 business hours with L1
    assert span_of(incident, world.l1_group).due_at == at(2, 17)
    act(at(2, 10), world.l1, incident, "accept")
    act(at(2, 11), world.l1, incident, "pend", reason="need a screenshot", pending_reason="customer")
    assert span_of(incident, world.l1_group).due_at is None  # paused: no due time
    # Resumed Tuesday 15:30 with 2 h counted: 6 h left → Tue 1.5 h, Wed 4.5 h → Wednesday 13:30.
    act(at(3, 15, 30), world.l1, incident, "resume")
    assert span_of(incident, world.l1_group).due_at == at(4, 13, 30)
    act(at(4, 10), world.desk, incident, "assign", group=world.l2_group.pk)
    span = span_of(incident, world.l1_group)
    # Mon 09–11 (2 h) + Tue 15:30–17 (1.5 h) + Wed 09–10 (1 h); the pending stretch does not count.
    assert (span.ended_at, span.business_seconds, span.met) == (at(4, 10), int(4.5 * 3600), True)


def test_pending_on_a_vendor_does_not_pause_when_the_agreement_does_not_say_so(world, l1_target, report):
    incident = report(group=world.l1_group, assignee=world.l1)
    act(at(2, 10), world.l1, incident, "accept")
    act(at(2, 11), world.l1, incident, "pend", reason="SAP", pending_reason="vendor", vendor="SAP")
    assert span_of(incident, world.l1_group).due_at == at(2, 17)
    act(at(3, 10), world.l1, incident, "resume")
    act(at(3, 11), world.desk, incident, "assign", group=world.l2_group.pk)
    assert span_of(incident, world.l1_group).business_seconds == 10 * 3600  # Mon 8 h + Tue 2 h, all counted
