"""Chasing (催办) a record, and watchers."""

from __future__ import annotations

import pytest

from opsdesk.audit.models import AuditEntry
from opsdesk.core.errors import PermissionDenied
from opsdesk.incidents import services
from opsdesk.incidents.models import IncidentWatcher
from opsdesk.notifications.models import Notification

from .records import step


def _chased(incident) -> set[str]:
    return set(Notification.objects.filter(kind="chased", subject_id=incident.pk)
               .values_list("recipient__username", flat=True))


def test_a_chase_is_counted_and_reaches_the_handler_and_the_group_lead(world, make) -> None:
    incident = make.in_progress()
    incident = step(incident, world.requester, "chase", comment="The plant is waiting")
    assert incident.chase_count == 1
    assert _chased(incident) == {"l1", "l1b"}  # l1 handles it, l1b leads the L1 group
    note = Notification.objects.get(kind="chased", recipient=world.l1)
    assert (note.text, note.actor_name) == ("The plant is waiting", str(world.requester))
    incident = step(incident, world.desk, "chase")
    assert incident.chase_count == 2
    assert list(AuditEntry.objects.filter(subject_id=incident.pk, action="incident.chased")
                .values_list("data__chase_count", flat=True)) == [1, 2]


def test_chasing_a_record_nobody_has_yet_reaches_the_service_desk(world, make) -> None:
    incident = step(make.report(), world.requester, "chase")
    assert incident.chase_count == 1
    assert "desk" in _chased(incident)


def test_the_chaser_is_not_notified_of_their_own_chase(world, make) -> None:
    incident = step(make.assigned(assignee=world.desk, group=world.desk_group), world.desk, "chase")
    assert incident.chase_count == 1
    assert _chased(incident) == set()  # the desk is both the handler and the lead here


def test_chasing_a_group_record_with_no_handler_and_no_lead_reaches_the_group(world, make) -> None:
    incident = make.assigned(group=world.l2_group)  # the L2 group has no lead
    assert _chased(step(incident, world.requester, "chase")) == {"l2"}


def test_a_pending_record_can_be_chased_and_stays_pending(world, make) -> None:
    incident = step(make.pending(), world.requester, "chase")
    assert (incident.state, incident.chase_count) == ("pending", 1)


def test_a_watcher_may_chase(world, make) -> None:
    incident = make.in_progress()
    services.incident_watch(actor=world.viewer_a, incident=incident.number)
    assert step(incident, world.viewer_a, "chase").chase_count == 1


def test_watching_is_idempotent_and_audited_once(world, make) -> None:
    incident = make.report()
    services.incident_watch(actor=world.viewer_a, incident=incident.number)
    services.incident_watch(actor=world.viewer_a, incident=incident.number)
    assert list(incident.watcher_links.values_list("user__username", flat=True)) == ["viewer_a"]
    assert AuditEntry.objects.filter(subject_id=incident.pk, action="incident.watcher_added").count() == 1


def test_only_staff_who_work_the_record_add_other_people(world, make) -> None:
    incident = make.assigned(assignee=world.l1)
    with pytest.raises(PermissionDenied):
        services.incident_watch(actor=world.requester, incident=incident.number, user=world.viewer_a)
    with pytest.raises(PermissionDenied):
        services.incident_watch(actor=world.l2, incident=incident.number, user=world.viewer_a)
    services.incident_watch(actor=world.l1, incident=incident.number, user=world.viewer_a)
    services.incident_watch(actor=world.desk, incident=incident.number, user=world.manager)
    assert set(IncidentWatcher.objects.values_list("user__username", flat=True)) == {"viewer_a", "incident_manager"}


def test_a_watcher_can_comment_but_not_internally(world, make) -> None:
    incident = make.in_progress()
    services.incident_watch(actor=world.desk, incident=incident.number, user=world.requester2)
    services.incident_comment(actor=world.requester2, incident=incident.number, body="Same problem in City B")
    with pytest.raises(PermissionDenied):
        services.incident_comment(actor=world.requester2, incident=incident.number, body="psst", internal=True)
