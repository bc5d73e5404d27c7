"""A small workflow engine: a record type declares its states and transitions.

Each transition names the states it leaves from, the state it goes to (or
``None`` to stay), a guard deciding whether an actor may take it on a given
record, the inputs it requires, and the service function that carries it out.
The UI lists ``allowed()``; the API refuses the rest through ``check()``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.utils.functional import Promise
from django.utils.translation import gettext as _

from .errors import PermissionDenied, TransitionNotAllowed, ValidationFailed

R = TypeVar("R")


@dataclass(frozen=True)
class Transition(Generic[R]):
    name: str
    label: str | Promise
    sources: frozenset[str]
    target: str | None
    guard: Callable[[Any, R], bool]
    required: tuple[str, ...] = ()
    style: str = "secondary"
    help: str | Promise = ""

    def leaves_from(self, state: str) -> bool:
        return state in self.sources


def _state_label(record: Any, attr: str, state: Any) -> str:
    """The state as the reader calls it (the field's choice label), not its stored code."""
    display = getattr(record, f"get_{attr}_display", None)
    return str(display()) if callable(display) else str(state)


def _blank(value: Any) -> bool:
    """Missing, empty or only whitespace: a required input not given."""
    return value is None or value == [] or (isinstance(value, str) and not value.strip())


class Workflow(Generic[R]):
    def __init__(self, *, states: Iterable[str], transitions: Iterable[Transition[R]], state_attr: str = "state"):
        self.states = tuple(states)
        self.transitions = {t.name: t for t in transitions}
        self.state_attr = state_attr
        for transition in self.transitions.values():
            named = set(transition.sources) | ({transition.target} if transition.target else set())
            unknown = named - set(self.states)
            if unknown:
                raise ValueError(f"transition {transition.name} names unknown states {unknown}")

    def get(self, name: str) -> Transition[R]:
        try:
            return self.transitions[name]
        except KeyError:
            raise ValidationFailed(_("There is no transition named “%(name)s”.") % {"name": name}, code="unknown_transition")

    def allowed(self, actor: Any, record: R) -> list[Transition[R]]:
        state = getattr(record, self.state_attr)
        return [t for t in self.transitions.values() if t.leaves_from(state) and t.guard(actor, record)]

    def check(self, actor: Any, record: R, name: str, inputs: dict[str, Any]) -> Transition[R]:
        """Raise the right error unless ``actor`` may take ``name`` on ``record`` now with ``inputs``."""
        transition = self.get(name)
        state = getattr(record, self.state_attr)
        if not transition.leaves_from(state):
            raise TransitionNotAllowed(
                _("“%(transition)s” is not possible while the record is %(state)s.")
                % {"transition": transition.label, "state": _state_label(record, self.state_attr, state)},
            )
        if not transition.guard(actor, record):
            raise PermissionDenied(_("You may not %(transition)s this record.") % {"transition": transition.label})
        missing = {f: [_("This field is required.")] for f in transition.required if _blank(inputs.get(f))}
        if missing:
            raise ValidationFailed(
                _("Please fill in: %(fields)s.") % {"fields": ", ".join(missing)}, field_errors=missing
            )
        return transition
