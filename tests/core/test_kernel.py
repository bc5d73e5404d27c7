"""The kernel the processes build on: the workflow engine, the error types, the clock."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from opsdesk.core import clock
from opsdesk.core.errors import (
    Conflict,
    DomainError,
    NotFound,
    PermissionDenied,
    StaleVersion,
    TransitionNotAllowed,
    ValidationFailed,
)
from opsdesk.core.workflow import Transition, Workflow


@dataclass
class Doc:
    state: str
    owner: str


def _flow() -> Workflow[Doc]:
    return Workflow(states=["draft", "review", "done"], transitions=[
        Transition(name="submit", label="Submit", sources=frozenset({"draft"}), target="review",
                   guard=lambda actor, doc: actor == doc.owner, required=("summary",)),
        Transition(name="approve", label="Approve", sources=frozenset({"review"}), target="done",
                   guard=lambda actor, doc: actor == "boss"),
    ])


def test_a_transition_naming_an_unknown_state_is_refused_at_declaration() -> None:
    with pytest.raises(ValueError, match="unknown states"):
        Workflow(states=["a"], transitions=[
            Transition(name="go", label="Go", sources=frozenset({"a"}), target="b", guard=lambda a, r: True)])


def test_allowed_lists_what_this_actor_may_do_now() -> None:
    flow, doc = _flow(), Doc(state="draft", owner="ann")
    assert [t.name for t in flow.allowed("ann", doc)] == ["submit"]
    assert flow.allowed("bob", doc) == []
    assert [t.name for t in flow.allowed("boss", Doc(state="review", owner="ann"))] == ["approve"]


def test_check_reports_the_state_first_then_the_right_then_the_inputs() -> None:
    flow = _flow()
    with pytest.raises(TransitionNotAllowed):
        flow.check("bob", Doc(state="done", owner="ann"), "submit", {})
    with pytest.raises(PermissionDenied):
        flow.check("bob", Doc(state="draft", owner="ann"), "submit", {})
    with pytest.raises(ValidationFailed) as caught:
        flow.check("ann", Doc(state="draft", owner="ann"), "submit", {"summary": " "})
    assert list(caught.value.field_errors) == ["summary"]
    assert flow.check("ann", Doc(state="draft", owner="ann"), "submit", {"summary": "ok"}).target == "review"


def test_an_unknown_transition_has_its_own_code() -> None:
    with pytest.raises(ValidationFailed) as caught:
        _flow().get("teleport")
    assert caught.value.code == "unknown_transition"


@pytest.mark.parametrize(("error", "status", "code"), [
    (NotFound, 404, "not_found"),
    (PermissionDenied, 403, "forbidden"),
    (ValidationFailed, 422, "invalid"),
    (StaleVersion, 409, "stale_version"),
    (TransitionNotAllowed, 409, "transition_not_allowed"),
])
def test_each_error_carries_the_status_and_code_the_api_answers_with(error, status, code) -> None:
    raised = error("Something", field_errors={"title": ["Required"]})
    assert (raised.status, raised.code, str(raised)) == (status, code, "Something")
    assert isinstance(raised, DomainError)
    assert raised.field_errors == {"title": ["Required"]}
    assert issubclass(StaleVersion, Conflict) and issubclass(TransitionNotAllowed, Conflict)


def test_an_error_may_carry_a_more_specific_code() -> None:
    assert PermissionDenied("Slow down", code="throttled").code == "throttled"
    assert PermissionDenied("No").code == "forbidden"  # the class default is untouched


def test_the_clock_can_be_frozen_nested_and_is_restored() -> None:
    first, second = dt.datetime(2026, 1, 1, tzinfo=dt.UTC), dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    with clock.frozen_at(first):
        assert clock.now() == first
        with clock.frozen_at(second):
            assert clock.now() == second
        assert clock.now() == first
    assert abs(clock.now() - dt.datetime.now(dt.UTC)) < dt.timedelta(seconds=5)
