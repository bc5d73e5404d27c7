"""The stored clocks: targets per priority, business time, pause and resume, recomputation on changes."""

from __future__ import annotations

import datetime as dt

from opsdesk.core import clock
from opsdesk.incidents import services as incidents
from opsdesk.sla.models import IncidentClock

from .conftest import MONDAY_9, act, at


def clocks(incident) -> dict[str, IncidentClock]:
    return {c.kind: c for c in IncidentClock.objects.filter(incident=incident)}


def test_no_agreement_no_clocks(world, office, report):
    incident = report()
    assert not IncidentClock.objects.filter(incident=incident).exists()


def test_targets_per_priority_in_business_time(world, agreement, report):
    # P4: response 2 h, resolution 1920 min = 32 business hours = 4 working days of 8 h.
    low = clocks(report())
    assert low["response"].target_seconds == 2 * 3600
    assert low["response"].due_at == at(2, 11)
    assert low["resolution"].due_at == at(5, 17)  # Mon 9:00 + 4 × 8 h → Thursday 17:00
    # Reported on Friday 16:00, P1 (impact and urgency high): response 15 min → Friday 16:15; resolution
    # 4 h → 1 h on Friday, 3 h on Monday → Monday 12:00.
    high = clocks(report(at(6, 16), impact=1, urgency=1))
    assert high["response"].due_at == at(6, 16, 15)
    assert high["resolution"].due_at == at(9, 12)
    # Reported on Saturday: nothing counts until Monday 09:00.
    weekend = clocks(report(at(7, 10), impact=1, urgency=1))
    assert weekend["response"].due_at == at(9, 9, 15)


def test_response_stops_at_first_take_and_never_restarts(world, agreement, report):
    incident = report(group=world.l1_group, assignee=world.l1)
    act(at(2, 10), world.l1, incident, "accept")
    response = clocks(incident)["response"]
    assert response.stopped_at == at(2, 10) and response.met is True and response.consumed_seconds == 3600
    act(at(2, 11), world.l1, incident, "escalate", group=world.l2_group.pk, reason="needs L2")
    assert clocks(incident)["response"].stopped_at == at(2, 10)


def test_late_response_is_not_met_and_breached_at_the_due_time(world, agreement, report):
    incident = report(group=world.l1_group, assignee=world.l1)
    act(at(2, 13), world.l1, incident, "accept")
    response = clocks(incident)["response"]
    assert response.met is False and response.breached_at == at(2, 11)


def test_pause_on_customer_is_exact_and_vendor_does_not_pause(world, agreement, report):
    incident = report(group=world.l1_group, assignee=world.l1)
    act(at(2, 10), world.l1, incident, "accept")
    act(at(2, 11), world.l1, incident, "pend", reason="need a screenshot", pending_reason="customer")
    paused = clocks(incident)["resolution"]
    assert paused.paused and paused.running_since is None and paused.due_at is None
    assert paused.consumed_seconds == 2 * 3600 and paused.next_threshold_at is None
    # Resumed Tuesday 15:30: the 1920 − 120 = 1800 business minutes left run from there.
    act(at(3, 15, 30), world.l1, incident, "resume")
    resumed = clocks(incident)["resolution"]
    assert not resumed.paused and resumed.consumed_seconds == 2 * 3600
    # Tue 15:30 + 30 h: Tue 1.5 h, Wed 8, Thu 8, Fri 8 (25.5), Mon 4.5 → Monday 13:30.
    assert resumed.due_at == at(9, 13, 30)
    # Pending on a vendor does not pause this agreement's clock.
    act(at(4, 9), world.l1, incident, "pend", reason="SAP", pending_reason="vendor", vendor="SAP")
    vendor = clocks(incident)["resolution"]
    assert not vendor.paused and vendor.due_at == at(9, 13, 30)


def test_priority_change_recomputes_due_times(world, agreement, report):
    incident = report(group=world.l1_group)
    with clock.frozen_at(at(2, 10)):
        incidents.incident_update(actor=world.desk, incident=incident.number, version=incident.version,
                                  priority=1, priority_reason="whole plant down")
    changed = clocks(incident)
    assert changed["response"].target_seconds == 15 * 60
    # An hour had already passed: the P1 response target was missed at 09:15.
    assert changed["response"].due_at == at(2, 9, 15)
    assert changed["resolution"].due_at == at(2, 13)


def test_service_change_recomputes_from_history(world, agreement, report):
    incident = report(service=world.erp)
    assert not clocks(incident)
    with clock.frozen_at(at(2, 10)):
        incidents.incident_update(actor=world.desk, incident=incident.number, version=incident.version,
                                  service=world.production.pk and world.production)
    moved = clocks(incident)
    assert moved["response"].started_at == MONDAY_9
    assert moved["response"].due_at == at(2, 11)
    with clock.frozen_at(at(2, 10, 30)):
        incidents.incident_update(actor=world.desk, incident=incident.number, version=incident.version + 1,
                                  service=world.erp)
    assert not clocks(incident)


def test_resolve_stops_and_reopen_continues_where_it_was(world, agreement, report):
    incident = report(group=world.l1_group, assignee=world.l1)
    act(at(2, 10), world.l1, incident, "accept")
    act(at(2, 12), world.l1, incident, "resolve", resolution="restarted the print service")
    resolved = clocks(incident)["resolution"]
    assert resolved.stopped_at == at(2, 12) and resolved.met is True and resolved.consumed_seconds == 3 * 3600
    act(at(3, 9), world.requester, incident, "reject", reason="still broken")
    reopened = clocks(incident)["resolution"]
    assert reopened.stopped_at is None and reopened.met is None and reopened.running_since == at(3, 9)
    assert reopened.consumed_seconds == 3 * 3600
    # 32 h − 3 h = 29 h from Tuesday 09:00: Tue, Wed, Thu (24) + 5 h Friday → Friday 14:00.
    assert reopened.due_at == at(6, 14)
    assert clocks(incident)["response"].stopped_at == at(2, 10)


