"""The incident process end to end, through the services only, as the people of the world live it."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.core.files.uploadedfile import SimpleUploadedFile

from opsdesk.audit.services import audit_verify_chain
from opsdesk.core import clock
from opsdesk.incidents import services
from opsdesk.incidents.models import Incident
from opsdesk.incidents.selectors import IncidentFilter, incident_get, incident_list, incident_timeline
from opsdesk.notifications.models import Notification

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY_9AM = dt.datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)


def _go(incident: Incident, actor, transition: str, **inputs) -> Incident:
    return services.incident_transition(actor=actor, incident=incident.number, transition=transition,
                                        version=incident.version, **inputs)


def _notified(user, kind: str, incident: Incident) -> bool:
    return Notification.objects.filter(recipient=user, kind=kind, subject_id=incident.pk).exists()


def test_report_dispatch_escalate_resolve_confirm_close(world, media_root) -> None:
    w = world
    minute = dt.timedelta(minutes=1)
    now = MONDAY_9AM

    # The requester reports a fault from the portal, with a screenshot.
    with clock.frozen_at(now):
        incident = services.incident_create(
            actor=w.requester, title="SG186 报表导出失败", description="Exporting the monthly report fails with E-500.",
            service=w.production, category=w.categories["operation"], occurred_at=now - dt.timedelta(hours=1),
            contact_phone="138-0000-0000", attachments=[SimpleUploadedFile("error.png", b"\x89PNG")])
    assert (incident.state, incident.requester, incident.organisation) == ("new", w.requester, w.city_a)
    assert incident.number == "INC202611230001"

    # The desk classifies it as a program bug, raises the urgency and dispatches it to L1.
    with clock.frozen_at(now := now + 5 * minute):
        incident = services.incident_update(actor=w.desk, incident=incident.number, version=incident.version,
                                            category=w.categories["bug"], urgency=1)
    with clock.frozen_at(now := now + minute):
        incident = _go(incident, w.desk, "assign", group=w.l1_group)
    assert (incident.state, incident.priority) == ("assigned", 3)
    assert _notified(w.l1, "assigned", incident) and _notified(w.l1b, "assigned", incident)

    # L1 takes it, logs what they tried, and escalates to L2.
    with clock.frozen_at(now := now + 10 * minute):
        incident = _go(incident, w.l1, "accept")
    with clock.frozen_at(now := now + 30 * minute):
        services.incident_log_work(actor=w.l1, incident=incident.number, minutes=30,
                                   note="Reproduced; the export job dies on a null cost centre")
        incident = _go(incident, w.l1, "escalate", group=w.l2_group, reason="Needs a data fix in the database")
    assert (incident.assigned_group, incident.assignee) == (w.l2_group, None)
    assert _notified(w.l2, "escalated", incident)

    # L2 takes it, fixes the data and resolves it.
    with clock.frozen_at(now := now + 20 * minute):
        incident = _go(incident, w.l2, "accept")
    with clock.frozen_at(now := now + 45 * minute):
        services.incident_log_work(actor=w.l2, incident=incident.number, minutes=45,
                                   note="Filled 12 missing cost centres")
        services.incident_comment(actor=w.l2, incident=incident.number, body="Fixed the data; please try again.")
        incident = _go(incident, w.l2, "resolve", resolution="Repaired missing cost centres", cause_code="data")
    assert (incident.state, incident.resolved_by) == ("resolved", w.l2)
    assert _notified(w.requester, "resolved", incident)

    # The requester confirms the fix and rates it; the record is closed.
    with clock.frozen_at(now := now + 60 * minute):
        incident = _go(incident, w.requester, "confirm", rating=5, comment="Works, thank you")
    assert (incident.state, incident.satisfaction, incident.closed_at) == ("closed", 5, now)

    # The timeline tells the whole story, in order, with who did each step.
    steps = [(e.action, e.actor.username if e.actor else None)
             for e in incident_timeline(user=w.desk, incident=incident)]
    assert steps == [
        ("incident.created", "requester"),
        ("incident.updated", "desk"),
        ("incident.assigned", "desk"),
        ("incident.accepted", "l1"),
        ("incident.work_logged", "l1"),
        ("incident.escalated", "l1"),
        ("incident.accepted", "l2"),
        ("incident.work_logged", "l2"),
        ("incident.commented", "l2"),
        ("incident.resolved", "l2"),
        ("incident.confirmed", "requester"),
    ]
    times = [e.at for e in incident_timeline(user=w.desk, incident=incident)]
    assert times == sorted(times) and times[0] == MONDAY_9AM and times[-1] == now

    # The requester follows the same record without the internal work logs.
    mine = incident_list(user=w.requester, filters=IncidentFilter(queue="reported"))
    assert [i.number for i in mine] == [incident.number]
    seen = incident_get(user=w.requester, number=incident.number)
    assert [e.action for e in incident_timeline(user=w.requester, incident=seen)] == [
        a for a, _ in steps if a != "incident.work_logged"]
    assert sum(seen.worklogs.values_list("minutes", flat=True)) == 75
    assert [p.name for p in media_root.rglob("*.png")] == ["error.png"]
    assert audit_verify_chain().intact


def test_phone_call_chase_rejected_fix_and_auto_confirm(world, settings) -> None:
    w = world
    settings.OPSDESK_AUTO_CONFIRM_DAYS = 3
    now = MONDAY_9AM

    # The desk takes a phone call and dispatches it to a named L1 engineer straight away.
    with clock.frozen_at(now):
        incident = services.incident_create(
            actor=w.desk, requester=w.requester2, channel="phone", title="Mail client will not start",
            description="Outlook crashes at start.", service=w.production, impact=2, urgency=2,
            group=w.l1_group, assignee=w.l1)
    assert (incident.organisation, incident.created_by, incident.state) == (w.city_b, w.desk, "assigned")

    # Nothing happens for a while: the requester chases; the handler and the group lead hear of it.
    with clock.frozen_at(now := now + dt.timedelta(hours=2)):
        incident = _go(incident, w.requester2, "chase", comment="Still waiting")
    assert incident.chase_count == 1
    assert _notified(w.l1, "chased", incident) and _notified(w.l1b, "chased", incident)

    with clock.frozen_at(now := now + dt.timedelta(minutes=30)):
        incident = _go(_go(incident, w.l1, "accept"), w.l1, "resolve", resolution="Reinstalled Outlook")
    # The fix did not hold: the requester rejects it and the same engineer hears of it.
    with clock.frozen_at(now := now + dt.timedelta(hours=1)):
        incident = _go(incident, w.requester2, "reject", reason="Crashes again after a reboot")
    assert (incident.state, incident.assignee, incident.reopen_count) == ("assigned", w.l1, 1)
    assert _notified(w.l1, "reopened", incident)

    with clock.frozen_at(now := now + dt.timedelta(hours=1)):
        incident = _go(_go(incident, w.l1, "accept"), w.l1, "resolve", resolution="Removed a broken add-in",
                       cause_code="software")
    resolved_at = now

    # The requester never answers: three days later the record confirms itself, once.
    with clock.frozen_at(resolved_at + dt.timedelta(days=3, minutes=1)):
        assert services.incidents_auto_confirm() == [incident.number]
        assert services.incidents_auto_confirm() == []
    incident = Incident.objects.get(pk=incident.pk)
    assert (incident.state, incident.auto_confirmed, incident.reopen_count) == ("closed", True, 1)

    # The desk calls back for satisfaction and records the answer.
    incident = services.incident_record_callback(actor=w.desk, incident=incident.number, rating=4,
                                                 comment="Happy now")
    actions = [e.action for e in incident_timeline(user=w.requester2, incident=incident)]
    assert actions == [
        "incident.created", "incident.chased", "incident.accepted", "incident.resolved", "incident.rejected",
        "incident.accepted", "incident.resolved", "incident.auto_confirmed", "incident.callback_recorded",
    ]
    assert audit_verify_chain().intact
