"""Priority: computed from a configurable impact × urgency matrix; an override needs a reason and the right."""

from __future__ import annotations

import pytest

from opsdesk.audit.models import AuditEntry
from opsdesk.core.errors import PermissionDenied, ValidationFailed
from opsdesk.incidents import services
from opsdesk.incidents.models import Incident, PriorityRule

HIGH, MEDIUM, LOW = 1, 2, 3

# impact, urgency → priority (P1 critical … P4 low): the seeded default matrix.
DEFAULT = [
    (HIGH, HIGH, 1), (HIGH, MEDIUM, 2), (HIGH, LOW, 3),
    (MEDIUM, HIGH, 2), (MEDIUM, MEDIUM, 3), (MEDIUM, LOW, 4),
    (LOW, HIGH, 3), (LOW, MEDIUM, 4), (LOW, LOW, 4),
]


@pytest.mark.parametrize(("impact", "urgency", "priority"), DEFAULT)
def test_the_default_matrix(world, make, impact, urgency, priority) -> None:
    incident = make.report(impact=impact, urgency=urgency)
    assert (incident.priority, incident.priority_overridden) == (priority, False)


def test_changing_a_matrix_cell_changes_the_computed_priority(world, make) -> None:
    assert make.report(impact=LOW, urgency=HIGH).priority == 3
    PriorityRule.objects.update_or_create(impact=LOW, urgency=HIGH, defaults={"priority": 1})
    assert make.report(impact=LOW, urgency=HIGH).priority == 1
    assert make.report(impact=LOW, urgency=LOW).priority == 4  # the other cells stay


def test_changing_impact_recomputes_the_priority(world, make) -> None:
    incident = make.report(impact=LOW, urgency=HIGH)
    updated = services.incident_update(actor=world.desk, incident=incident.number, version=incident.version,
                                       impact=HIGH)
    assert updated.priority == 1
    entry = AuditEntry.objects.filter(subject_id=incident.pk, action="incident.updated").get()
    assert entry.data["changes"]["priority"] == [3, 1]
    assert entry.data["changes"]["impact"] == [LOW, HIGH]


def test_the_desk_overrides_the_priority_with_a_reason(world, make) -> None:
    incident = make.report(actor=world.desk, requester=world.requester, impact=LOW, urgency=LOW, priority=2,
                           priority_reason="The plant manager's line is down")
    assert (incident.priority, incident.priority_overridden, incident.priority_reason) == \
        (2, True, "The plant manager's line is down")


def test_an_override_without_a_reason_is_refused(world, make) -> None:
    with pytest.raises(ValidationFailed) as caught:
        make.report(actor=world.desk, requester=world.requester, impact=LOW, urgency=LOW, priority=1,
                    priority_reason="  ")
    assert "priority_reason" in caught.value.field_errors
    assert not Incident.objects.exists()


def test_a_requester_cannot_choose_their_own_priority(world, make) -> None:
    with pytest.raises(PermissionDenied):
        make.report(impact=LOW, urgency=LOW, priority=1, priority_reason="Mine is the most important")
    assert not Incident.objects.exists()


def test_asking_for_the_computed_priority_is_not_an_override(world, make) -> None:
    incident = make.report(impact=HIGH, urgency=HIGH, priority=1)
    assert (incident.priority, incident.priority_overridden) == (1, False)


@pytest.mark.parametrize("priority", ["urgent", 0, 9, "9"])
def test_a_priority_outside_the_list_is_refused_by_name(world, make, priority) -> None:
    with pytest.raises(ValidationFailed) as caught:
        make.report(actor=world.desk, requester=world.requester, priority=priority, priority_reason="because")
    assert "priority" in caught.value.field_errors
    incident = make.report()
    with pytest.raises(ValidationFailed) as caught:
        services.incident_update(actor=world.desk, incident=incident.number, version=incident.version,
                                 priority=priority, priority_reason="because")
    assert "priority" in caught.value.field_errors
    assert Incident.objects.get(pk=incident.pk).priority == incident.priority


def test_overriding_on_update_needs_the_dispatch_right_and_a_reason(world, make) -> None:
    incident = make.assigned(assignee=world.l1, impact=LOW, urgency=LOW)
    with pytest.raises(PermissionDenied):  # the handler works the record but does not set its priority
        services.incident_update(actor=world.l1, incident=incident.number, version=incident.version, priority=1,
                                 priority_reason="Feels urgent")
    with pytest.raises(ValidationFailed) as caught:
        services.incident_update(actor=world.desk, incident=incident.number, version=incident.version, priority=1)
    assert "priority_reason" in caught.value.field_errors
    updated = services.incident_update(actor=world.desk, incident=incident.number, version=incident.version,
                                       priority=1, priority_reason="Production line stopped")
    assert (updated.priority, updated.priority_overridden) == (1, True)


def test_an_override_survives_unrelated_edits_but_not_a_new_impact(world, make) -> None:
    incident = make.report(actor=world.desk, requester=world.requester, impact=LOW, urgency=LOW, priority=2,
                           priority_reason="VIP")
    incident = services.incident_update(actor=world.desk, incident=incident.number, version=incident.version,
                                        title="Login fails for the plant manager")
    assert (incident.priority, incident.priority_overridden) == (2, True)
    incident = services.incident_update(actor=world.desk, incident=incident.number, version=incident.version,
                                        impact=MEDIUM)
    assert (incident.priority, incident.priority_overridden, incident.priority_reason) == (4, False, "")