def test_cancel_stops_both_clocks_without_a_verdict(world, agreement, report):
    incident = report()
    act(at(2, 9, 30), world.desk, incident, "cancel", reason="duplicate")
    for c in clocks(incident).values():
        assert c.stopped_at == at(2, 9, 30) and c.met is None and c.next_threshold_at is None


def test_next_threshold_is_stored(world, agreement, report):
    incident = report()
    response = clocks(incident)["response"]
    assert (response.next_threshold_percent, response.next_threshold_at) == (50, at(2, 10))
    assert response.warn_percent == 50
    assert response.started_at + dt.timedelta(hours=1) == response.next_threshold_at


def test_a_calendar_edit_replans_running_clocks(world, agreement, office, report):
    import uuid

    from opsdesk.calendars.models import WorkingPeriod
    from opsdesk.sla.services import clocks_replan_changed_calendars

    incident = report(group=world.l1_group, assignee=world.l1)
    act(at(2, 10), world.l1, incident, "accept")
    assert clocks_replan_changed_calendars(at(2, 10)) == 0  # first sight: only remembered
    WorkingPeriod.objects.filter(calendar=office, weekday=3).update(end="12:00")  # Thursday afternoons off
    office.stamp = uuid.uuid4()
    office.save()
    assert clocks_replan_changed_calendars(at(2, 10, 5)) == 1  # the resolution clock; the response one stopped
    resolution = clocks(incident)["resolution"]
    # 32 h from Monday 09:00: Mon 8, Tue 8, Wed 8, Thu 3 (09–12), Fri 5 → Friday 14:00.
    assert resolution.due_at == at(6, 14)
    assert clocks_replan_changed_calendars(at(2, 10, 6)) == 0


def test_a_calendar_replan_goes_on_in_chunks_and_records_the_calendar_only_when_every_clock_is_done(
        world, agreement, office, report, monkeypatch):
    import uuid

    from opsdesk.calendars.models import WorkingPeriod
    from opsdesk.sla import services as sla_services
    from opsdesk.sla.models import CalendarWatermark

    incidents = [report(group=world.l1_group, assignee=world.l1) for _ in range(3)]
    assert sla_services.clocks_replan_changed_calendars(at(2, 10)) == 0  # first sight: only remembered
    first_stamp = CalendarWatermark.objects.get(calendar=office).stamp
    WorkingPeriod.objects.filter(calendar=office, weekday=3).update(end="12:00")  # Thursday afternoons off
    office.stamp = uuid.uuid4()
    office.save()
    monkeypatch.setattr(sla_services, "REPLAN_CHUNK", 2)
    # Six running clocks (response and resolution of three records), two per chunk, one chunk per call.
    assert sla_services.clocks_replan_changed_calendars(at(2, 10, 5), budget_seconds=0) == 2
    mark = CalendarWatermark.objects.get(calendar=office)
    assert mark.stamp == first_stamp and mark.replan_stamp == office.stamp  # not recorded as done yet
    assert sla_services.clocks_replan_changed_calendars(at(2, 10, 5), budget_seconds=0) == 2
    assert sla_services.clocks_replan_changed_calendars(at(2, 10, 5), budget_seconds=0) == 2
    assert CalendarWatermark.objects.get(calendar=office).stamp == first_stamp
    assert sla_services.clocks_replan_changed_calendars(at(2, 10, 5), budget_seconds=0) == 0  # none left: done
    assert CalendarWatermark.objects.get(calendar=office).stamp == office.stamp
    for incident in incidents:
        # 32 h from Monday 09:00: Mon 8, Tue 8, Wed 8, Thu 3 (09–12), Fri 5 → Friday 14:00.
        assert clocks(incident)["resolution"].due_at == at(6, 14)
    assert sla_services.clocks_replan_changed_calendars(at(2, 10, 6)) == 0


def test_an_edit_during_a_calendar_replan_starts_it_over_in_the_newer_version(world, agreement, office, report,
                                                                              monkeypatch):
    import uuid

    from opsdesk.calendars.models import WorkingPeriod
    from opsdesk.sla import services as sla_services
    from opsdesk.sla.models import CalendarWatermark

    incidents = [report(group=world.l1_group, assignee=world.l1) for _ in range(2)]
    sla_services.clocks_replan_changed_calendars(at(2, 10))
    office.stamp = uuid.uuid4()
    office.save()
    monkeypatch.setattr(sla_services, "REPLAN_CHUNK", 3)
    assert sla_services.clocks_replan_changed_calendars(at(2, 10, 5), budget_seconds=0) == 3
    WorkingPeriod.objects.filter(calendar=office, weekday=3).update(end="12:00")  # a second edit
    office.stamp = uuid.uuid4()
    office.save()
    assert sla_services.clocks_replan_changed_calendars(at(2, 10, 6)) == 4  # all four again, in the new version
    assert CalendarWatermark.objects.get(calendar=office).stamp == office.stamp
    for incident in incidents:
        assert clocks(incident)["resolution"].due_at == at(6, 14)
