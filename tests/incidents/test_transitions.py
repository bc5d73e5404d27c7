"""Every transition of the incident workflow: happy path, required inputs, refused states, guard."""

from __future__ import annotations

from typing import Any

import pytest

from opsdesk.audit.models import AuditEntry
from opsdesk.core.errors import PermissionDenied, TransitionNotAllowed, ValidationFailed
from opsdesk.incidents.models import Incident
from opsdesk.incidents.workflow import INCIDENT_WORKFLOW
from opsdesk.notifications.models import Notification

from .records import STATES, audit_actions, step

# The states each transition may leave from, written out so a reader sees the process.
SOURCES: dict[str, set[str]] = {
    "assign": {"new", "assigned", "in_progress"},
    "accept": {"assigned"},
    "pend": {"in_progress"},
    "resume": {"pending"},
    "escalate": {"assigned", "in_progress"},
    "return": {"assigned", "in_progress"},
    "resolve": {"new", "assigned", "in_progress"},
    "confirm": {"resolved"},
    "reject": {"resolved"},
    "close": {"resolved"},
    "reopen": {"closed"},
    "chase": {"new", "assigned", "in_progress", "pending"},
    "cancel": {"new", "assigned", "in_progress", "pending"},
}

# Who naturally takes each transition, and the inputs it needs.
NATURAL: dict[str, tuple[str, dict[str, Any]]] = {
    "assign": ("desk", {"group": "l1_group"}),
    "accept": ("l1", {}),
    "pend": ("l1", {"reason": "Waiting for the plant"}),
    "resume": ("l1", {}),
    "escalate": ("l1", {"group": "l2_group", "reason": "Needs L2"}),
    "return": ("l2", {"reason": "Back to you"}),
    "resolve": ("l1", {"resolution": "Restarted the service"}),
    "confirm": ("requester", {"rating": 4}),
    "reject": ("requester", {"reason": "Still broken"}),
    "close": ("desk", {}),
    "reopen": ("requester", {"reason": "It is back"}),
    "chase": ("requester", {}),
    "cancel": ("desk", {"reason": "Duplicate"}),
}


def _inputs(world, inputs: dict[str, Any]) -> dict[str, Any]:
    return {k: getattr(world, v) if k == "group" else v for k, v in inputs.items()}


def _unchanged(incident: Incident) -> Incident:
    fresh = Incident.objects.get(pk=incident.pk)
    assert (fresh.state, fresh.version) == (incident.state, incident.version)
    return fresh


def test_the_workflow_declares_exactly_the_thirteen_transitions_and_their_sources() -> None:
    declared = {name: set(t.sources) for name, t in INCIDENT_WORKFLOW.transitions.items()}
    assert declared == SOURCES


# Happy paths ---------------------------------------------------------------------------------


def test_assign_dispatches_a_new_record_to_a_group_and_person(world, make) -> None:
    incident = make.report()
    done = step(incident, world.desk, "assign", group=world.l1_group, assignee=world.l1)
    assert (done.state, done.assigned_group, done.assignee) == ("assigned", world.l1_group, world.l1)
    assert done.version == incident.version + 1
    assert audit_actions(done)[-1] == "incident.assigned"
    assert Notification.objects.filter(recipient=world.l1, kind="assigned", subject_id=done.pk).exists()


def test_assign_accepts_a_group_id_as_the_api_sends_it(world, make) -> None:
    done = step(make.report(), world.desk, "assign", group=str(world.l2_group.pk))
    assert done.assigned_group == world.l2_group and done.assignee is None


def test_assign_again_redispatches_a_record_in_progress(world, make) -> None:
    incident = make.in_progress()
    done = step(incident, world.desk, "assign", group=world.l2_group)
    assert (done.state, done.assigned_group, done.assignee) == ("assigned", world.l2_group, None)


def test_assign_refuses_an_assignee_outside_the_group(world, make) -> None:
    incident = make.report()
    with pytest.raises(ValidationFailed) as caught:
        step(incident, world.desk, "assign", group=world.l1_group, assignee=world.l2)
    assert "assignee" in caught.value.field_errors
    _unchanged(incident)


def test_assign_refuses_a_group_that_does_not_exist(world, make) -> None:
    incident = make.report()
    with pytest.raises(ValidationFailed) as caught:
        step(incident, world.desk, "assign", group="999999")
    assert "group" in caught.value.field_errors


def test_accept_makes_the_engineer_the_assignee_and_starts_work(world, make) -> None:
    incident = make.assigned()
    done = step(incident, world.l1b, "accept")
    assert (done.state, done.assignee) == ("in_progress", world.l1b)
    assert audit_actions(done)[-1] == "incident.accepted"


def test_pend_on_the_customer(world, make) -> None:
    done = step(make.in_progress(), world.l1, "pend", reason="Waiting for a screenshot")
    assert (done.state, done.pending_reason) == ("pending", "customer")
    assert audit_actions(done)[-1] == "incident.pended"


