"""Major incidents: flag and own, link child records, updates that reach every linked record's watchers."""

from __future__ import annotations

import pytest

from opsdesk.audit.models import AuditEntry
from opsdesk.core.errors import PermissionDenied, TransitionNotAllowed, ValidationFailed
from opsdesk.incidents import services
from opsdesk.incidents.models import Incident
from opsdesk.incidents.selectors import incident_timeline
from opsdesk.notifications.models import Notification

from .records import step


def _flag(world, incident: Incident, **extra) -> Incident:
    return services.incident_flag_major(actor=world.manager, incident=incident.number, version=incident.version,
                                        **extra)


def test_flagging_makes_the_manager_the_owner_and_the_priority_critical(world, make) -> None:
    major = _flag(world, make.in_progress(impact=3, urgency=3))
    assert (major.is_major, major.major_owner, major.priority, major.priority_overridden) == \
        (True, world.manager, 1, True)
    assert major.priority_reason
    assert AuditEntry.objects.filter(subject_id=major.pk, action="incident.flagged_major").exists()


def test_flagging_with_another_owner_and_a_reason(world, make) -> None:
    major = _flag(world, make.report(), owner=world.desk, reason="Whole plant down")
    assert (major.major_owner, major.priority_reason) == (world.desk, "Whole plant down")


def test_a_closed_record_cannot_be_flagged(world, make) -> None:
    closed = make.closed()
    with pytest.raises(TransitionNotAllowed):
        _flag(world, closed)
    assert not Incident.objects.get(pk=closed.pk).is_major


def test_linking_children_under_a_major_incident(world, make) -> None:
    major = _flag(world, make.in_progress())
    child_a, child_b = make.report(), make.report(actor=world.requester2)
    for child in (child_a, child_b):
        linked = services.incident_link_child(actor=world.manager, major=major.number, child=child.number)
        assert linked.parent == major and linked.version == child.version + 1
    assert set(major.children.values_list("number", flat=True)) == {child_a.number, child_b.number}
    assert list(AuditEntry.objects.filter(subject_id=major.pk, action="incident.child_linked")
                .values_list("data__child", flat=True)) == [child_a.number, child_b.number]


def test_only_a_major_incident_takes_children(world, make) -> None:
    plain, child = make.in_progress(), make.report()
    with pytest.raises(ValidationFailed) as caught:
        services.incident_link_child(actor=world.manager, major=plain.number, child=child.number)
    assert "major" in caught.value.field_errors
    major, other_major = _flag(world, make.in_progress()), _flag(world, make.in_progress())
    for bad in (major, other_major):
        with pytest.raises(ValidationFailed) as caught:
            services.incident_link_child(actor=world.manager, major=major.number, child=bad.number)
        assert "child" in caught.value.field_errors
    assert Incident.objects.filter(parent__isnull=False).count() == 0


def test_an_update_reaches_watchers_and_requesters_of_every_linked_record(world, make) -> None:
    major = _flag(world, make.in_progress())
    child = make.report(actor=world.requester2)
    unrelated = make.report(actor=world.viewer_a)
    services.incident_link_child(actor=world.manager, major=major.number, child=child.number)
    services.incident_watch(actor=world.desk, incident=major.number, user=world.l3)
    services.incident_watch(actor=world.desk, incident=child.number, user=world.category_admin)
    services.incident_watch(actor=world.desk, incident=unrelated.number, user=world.l2)

    comment = services.incident_post_major_update(actor=world.manager, major=major.number,
                                                  body="Database failover done; logins recovering")
    recipients = set(Notification.objects.filter(kind="major_update").values_list("recipient__username", flat=True))
    assert recipients == {"requester", "requester2", "l3", "category_admin"}  # not l2, not the author
    assert set(Notification.objects.filter(kind="major_update").values_list("text", flat=True)) == \
        {"Database failover done; logins recovering"}
    assert comment.incident == major and not comment.is_internal

    # The child's requester sees the update in the child's own timeline.
    child = Incident.objects.get(pk=child.pk)
    actions = [e.action for e in incident_timeline(user=world.requester2, incident=child)]
    assert actions[-1] == "incident.major_update"


def test_the_owner_may_post_updates_without_being_an_incident_manager(world, make) -> None:
    major = _flag(world, make.in_progress(), owner=world.desk)
    services.incident_post_major_update(actor=world.desk, major=major.number, body="Next update at 10:00")
    with pytest.raises(PermissionDenied):
        services.incident_link_child(actor=world.desk, major=major.number, child=make.report().number)


def test_an_update_needs_a_major_incident_and_a_text(world, make) -> None:
    plain = make.in_progress()
    with pytest.raises(ValidationFailed) as caught:
        services.incident_post_major_update(actor=world.manager, major=plain.number, body="Hello")
    assert "major" in caught.value.field_errors
    major = _flag(world, make.in_progress())
    with pytest.raises(ValidationFailed) as caught:
        services.incident_post_major_update(actor=world.manager, major=major.number, body="   ")
    assert "body" in caught.value.field_errors
    assert not Notification.objects.filter(kind="major_update").exists()


def test_resolving_the_major_incident_is_a_normal_transition(world, make) -> None:
    major = _flag(world, make.in_progress())
    resolved = step(major, world.l1, "resolve", resolution="Failover")
    assert resolved.state == "resolved" and resolved.is_major
