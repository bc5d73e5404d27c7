"""Functional escalation L1 → L2 → L3 and back down the same path."""

from __future__ import annotations

import pytest

from opsdesk.accounts import services as accounts
from opsdesk.audit.models import AuditEntry
from opsdesk.core.errors import PermissionDenied
from opsdesk.notifications.models import Notification

from .records import step


def test_up_to_l3_and_back_down_to_l1(world, make) -> None:
    incident = make.in_progress()
    incident = step(incident, world.l1, "escalate", group=world.l2_group, reason="Needs a database fix")
    assert incident.escalation_path == [world.l1_group.pk]
    incident = step(incident, world.l2, "accept")
    incident = step(incident, world.l2, "escalate", group=world.l3_group, reason="Needs a code patch")
    assert (incident.assigned_group, incident.escalation_path) == (world.l3_group, [world.l1_group.pk, world.l2_group.pk])
    assert Notification.objects.filter(recipient=world.l3, kind="escalated", subject_id=incident.pk).exists()
    incident = step(incident, world.l3, "accept")
    assert (incident.state, incident.assignee) == ("in_progress", world.l3)

    incident = step(incident, world.l3, "return", reason="Patched; L2 to verify")
    assert (incident.state, incident.assigned_group, incident.assignee) == ("assigned", world.l2_group, None)
    assert incident.escalation_path == [world.l1_group.pk]
    assert Notification.objects.filter(recipient=world.l2, kind="assigned", subject_id=incident.pk).exists()
    incident = step(incident, world.l2, "return", reason="Verified; L1 to confirm with the user")
    assert (incident.assigned_group, incident.escalation_path) == (world.l1_group, [])
    with pytest.raises(PermissionDenied):  # nowhere further down to go
        step(incident, world.l1, "return", reason="again")

    entries = AuditEntry.objects.filter(subject_id=incident.pk, action="incident.escalated").order_by("id")
    assert [(e.data["from_group"], e.data["to_group"], e.data["reason"]) for e in entries] == [
        (world.l1_group.pk, world.l2_group.pk, "Needs a database fix"),
        (world.l2_group.pk, world.l3_group.pk, "Needs a code patch"),
    ]


def test_the_engineer_who_escalated_loses_the_record(world, make) -> None:
    incident = step(make.in_progress(), world.l1, "escalate", group=world.l2_group, reason="L2 please")
    with pytest.raises(PermissionDenied):
        step(incident, world.l1, "resolve", resolution="I fixed it after all")


def test_a_vendor_group_is_above_l3(world, make) -> None:
    vendor = accounts.group_create(name="SAP 供应商", code="sap-vendor", organisation=world.hq, line="vendor",
                                   members=[world.l3])
    incident = step(make.in_progress(), world.l1, "escalate", group=world.l3_group, reason="Code")
    incident = step(incident, world.l3, "escalate", group=vendor, reason="Needs an SAP note")
    assert incident.assigned_group == vendor


def test_escalating_straight_to_a_named_engineer(world, make) -> None:
    incident = step(make.in_progress(), world.l1, "escalate", group=world.l2_group, assignee=world.l2,
                    reason="Ask l2 directly")
    assert incident.assignee == world.l2