def test_pend_on_a_vendor_names_the_vendor(world, make) -> None:
    incident = make.in_progress()
    with pytest.raises(ValidationFailed) as caught:
        step(incident, world.l1, "pend", reason="Needs a patch", pending_reason="vendor")
    assert "vendor" in caught.value.field_errors
    done = step(incident, world.l1, "pend", reason="Needs a patch", pending_reason="vendor", vendor="SAP")
    assert (done.state, done.pending_reason, done.vendor) == ("pending", "vendor", "SAP")


def test_pend_refuses_an_unknown_pending_reason(world, make) -> None:
    with pytest.raises(ValidationFailed) as caught:
        step(make.in_progress(), world.l1, "pend", reason="x", pending_reason="holiday")
    assert "pending_reason" in caught.value.field_errors


def test_resume_clears_the_pending_reason(world, make) -> None:
    done = step(make.pending(), world.l1, "resume")
    assert (done.state, done.pending_reason) == ("in_progress", "")
    assert audit_actions(done)[-1] == "incident.resumed"


def test_escalate_hands_the_record_to_the_next_line_and_remembers_the_way_back(world, make) -> None:
    done = step(make.in_progress(), world.l1, "escalate", group=world.l2_group, reason="Database lock")
    assert (done.state, done.assigned_group, done.assignee) == ("assigned", world.l2_group, None)
    assert done.escalation_path == [world.l1_group.pk]
    assert Notification.objects.filter(recipient=world.l2, kind="escalated", subject_id=done.pk).exists()


def test_return_sends_the_record_back_down_the_path(world, make) -> None:
    done = step(make.escalated(), world.l2, "return", reason="Plant must reset passwords")
    assert (done.state, done.assigned_group, done.escalation_path) == ("assigned", world.l1_group, [])
    assert audit_actions(done)[-1] == "incident.returned"


def test_resolve_records_resolution_cause_and_who(world, make) -> None:
    done = step(make.in_progress(), world.l1, "resolve", resolution="Rebuilt the index", cause_code="data")
    assert (done.state, done.resolution, done.cause_code, done.resolved_by) == \
        ("resolved", "Rebuilt the index", "data", world.l1)
    assert done.resolved_at is not None
    assert Notification.objects.filter(recipient=world.requester, kind="resolved", subject_id=done.pk).exists()


def test_resolve_at_first_contact_by_the_desk(world, make) -> None:
    done = step(make.report(), world.desk, "resolve", resolution="Told the user to clear the browser cache")
    assert done.state == "resolved"


def test_resolve_refuses_an_unknown_cause_code(world, make) -> None:
    incident = make.in_progress()
    with pytest.raises(ValidationFailed) as caught:
        step(incident, world.l1, "resolve", resolution="done", cause_code="gremlins")
    assert "cause_code" in caught.value.field_errors
    _unchanged(incident)


def test_confirm_closes_with_the_requesters_rating(world, make) -> None:
    done = step(make.resolved(), world.requester, "confirm", rating=5, comment="Fast, thank you")
    assert (done.state, done.satisfaction, done.satisfaction_comment) == ("closed", 5, "Fast, thank you")
    assert done.closed_at is not None and not done.auto_confirmed


@pytest.mark.parametrize("rating", [0, 6, "five", -1])
def test_confirm_refuses_a_rating_outside_one_to_five(world, make, rating) -> None:
    incident = make.resolved()
    with pytest.raises(ValidationFailed) as caught:
        step(incident, world.requester, "confirm", rating=rating)
    assert "rating" in caught.value.field_errors
    _unchanged(incident)


def test_reject_sends_the_record_back_to_its_handler_and_counts(world, make) -> None:
    done = step(make.resolved(), world.requester, "reject", reason="Still cannot log in")
    assert (done.state, done.assigned_group, done.assignee, done.reopen_count) == \
        ("assigned", world.l1_group, world.l1, 1)
    assert done.resolved_at is None
    assert Notification.objects.filter(recipient=world.l1, kind="reopened", subject_id=done.pk).exists()
    assert Notification.objects.filter(recipient=world.l1b, kind="reopened", subject_id=done.pk).exists()  # lead


def test_close_by_the_desk(world, make) -> None:
    done = step(make.resolved(), world.desk, "close")
    assert done.state == "closed" and done.closed_at is not None
    assert audit_actions(done)[-1] == "incident.closed"


def test_reopen_within_the_window(world, make) -> None:
    done = step(make.closed(), world.requester, "reopen", reason="Failed again this morning")
    assert (done.state, done.reopen_count, done.satisfaction, done.closed_at) == ("assigned", 1, None, None)


def test_chase_counts_and_keeps_the_state(world, make) -> None:
    incident = make.in_progress()
    done = step(incident, world.requester, "chase")
    assert (done.state, done.chase_count) == ("in_progress", 1)


def test_cancel_ends_an_open_record(world, make) -> None:
    done = step(make.report(), world.desk, "cancel", reason="Reported twice")
    assert done.state == "cancelled" and done.closed_at is not None
    entry = AuditEntry.objects.filter(subject_id=done.pk, action="incident.cancelled").get()
    assert entry.data["reason"] == "Reported twice" and entry.actor == world.desk


# Required inputs ---------------------------------------------------------------------------------

