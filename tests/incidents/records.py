"""Drive incidents into each state through the services, as the tests' starting points."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from opsdesk.accounts.models import User
from opsdesk.audit.models import AuditEntry
from opsdesk.incidents import services
from opsdesk.incidents.models import Incident

STATES = ("new", "assigned", "in_progress", "pending", "resolved", "closed", "cancelled")


def step(incident: Incident, actor: User, transition: str, **inputs: Any) -> Incident:
    """Take ``transition`` as ``actor`` on the version the caller holds."""
    return services.incident_transition(actor=actor, incident=incident.number, transition=transition,
                                        version=incident.version, **inputs)


def audit_actions(incident: Incident) -> list[str]:
    return list(AuditEntry.objects.filter(subject_type="incident", subject_id=incident.pk)
                .order_by("id").values_list("action", flat=True))


class Maker:
    """Drives a fresh incident of ``requester`` (City A, production / operation) into a state."""

    def __init__(self, world) -> None:
        self.w = world

    def report(self, *, actor: User | None = None, **fields: Any) -> Incident:
        values: dict[str, Any] = {
            "title": "生产系统登录失败 login fails",
            "description": "After the upgrade nobody in the plant can log in.",
            "service": self.w.production,
            "category": self.w.categories["operation"],
        }
        values.update(fields)
        return services.incident_create(actor=actor or self.w.requester, **values)

    def assigned(self, *, assignee: User | None = None, group=None, **fields: Any) -> Incident:
        incident = self.report(**fields)
        return step(incident, self.w.desk, "assign", group=group or self.w.l1_group, assignee=assignee)

    def in_progress(self, **fields: Any) -> Incident:
        return step(self.assigned(assignee=self.w.l1, **fields), self.w.l1, "accept")

    def pending(self, **fields: Any) -> Incident:
        return step(self.in_progress(**fields), self.w.l1, "pend", reason="Waiting for the plant to test")

    def resolved(self, **fields: Any) -> Incident:
        return step(self.in_progress(**fields), self.w.l1, "resolve", resolution="Cleared the session cache",
                    cause_code="configuration")

    def closed(self, **fields: Any) -> Incident:
        return step(self.resolved(**fields), self.w.requester, "confirm", rating=5)

    def cancelled(self, **fields: Any) -> Incident:
        return step(self.report(**fields), self.w.desk, "cancel", reason="Duplicate")

    def escalated(self, **fields: Any) -> Incident:
        """In progress at L1, then escalated to the L2 group."""
        return step(self.in_progress(**fields), self.w.l1, "escalate", group=self.w.l2_group,
                    reason="Needs a database fix")

    def at(self, state: str, **fields: Any) -> Incident:
        builders: dict[str, Callable[..., Incident]] = {
            "new": self.report, "assigned": lambda **f: self.assigned(assignee=self.w.l1, **f),
            "in_progress": self.in_progress, "pending": self.pending, "resolved": self.resolved,
            "closed": self.closed, "cancelled": self.cancelled,
        }
        incident = builders[state](**fields)
        assert incident.state == state
        return incident
