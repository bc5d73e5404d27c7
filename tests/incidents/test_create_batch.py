"""Creating incidents in batches (``incidents_create_many``, the API's group commit): each draft is answered
as if it had been created alone — its own number, actor, audit context, language, assignee and clocks."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from opsdesk.accounts import services as accounts
from opsdesk.accounts.models import SupportGroup, User
from opsdesk.accounts.services import api_token_create
from opsdesk.audit import context as audit_context
from opsdesk.audit.context import AuditContext
from opsdesk.audit.models import AuditEntry
from opsdesk.audit.services import audit_verify_chain
from opsdesk.calendars.models import BusinessCalendar
from opsdesk.catalog.models import RoutingRule
from opsdesk.core import clock
from opsdesk.core.errors import PermissionDenied, ValidationFailed
from opsdesk.incidents import services
from opsdesk.incidents.models import Incident
from opsdesk.incidents.services import IncidentDraft, incidents_create_many
from opsdesk.sla import services as sla
from opsdesk.sla.models import IncidentClock, ServiceLevelAgreement
from tests.api.expect import ApiClient, error_of

UTC = dt.UTC
MORNING = dt.datetime(2026, 3, 2, 1, 30, tzinfo=UTC)  # 09:30 in Shanghai, Monday 2 March 2026
TARGETS = {1: (15, 240), 2: (30, 480), 3: (60, 960), 4: (120, 1920)}  # priority → response, resolution minutes


def draft(world, actor: User, **fields: Any) -> IncidentDraft:
    fields.setdefault("title", "SG186 cannot print")
    fields.setdefault("description", "Nothing happens when printing.")
    fields.setdefault("service", world.production)
    return IncidentDraft(actor=actor, **fields)


def fresh(user: User) -> User:
    """Another object of the same person, as each API request authenticates its own."""
    return User.objects.get(pk=user.pk)


def created(results: list[Any]) -> list[Incident]:
    return [r for r in results if isinstance(r, Incident)]


def created_entry(incident: Incident) -> AuditEntry:
    return AuditEntry.objects.get(action="incident.created", subject_type="incident", subject_id=incident.pk)


@pytest.fixture
def agreement(world) -> ServiceLevelAgreement:
    """A 7×24 agreement on the production service (ERP has none)."""
    now = clock.now()
    calendar = BusinessCalendar.objects.create(name="always", code="always", always_open=True, is_default=True,
                                               holiday_region="", created_at=now, updated_at=now)
    made = sla.agreement_save(actor=world.admin, name="生产系统 SLA", name_en="Production SLA", code="production",
                              calendar=calendar, targets=TARGETS,
                              thresholds=[{"percent": 80, "notify_assignee": True, "notify_group_lead": True,
                                           "notify_managers": False}])
    sla.service_agreement_set(actor=world.admin, service=world.production, agreement=made)
    return made


def team(world, code: str, strategy: str, last: User | None = None) -> SupportGroup:
    group = accounts.group_create(name=code, code=code, organisation=world.province, line="l1", strategy=strategy,
                                  members=[world.l1, world.l1b, world.l2])
    if last is not None:
        group.last_assigned_user = last
        group.save()
    return group


# One batch, several callers ------------------------------------------------------------------------------


def test_a_batch_of_several_callers_creates_all_in_order_each_audited_as_its_own(world) -> None:
    with audit_context.bound(source="api", ip="10.0.0.1") as desk_call:
        for_a = draft(world, fresh(world.desk), requester=world.requester.pk, channel="phone", title="City A down")
    with audit_context.bound(source="api", ip="10.0.0.2") as desk_call_b:
        for_b = draft(world, fresh(world.desk), requester=world.requester2, channel="phone", title="City B down")
    own_context = AuditContext(source="ui", ip="10.9.9.9", correlation_id="own-report-1")
    own = draft(world, world.requester, context=own_context, title="My screen is dark")

    with clock.frozen_at(MORNING):
        results = incidents_create_many([for_a, for_b, own])

    assert all(isinstance(r, Incident) for r in results)
    assert [r.number for r in results] == ["INC202603020001", "INC202603020002", "INC202603020003"]
    assert [(r.title, r.requester, r.organisation, r.created_by) for r in results] == [
        ("City A down", world.requester, world.city_a, world.desk),
        ("City B down", world.requester2, world.city_b, world.desk),
        ("My screen is dark", world.requester, world.city_a, world.requester),
    ]
    assert Incident.objects.count() == 3
    entries = [created_entry(r) for r in results]
    assert [(e.actor_id, e.actor_name, e.organisation_id) for e in entries] == [
        (world.desk.pk, "desk", world.city_a.pk), (world.desk.pk, "desk", world.city_b.pk),
        (world.requester.pk, "requester", world.city_a.pk)]
    assert [(e.source, e.ip, e.correlation_id) for e in entries] == [
        ("api", "10.0.0.1", desk_call.correlation_id), ("api", "10.0.0.2", desk_call_b.correlation_id),
        ("ui", "10.9.9.9", "own-report-1")]
    assert entries[0].correlation_id != entries[1].correlation_id
    assert [e.data["fields"]["title"] for e in entries] == ["City A down", "City B down", "My screen is dark"]
    report = audit_verify_chain()
    assert report.intact, report
    assert report.checked == AuditEntry.objects.count()


def test_numbers_continue_the_day_after_single_creates(world) -> None:
    with clock.frozen_at(MORNING):
        first = services.incident_create(actor=world.requester, title="First", description="x",
                                         service=world.production)
        batch = incidents_create_many([draft(world, world.requester) for _ in range(3)])
        last = services.incident_create(actor=world.requester, title="Last", description="x",
                                        service=world.production)
    assert [first.number, *(r.number for r in batch), last.number] == [
        f"INC20260302{n:04d}" for n in range(1, 6)]


# Refused drafts -------------------------------------------------------------------------------------------


def test_refused_drafts_are_answered_in_place_and_write_nothing(world, agreement) -> None:
    audited = AuditEntry.objects.count()
    drafts = [
        draft(world, world.requester, title="Valid one"),
        draft(world, fresh(world.desk), requester=world.requester.pk, service=99999),
        draft(world, world.requester, requester=world.requester2.pk),
        draft(world, fresh(world.desk), requester=world.requester2.pk, title="   "),
        draft(world, fresh(world.desk), requester=world.requester2.pk, title="Valid two"),
    ]

    with clock.frozen_at(MORNING):
        results = incidents_create_many(drafts)

    valid_one, unknown, foreign, blank, valid_two = results
    assert isinstance(unknown, ValidationFailed) and unknown.status == 422
    assert list(unknown.field_errors) == ["service"] and "99999" in unknown.field_errors["service"][0]
    assert isinstance(foreign, PermissionDenied) and foreign.status == 403
    assert isinstance(blank, ValidationFailed) and list(blank.field_errors) == ["title"]
    assert [(i.title, i.number) for i in (valid_one, valid_two)] == [("Valid one", "INC202603020001"),
                                                                     ("Valid two", "INC202603020002")]
    assert set(Incident.objects.values_list("title", flat=True)) == {"Valid one", "Valid two"}
    assert IncidentClock.objects.count() == 4  # response and resolution for each of the two
    assert set(IncidentClock.objects.values_list("incident_id", flat=True)) == {valid_one.pk, valid_two.pk}
    assert AuditEntry.objects.count() == audited + 2
    assert set(AuditEntry.objects.filter(action="incident.created").values_list("subject_id", flat=True)) == {
        valid_one.pk, valid_two.pk}
    assert audit_verify_chain().intact


def test_a_batch_of_refused_drafts_only_writes_nothing(world) -> None:
    results = incidents_create_many([draft(world, world.requester, title=""),
                                     draft(world, world.requester, category=123456)])
    assert [type(r) for r in results] == [ValidationFailed, ValidationFailed]
    assert list(results[1].field_errors) == ["category"] and "123456" in results[1].field_errors["category"][0]
    assert not Incident.objects.exists()
    assert not AuditEntry.objects.filter(action="incident.created").exists()
    with clock.frozen_at(MORNING):
        assert services.incident_create(actor=world.requester, title="Now", description="x",
                                        service=world.production).number == "INC202603020001"


def test_each_draft_is_answered_in_its_own_language(world) -> None:
    results = incidents_create_many([
        draft(world, world.requester, title="", language="en"),
        draft(world, world.requester, title="", language="zh-hans"),
        draft(world, world.requester, title="Fine", language="en"),
        draft(world, world.requester, service=99999, language="zh-hans"),
        draft(world, world.requester, service=99999, language="en"),
    ])

    blank_en, blank_zh, fine, unknown_zh, unknown_en = results
    assert blank_en.field_errors == {"title": ["Give the incident a short title."]}
    assert str(blank_en) == "Some fields need your attention."
    assert blank_zh.field_errors == {"title": ["请为事件填写简短的标题。"]}
    assert isinstance(fine, Incident)
    assert unknown_zh.field_errors["service"][0].startswith("不存在 id 为 99999 的")
    assert unknown_en.field_errors["service"][0].startswith("There is no ")
    assert "99999" in unknown_en.field_errors["service"][0]


# Members picked for a batch -------------------------------------------------------------------------------


def test_round_robin_gives_a_batch_the_members_in_turn_as_single_creates_would(world) -> None:
    batch_group = team(world, "rr-batch", "round_robin", last=world.l1b)
    single_group = team(world, "rr-single", "round_robin", last=world.l1b)
    desk = world.desk

    def drafts(group: SupportGroup) -> list[IncidentDraft]:
        made = [draft(world, fresh(desk), requester=world.requester, group=group.pk if i % 2 else group)
                for i in range(5)]
        made.insert(2, draft(world, fresh(desk), requester=world.requester, group=group, title=""))  # refused
        return made

    batch = incidents_create_many(drafts(batch_group))
    singly = []
    for one in drafts(single_group):
        try:
            singly.append(services.incident_create(**vars(one)))
        except ValidationFailed as error:
            singly.append(error)

    expected = [world.l2, world.l1, world.l1b, world.l2, world.l1]  # members by id, after l1b
    assert [i.assignee for i in created(batch)] == expected
    assert [i.assignee for i in created(singly)] == expected
    assert isinstance(batch[2], ValidationFailed)  # the refused draft took no turn
    assert [(i.state, i.assigned_group) for i in created(batch)] == [("assigned", batch_group)] * 5
    for group in (batch_group, single_group):
        group.refresh_from_db()
        assert group.last_assigned_user == world.l1


def test_round_robin_continues_across_batches_and_routed_drafts(world) -> None:
    group = team(world, "rr", "round_robin")
    RoutingRule.objects.create(service=world.production, group=group)

    first = incidents_create_many([draft(world, world.requester) for _ in range(2)])
    second = incidents_create_many([draft(world, world.requester2) for _ in range(2)])

    assert [i.assignee for i in first + second] == [world.l1, world.l1b, world.l2, world.l1]
    assert all(created_entry(i).data["routed"] for i in first + second)


def test_least_loaded_spreads_a_batch_over_the_members(world) -> None:
    group = team(world, "ll", "least_loaded")
    for _ in range(2):  # l1 has two open records, l1b one, l2 none
        services.incident_create(actor=world.desk, requester=world.requester, title="Busy", description="x",
                                 service=world.production, group=world.l1_group, assignee=world.l1)
    services.incident_create(actor=world.desk, requester=world.requester, title="Busy", description="x",
                             service=world.production, group=world.l1_group, assignee=world.l1b)

    batch = incidents_create_many([draft(world, fresh(world.desk), requester=world.requester, group=group)
                                   for _ in range(4)])

    assert [i.assignee for i in batch] == [world.l2, world.l1b, world.l2, world.l1]
    open_load = {u.username: Incident.objects.filter(assignee=u, state="assigned").count()
                 for u in (world.l1, world.l1b, world.l2)}
    assert open_load == {"l1": 3, "l1b": 2, "l2": 2}


# SLA clocks ----------------------------------------------------------------------------------------------


def test_every_created_incident_with_an_agreement_gets_its_clocks_already_loaded(
        world, agreement, django_assert_num_queries) -> None:
    with clock.frozen_at(MORNING):
        results = incidents_create_many([
            draft(world, world.requester, impact=1, urgency=1),
            draft(world, world.requester, service=world.erp),  # no agreement
            draft(world, world.requester, title=""),  # refused
            draft(world, fresh(world.desk), requester=world.requester2.pk, service=world.production.pk,
                  group=world.l1_group.pk),
        ])
    urgent, erp, refused, dispatched = results
    assert isinstance(refused, ValidationFailed)

    with django_assert_num_queries(0):
        loaded = {i.number: sorted((c.kind, c.target_seconds) for c in i.sla_clocks.all())
                  for i in (urgent, erp, dispatched)}

    assert loaded[erp.number] == []
    assert loaded[urgent.number] == [("resolution", 240 * 60), ("response", 15 * 60)]
    response, resolution = TARGETS[dispatched.priority]
    assert loaded[dispatched.number] == [("resolution", resolution * 60), ("response", response * 60)]
    for incident in (urgent, erp, dispatched):
        stored = sorted(IncidentClock.objects.filter(incident=incident).values_list("kind", "target_seconds"))
        assert loaded[incident.number] == stored
        assert all(c.started_at == MORNING for c in IncidentClock.objects.filter(incident=incident))


# Cost ---------------------------------------------------------------------------------------------------


def test_a_batch_of_ten_costs_far_less_than_ten_single_creates(world, agreement) -> None:
    group = team(world, "rr", "round_robin")
    RoutingRule.objects.create(service=world.production, group=group)

    def api_like(index: int) -> IncidentDraft:
        if index % 2:
            return draft(world, fresh(world.desk), requester=world.requester2.pk, service=world.production.pk,
                         channel="phone")
        return draft(world, fresh(world.requester), service=world.production.pk, channel="api")

    incidents_create_many([api_like(0)])  # warm: content types, first-use caches
    one_draft, ten_drafts = [api_like(0)], [api_like(i) for i in range(10)]

    with CaptureQueriesContext(connection) as single:
        (alone,) = incidents_create_many(one_draft)
    with CaptureQueriesContext(connection) as batch:
        results = incidents_create_many(ten_drafts)

    assert isinstance(alone, Incident) and all(isinstance(r, Incident) for r in results)
    assert len(batch) < 2 * len(single), (len(single), len(batch), [q["sql"][:120] for q in batch.captured_queries])
    assert IncidentClock.objects.filter(incident__in=results).count() == 20


# The API --------------------------------------------------------------------------------------------------


@pytest.fixture
def api(world):
    def client(user: User, language: str = "en") -> ApiClient:
        secret = api_token_create(actor=user, name="batch tests").secret
        return ApiClient(headers={"Authorization": f"Bearer {secret}", "Accept-Language": language})

    return client


def body(world, **extra: Any) -> dict[str, Any]:
    return {"title": "SG186 print fails", "description": "The print button does nothing.",
            "service": world.production.pk, **extra}


def test_an_api_create_goes_through_the_intake_and_answers_201_with_its_clocks(world, agreement, api) -> None:
    batches = services.incident_intake.batches

    response = api(world.desk).post_json("/api/v1/incidents", body(world, requester=world.requester.pk,
                                                                   group=world.l1_group.pk))

    assert response.status_code == 201, response.content
    answer = response.json()
    incident = Incident.objects.get(number=answer["number"])
    assert (answer["requester"], answer["created_by"], answer["group"]) == (
        world.requester.pk, world.desk.pk, world.l1_group.pk)
    assert answer["sla"] is not None
    assert services.incident_intake.batches == batches + 1
    entry = created_entry(incident)
    assert (entry.actor_id, entry.source) == (world.desk.pk, "api")


@pytest.mark.parametrize("field", ["category", "requester", "group", "assignee"])
def test_an_unknown_id_through_the_api_is_a_422_naming_the_field_and_the_id(world, api, field) -> None:
    extra: dict[str, Any] = {"requester": world.requester.pk, "group": world.l1_group.pk, field: 987654}

    failure = error_of(api(world.desk).post_json("/api/v1/incidents", body(world, **extra)), 422)

    assert list(failure["errors"]) == [field]
    assert failure["errors"][field][0].startswith("There is no ") and "987654" in failure["errors"][field][0]
    assert not Incident.objects.exists()


def test_an_api_error_is_in_the_callers_language(world, api) -> None:
    failure = error_of(api(world.requester, "zh-hans").post_json("/api/v1/incidents", body(world, service=99999)),
                       422)
    assert failure["errors"]["service"][0].startswith("不存在 id 为 99999 的")
