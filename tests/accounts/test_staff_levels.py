"""Staff levels (人员级别) and their dated cost rates: services, audit, the rate in effect, the admin page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client

from opsdesk.accounts import selectors, services
from opsdesk.accounts.models import StaffLevel, StaffLevelRate
from opsdesk.audit.models import AuditEntry
from opsdesk.core.errors import PermissionDenied, ValidationFailed

pytestmark = pytest.mark.django_db


@pytest.fixture
def senior(world) -> StaffLevel:
    level = services.staff_level_create(actor=world.admin, code="senior", name="高级工程师", name_en="Senior engineer",
                                        hourly_rate="260.00", effective_from=dt.date(2025, 1, 1))
    services.staff_level_rate_set(actor=world.admin, level=level, effective_from=dt.date(2026, 1, 1),
                                  hourly_rate=Decimal("280.50"))
    return level


def test_the_rate_in_effect_is_the_latest_that_started_on_or_before_the_day(senior):
    assert selectors.staff_level_rate_on(senior, dt.date(2024, 12, 31)) is None
    assert selectors.staff_level_rate_on(senior, dt.date(2025, 1, 1)).hourly_rate == Decimal("260.00")
    assert selectors.staff_level_rate_on(senior, dt.date(2025, 12, 31)).hourly_rate == Decimal("260.00")
    assert selectors.staff_level_rate_on(senior, dt.date(2026, 1, 1)).hourly_rate == Decimal("280.50")
    assert selectors.staff_level_rate_on(None, dt.date(2026, 1, 1)) is None


def test_a_rate_on_a_date_that_has_one_corrects_it_and_leaves_the_others(world, senior):
    services.staff_level_rate_set(actor=world.admin, level=senior, effective_from=dt.date(2026, 1, 1),
                                  hourly_rate="290")
    assert list(senior.rates.order_by("effective_from").values_list("hourly_rate", flat=True)) == [
        Decimal("260.00"), Decimal("290.00")]


def test_every_change_is_audited(world, senior):
    services.user_staff_level_set(actor=world.admin, user=world.l2, level=senior)
    actions = list(AuditEntry.objects.filter(action__startswith="staff_level.").values_list("action", flat=True))
    assert actions == ["staff_level.created", "staff_level.rate_set"]
    entry = AuditEntry.objects.get(action="user.staff_level_set")
    assert entry.data["changes"] == {"staff_level": [None, "senior"]}
    assert entry.actor_id == world.admin.pk
    world.l2.refresh_from_db()
    assert world.l2.staff_level == senior
    services.staff_level_update(actor=world.admin, level=senior, code="senior", name="高级工程师", name_en="Senior",
                                rank=3)
    assert AuditEntry.objects.get(action="staff_level.changed").data["changes"] == {
        "name_en": ["Senior engineer", "Senior"], "rank": [0, 3]}


@pytest.mark.parametrize("username", ["desk", "l2", "auditor", "requester"])
def test_only_administrators_change_levels(world, senior, username):
    actor = getattr(world, username)
    with pytest.raises(PermissionDenied):
        services.staff_level_create(actor=actor, code="x", name="X")
    with pytest.raises(PermissionDenied):
        services.staff_level_rate_set(actor=actor, level=senior, effective_from=dt.date(2027, 1, 1), hourly_rate=1)
    with pytest.raises(PermissionDenied):
        services.user_staff_level_set(actor=actor, user=world.l1, level=senior)
    assert StaffLevelRate.objects.count() == 2


@pytest.mark.parametrize(("arguments", "field"), [
    ({"code": "", "name": "X"}, "code"),
    ({"code": "has space", "name": "X"}, "code"),
    ({"code": "senior", "name": "X"}, "code"),
    ({"code": "x", "name": ""}, "name"),
    ({"code": "x", "name": "X", "hourly_rate": "-1", "effective_from": dt.date(2026, 1, 1)}, "hourly_rate"),
    ({"code": "x", "name": "X", "hourly_rate": "1.234", "effective_from": dt.date(2026, 1, 1)}, "hourly_rate"),
    ({"code": "x", "name": "X", "hourly_rate": "lots", "effective_from": dt.date(2026, 1, 1)}, "hourly_rate"),
    ({"code": "x", "name": "X", "hourly_rate": "100"}, "effective_from"),
])
def test_bad_levels_are_refused_naming_the_field(world, senior, arguments, field):
    with pytest.raises(ValidationFailed) as error:
        services.staff_level_create(actor=world.admin, **arguments)
    assert list(error.value.field_errors) == [field]
    assert StaffLevel.objects.count() == 1


def _admin_client(world) -> Client:
    client = Client()
    client.force_login(world.admin)
    client.cookies["django_language"] = "en"
    return client


def test_the_admin_page_creates_levels_adds_rates_and_sets_levels(world, senior):
    client = _admin_client(world)
    page = client.get("/accounts/staff-levels/")
    assert page.status_code == 200 and "280.50" in page.content.decode()
    created = client.post("/accounts/staff-levels/new/", {"code": "expert", "name": "专家", "name_en": "Expert",
                                                         "rank": 4, "hourly_rate": "400.00",
                                                         "effective_from": "2026-01-01"})
    assert created.status_code == 302
    expert = StaffLevel.objects.get(code="expert")
    added = client.post(f"/accounts/staff-levels/{expert.pk}/rates/", {
        f"rate-{expert.pk}-hourly_rate": "420", f"rate-{expert.pk}-effective_from": "2026-07-01"})
    assert added.status_code == 302
    assert selectors.staff_level_rate_on(expert, dt.date(2026, 8, 1)).hourly_rate == Decimal("420.00")
    assigned = client.post("/accounts/staff-levels/people/", {"user": world.l3.pk, "level": expert.pk})
    assert assigned.status_code == 302
    world.l3.refresh_from_db()
    assert world.l3.staff_level == expert


def test_bad_input_on_the_page_is_shown_next_to_the_field_and_kept(world, senior):
    client = _admin_client(world)
    response = client.post("/accounts/staff-levels/new/", {"code": "senior", "name": "重复", "hourly_rate": "100",
                                                          "effective_from": "2026-01-01"})
    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="id_code_errors"' in page and 'value="重复"' in page
    response = client.post(f"/accounts/staff-levels/{senior.pk}/rates/", {
        f"rate-{senior.pk}-hourly_rate": "-5", f"rate-{senior.pk}-effective_from": "2026-07-01"})
    assert response.status_code == 422
    assert f'id="id_rate-{senior.pk}-hourly_rate_errors"' in response.content.decode()
    assert StaffLevelRate.objects.filter(level=senior).count() == 2


def test_others_may_not_open_the_page(world):
    client = Client()
    client.force_login(world.desk)
    assert client.get("/accounts/staff-levels/").status_code == 403
    assert client.post("/accounts/staff-levels/new/", {"code": "x", "name": "X"}).status_code == 403
    assert not StaffLevel.objects.exists()


def test_levels_are_listed_in_their_order(world, senior):
    services.staff_level_create(actor=world.admin, code="expert", name="专家", rank=9)
    services.staff_level_create(actor=world.admin, code="junior", name="初级工程师", rank=0)
    services.user_staff_level_set(actor=world.admin, user=world.l2, level=senior)
    services.staff_level_update(actor=world.admin, level=senior, code="senior", name="高级工程师", rank=5)
    assert [(level.code, level.people) for level in selectors.staff_level_list()] == [
        ("junior", 0), ("senior", 1), ("expert", 0)]


def test_a_level_from_a_later_date_leaves_todays_level_and_is_audited_with_its_date(world, senior):
    junior = services.staff_level_create(actor=world.admin, code="junior", name="初级工程师")
    services.user_staff_level_set(actor=world.admin, user=world.l1, level=junior, effective_from=dt.date(2025, 1, 1))
    services.user_staff_level_set(actor=world.admin, user=world.l1, level=senior, effective_from=dt.date(2099, 1, 1))
    world.l1.refresh_from_db()
    assert world.l1.staff_level == junior
    assert list(world.l1.staff_level_history.order_by("effective_from").values_list("level__code", flat=True)) == [
        "junior", "senior"]
    entry = AuditEntry.objects.filter(action="user.staff_level_set").order_by("-id").first()
    assert entry.data == {"effective_from": "2099-01-01", "changes": {"staff_level": ["junior", "senior"]}}


def test_the_page_sets_a_level_from_a_date(world, senior):
    response = _admin_client(world).post("/accounts/staff-levels/people/", {
        "user": world.l2.pk, "level": senior.pk, "effective_from": "2026-01-01"})
    assert response.status_code == 302
    assert world.l2.staff_level_history.get().effective_from == dt.date(2026, 1, 1)
    bad = _admin_client(world).post("/accounts/staff-levels/people/", {
        "user": world.l2.pk, "level": senior.pk, "effective_from": "2026-13-01"})
    assert bad.status_code == 422 and 'id="id_effective_from_errors"' in bad.content.decode()
