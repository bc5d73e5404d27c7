"""Organisation scoping: who sees which records, in lists, search, detail and timeline."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from opsdesk.core.errors import NotFound
from opsdesk.incidents import rules, services
from opsdesk.incidents.models import Incident
from opsdesk.incidents.selectors import (
    IncidentFilter,
    incident_get,
    incident_list,
    incident_timeline,
    queue_counts,
    visible_to,
)

from .records import step


@dataclass
class Records:
    a: Incident  # requester, City A
    c: Incident  # viewer_a, City A
    b: Incident  # requester2, City B
    p: Incident  # desk, the provincial company
    h: Incident  # admin, headquarters


def _report(actor, world, title: str) -> Incident:
    return services.incident_create(actor=actor, title=title, description=f"{title}: 打印机卡纸 paper jam",
                                    service=world.production)


@pytest.fixture
def records(world) -> Records:
    return Records(
        a=_report(world.requester, world, "Printer A"),
        c=_report(world.viewer_a, world, "Printer C"),
        b=_report(world.requester2, world, "Printer B"),
        p=_report(world.desk, world, "Printer P"),
        h=_report(world.admin, world, "Printer H"),
    )


# Who sees which record: by organisation scope, never beyond it.
SEES = {
    "requester": "a",  # their own only, not a City A colleague's
    "requester2": "b",
    "viewer_a": "ac",  # the organisation viewer: their organisation's records
    "l1": "ac",  # City A engineers: City A
    "desk": "acbp",  # the provincial desk: both cities and the province
    "l2": "acbp",
    "manager": "acbp",
    "category_admin": "acbp",
    "l3": "acbph",  # headquarters sees everything
    "auditor": "acbph",
    "admin": "acbph",
}


def _letters(records: Records, incidents) -> str:
    by_pk = {getattr(records, k).pk: k for k in "acbph"}
    return "".join(sorted(by_pk[i.pk] for i in incidents))


@pytest.mark.parametrize(("role", "expected"), SEES.items())
def test_lists_and_search_show_only_records_in_scope(world, records, role, expected) -> None:
    user = getattr(world, role)
    want = "".join(sorted(expected))
    assert _letters(records, visible_to(user)) == want
    assert _letters(records, incident_list(user=user)) == want
    assert _letters(records, incident_list(user=user, filters=IncidentFilter(q="printer"))) == want
    assert _letters(records, incident_list(user=user, filters=IncidentFilter(q="打印机 卡纸"))) == want


@pytest.mark.parametrize(("role", "expected"), SEES.items())
def test_detail_and_timeline_exist_only_in_scope(world, records, role, expected) -> None:
    user = getattr(world, role)
    for letter in "acbph":
        record = getattr(records, letter)
        if letter in expected:
            assert incident_get(user=user, number=record.number).pk == record.pk
            assert [e.action for e in incident_timeline(user=user, incident=record)] == ["incident.created"]
        else:
            with pytest.raises(NotFound):
                incident_get(user=user, number=record.number)
            with pytest.raises(NotFound):
                incident_timeline(user=user, incident=record)


def test_searching_another_citys_number_finds_nothing(world, records) -> None:
    assert list(incident_list(user=world.requester, filters=IncidentFilter(q=records.b.number))) == []
    assert list(incident_list(user=world.requester2, filters=IncidentFilter(q=records.b.number))) == [records.b]
    assert list(incident_list(user=world.requester, filters=IncidentFilter(q=records.b.number.lower()))) == []


def test_filtering_by_another_organisation_does_not_widen_the_scope(world, records) -> None:
    filters = IncidentFilter(organisation=world.city_b.pk)
    assert list(incident_list(user=world.viewer_a, filters=filters)) == []
    assert list(incident_list(user=world.desk, filters=filters)) == [records.b]


def test_a_group_sees_records_dispatched_to_it_from_another_city(world, records) -> None:
    step(records.b, world.desk, "assign", group=world.l1_group)
    assert records.b.pk in {i.pk for i in visible_to(world.l1)}
    assert incident_get(user=world.l1, number=records.b.number).pk == records.b.pk
    assert records.b.pk not in {i.pk for i in visible_to(world.viewer_a)}


def test_a_watcher_added_by_the_desk_sees_the_record(world, records) -> None:
    with pytest.raises(NotFound):
        incident_get(user=world.requester2, number=records.a.number)
    services.incident_watch(actor=world.desk, incident=records.a.number, user=world.requester2)
    assert incident_get(user=world.requester2, number=records.a.number).pk == records.a.pk
    assert records.a.pk in {i.pk for i in visible_to(world.requester2)}


def test_internal_comments_and_work_logs_are_hidden_from_the_requesters_timeline(world, make) -> None:
    incident = make.in_progress()
    services.incident_log_work(actor=world.l1, incident=incident.number, minutes=20, note="Checked the DB locks")
    services.incident_comment(actor=world.l1, incident=incident.number, body="Suspect the SSO proxy", internal=True)
    services.incident_comment(actor=world.l1, incident=incident.number, body="Please try again now")
    incident = Incident.objects.get(pk=incident.pk)

    def texts(user) -> list[str]:
        return [e.data.get("note") or e.data.get("body") for e in incident_timeline(user=user, incident=incident)
                if e.action in ("incident.work_logged", "incident.commented")]

    assert texts(world.requester) == ["Please try again now"]
    assert texts(world.viewer_a) == ["Please try again now"]
    assert texts(world.desk) == ["Checked the DB locks", "Suspect the SSO proxy", "Please try again now"]
    assert texts(world.auditor) == ["Checked the DB locks", "Suspect the SSO proxy", "Please try again now"]


def test_queues_count_what_the_engineer_has_to_do(world, make) -> None:
    make.assigned(assignee=world.l1)
    make.assigned()
    make.assigned()
    make.in_progress()  # l1 took it
    make.resolved()  # no longer open
    assert queue_counts(user=world.l1) == {"mine": 2, "my_groups": 4, "unassigned": 2}
    assert queue_counts(user=world.l1b) == {"mine": 0, "my_groups": 4, "unassigned": 2}
    assert queue_counts(user=world.l2) == {"mine": 0, "my_groups": 0, "unassigned": 0}
    mine = incident_list(user=world.l1, filters=IncidentFilter(queue="mine"))
    assert {i.assignee_id for i in mine} == {world.l1.pk}


def test_the_list_and_the_detail_agree_on_what_each_person_may_see(world, records, make) -> None:
    """``visible_to`` (lists) and ``rules.can_view`` (detail, writes) must never disagree."""
    step(records.b, world.desk, "assign", group=world.l1_group)  # a City B record in the City A L1 group
    step(records.h, world.admin, "assign", group=world.l3_group, assignee=world.l3)
    services.incident_watch(actor=world.desk, incident=records.p.number, user=world.requester)
    make.escalated()
    for role in SEES:
        user = getattr(world, role)
        listed = set(visible_to(user).values_list("pk", flat=True))
        allowed = {i.pk for i in Incident.objects.all() if rules.can_view(user, i)}
        assert listed == allowed, role