REQUIRED = [
    ("assign", "new", "group"),
    ("pend", "in_progress", "reason"),
    ("escalate", "in_progress", "group"),
    ("escalate", "in_progress", "reason"),
    ("resolve", "in_progress", "resolution"),
    ("confirm", "resolved", "rating"),
    ("reject", "resolved", "reason"),
    ("reopen", "closed", "reason"),
    ("cancel", "new", "reason"),
]


@pytest.mark.parametrize(("transition", "state", "field"), REQUIRED)
@pytest.mark.parametrize("blank", [None, "", "   "], ids=["missing", "empty", "spaces"])
def test_a_required_input_left_out_is_refused_by_name(world, make, transition, state, field, blank) -> None:
    incident = make.at(state)
    actor, inputs = NATURAL[transition]
    inputs = _inputs(world, inputs)
    if blank is None:
        inputs.pop(field)
    else:
        inputs[field] = blank
    with pytest.raises(ValidationFailed) as caught:
        step(incident, getattr(world, actor), transition, **inputs)
    assert field in caught.value.field_errors
    assert caught.value.status == 422
    _unchanged(incident)


def test_return_needs_a_reason(world, make) -> None:
    incident = make.escalated()
    with pytest.raises(ValidationFailed) as caught:
        step(incident, world.l2, "return")
    assert "reason" in caught.value.field_errors


def test_an_unknown_transition_is_refused(world, make) -> None:
    with pytest.raises(ValidationFailed) as caught:
        step(make.report(), world.desk, "teleport")
    assert caught.value.code == "unknown_transition"


# States a transition may not leave from -----------------------------------------------------------

REFUSED = [(name, state) for name, sources in SOURCES.items() for state in STATES if state not in sources]


@pytest.mark.parametrize(("transition", "state"), REFUSED)
def test_a_transition_is_refused_from_a_state_it_does_not_leave(world, make, transition, state) -> None:
    incident = make.at(state)
    actor, inputs = NATURAL[transition]
    with pytest.raises(TransitionNotAllowed) as caught:
        step(incident, getattr(world, actor), transition, **_inputs(world, inputs))
    assert caught.value.status == 409
    _unchanged(incident)


# Guards ----------------------------------------------------------------------------------------------


def test_accept_is_refused_to_a_colleague_when_someone_else_holds_the_record(world, make) -> None:
    incident = make.assigned(assignee=world.l1)
    with pytest.raises(PermissionDenied):
        step(incident, world.l1b, "accept")
    _unchanged(incident)


def test_return_needs_an_escalation_to_return_from(world, make) -> None:
    incident = make.in_progress()
    with pytest.raises(PermissionDenied):
        step(incident, world.l1, "return", reason="nowhere to go")


def test_escalate_goes_up_the_lines_not_down(world, make) -> None:
    incident = make.escalated()
    incident = step(incident, world.l2, "accept")
    with pytest.raises(ValidationFailed) as caught:
        step(incident, world.l2, "escalate", group=world.l1_group, reason="not mine")
    assert "group" in caught.value.field_errors
    with pytest.raises(ValidationFailed):
        step(incident, world.l2, "escalate", group=world.l2_group, reason="same group")


def test_the_incident_manager_may_escalate_across_lines(world, make) -> None:
    incident = make.escalated()
    done = step(incident, world.manager, "escalate", group=world.desk_group, reason="Coordinate from the desk")
    assert done.assigned_group == world.desk_group


def test_the_requester_may_cancel_only_before_work_starts(world, make) -> None:
    assert step(make.report(), world.requester, "cancel", reason="Works now").state == "cancelled"
    assert step(make.assigned(), world.requester, "cancel", reason="Works now").state == "cancelled"
    incident = make.in_progress()
    with pytest.raises(PermissionDenied):
        step(incident, world.requester, "cancel", reason="Works now")
    _unchanged(incident)


def test_only_the_requester_confirms_or_rejects(world, make) -> None:
    incident = make.resolved()
    for transition, inputs in (("confirm", {"rating": 5}), ("reject", {"reason": "x"})):
        with pytest.raises(PermissionDenied):
            step(incident, world.desk, transition, **inputs)
    _unchanged(incident)


def test_only_a_handler_puts_a_record_pending(world, make) -> None:
    incident = make.in_progress()
    with pytest.raises(PermissionDenied):
        step(incident, world.desk, "pend", reason="x")


def test_the_handler_does_not_chase_their_own_record(world, make) -> None:
    with pytest.raises(PermissionDenied):
        step(make.in_progress(), world.l1, "chase")


def test_allowed_transitions_are_the_buttons_each_person_gets(world, make) -> None:
    resolved = make.resolved()

    def names(actor) -> set[str]:
        return {t.name for t in INCIDENT_WORKFLOW.allowed(actor, resolved)}

    assert names(world.requester) == {"confirm", "reject"}
    assert names(world.desk) == {"close"}
    assert names(world.l1) == set()
    assert names(world.auditor) == set()
    in_progress = make.in_progress()
    assert {t.name for t in INCIDENT_WORKFLOW.allowed(world.l1, in_progress)} == \
        {"assign", "pend", "escalate", "resolve"}
