"""Pure decisions about incidents: who may do what to which record."""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from opsdesk.accounts.models import User
from opsdesk.accounts.roles import Permission as P
from opsdesk.accounts.selectors import holds_in, organisation_ids_where
from opsdesk.core import clock

from .choices import Impact, Priority, Urgency
from .models import Incident

DEFAULT_PRIORITY_MATRIX: dict[tuple[int, int], int] = {
    (Impact.HIGH, Urgency.HIGH): Priority.CRITICAL,
    (Impact.HIGH, Urgency.MEDIUM): Priority.HIGH,
    (Impact.MEDIUM, Urgency.HIGH): Priority.HIGH,
    (Impact.HIGH, Urgency.LOW): Priority.MEDIUM,
    (Impact.MEDIUM, Urgency.MEDIUM): Priority.MEDIUM,
    (Impact.LOW, Urgency.HIGH): Priority.MEDIUM,
    (Impact.MEDIUM, Urgency.LOW): Priority.LOW,
    (Impact.LOW, Urgency.MEDIUM): Priority.LOW,
    (Impact.LOW, Urgency.LOW): Priority.LOW,
}


def is_requester(actor: User, incident: Incident) -> bool:
    return incident.requester_id == actor.pk


def is_watcher(actor: User, incident: Incident) -> bool:
    # Lists annotate ``_actor_is_watcher`` (an Exists for the listing user) instead of a query per row.
    precomputed = getattr(incident, "_actor_is_watcher", None)
    if precomputed is not None:
        return bool(precomputed)
    return incident.watcher_links.filter(user_id=actor.pk).exists()


def is_handler(actor: User, incident: Incident) -> bool:
    """The assignee, or a member of the assigned group, who holds the engineer's permission."""
    if not actor.holds(P.INCIDENT_WORK):
        return False
    return incident.assignee_id == actor.pk or (
        incident.assigned_group_id is not None and incident.assigned_group_id in actor.support_group_ids
    )


def is_group_lead(actor: User, incident: Incident) -> bool:
    return incident.assigned_group_id is not None and incident.assigned_group_id in actor.led_group_ids


def can_dispatch(actor: User, incident: Incident) -> bool:
    return holds_in(actor, P.INCIDENT_DISPATCH, incident.organisation_id) or is_group_lead(actor, incident)


def can_close(actor: User, incident: Incident) -> bool:
    return holds_in(actor, P.INCIDENT_CLOSE, incident.organisation_id)


def can_manage_major(actor: User, incident: Incident) -> bool:
    return holds_in(actor, P.INCIDENT_MAJOR, incident.organisation_id)


def can_view(actor: User, incident: Incident) -> bool:
    return (
        is_requester(actor, incident)
        or incident.organisation_id in organisation_ids_where(actor, P.INCIDENT_VIEW)
        or incident.assignee_id == actor.pk
        or (incident.assigned_group_id is not None and incident.assigned_group_id in actor.support_group_ids)
        or is_watcher(actor, incident)
    )


def can_view_as_staff(actor: User, incident: Incident) -> bool:
    return holds_in(actor, P.INCIDENT_INTERNAL, incident.organisation_id) or is_handler(actor, incident)


can_see_internal = can_view_as_staff


def can_edit(actor: User, incident: Incident) -> bool:
    return incident.is_open and (can_dispatch(actor, incident) or is_handler(actor, incident))


def can_log_work(actor: User, incident: Incident) -> bool:
    return incident.state != "cancelled" and (is_handler(actor, incident) or can_dispatch(actor, incident))


def can_comment(actor: User, incident: Incident) -> bool:
    return (
        is_requester(actor, incident)
        or can_view_as_staff(actor, incident)
        or is_watcher(actor, incident)
    ) and not actor_is_read_only(actor)


def actor_is_read_only(actor: User) -> bool:
    """Auditors read everything and change nothing: they hold no write permission."""
    write_permissions = {P.INCIDENT_REPORT, P.INCIDENT_RECORD, P.INCIDENT_DISPATCH, P.INCIDENT_WORK, P.INCIDENT_CLOSE}
    return not (actor.permissions & write_permissions)


def within_reopen_window(incident: Incident) -> bool:
    if incident.closed_at is None:
        return False
    return clock.now() - incident.closed_at <= dt.timedelta(days=settings.OPSDESK_REOPEN_WINDOW_DAYS)
