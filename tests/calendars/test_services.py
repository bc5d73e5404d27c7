"""Calendar services: validation naming the field, seeding from chinese-calendar, audit, one default,
the calendar an organisation works by, and a spec that is current right after an edit."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

import pytest
from django.utils import translation

from opsdesk.audit.models import AuditEntry
from opsdesk.calendars import services
from opsdesk.calendars.businesstime import business_seconds_between, day_info
from opsdesk.calendars.models import BusinessCalendar, CalendarDay, HolidayYear
from opsdesk.calendars.selectors import calendar_for_organisation, calendar_spec, calendar_spec_of
from opsdesk.core.errors import NotFound, PermissionDenied, StaleVersion, ValidationFailed

SH = "Asia/Shanghai"


def test_creation_seeds_holidays_and_is_audited(world: Any, standard: BusinessCalendar) -> None:
    assert sorted(standard.holiday_years.values_list("year", flat=True)) == [2024, 2025, 2026]
    may_day = standard.days.get(date=date(2026, 5, 1))
    assert (may_day.kind, may_day.name, may_day.name_en, may_day.source) == ("holiday", "劳动节", "Labour Day",
                                                                             "seeded")
    assert standard.days.get(date=date(2026, 5, 9)).kind == "workday"
    entry = AuditEntry.objects.get(action="calendar.created", subject_id=standard.pk)
    assert entry.actor == world.admin and entry.data["seeded_years"] == [2024, 2025, 2026]
    assert entry.data["hours"]["0"] == ["08:30-12:00", "13:30-17:30"]


def test_weekly_hours_are_validated_per_weekday(world: Any) -> None:
    with pytest.raises(ValidationFailed) as caught, translation.override("en"):
        services.calendar_create(actor=world.admin, code="bad", name="Bad", weekly={
            2: [(time(12), time(9))], 4: [(time(8), time(12)), (time(11, 30), time(13))]})
    assert set(caught.value.field_errors) == {"weekly_2", "weekly_4"}
    assert "Wednesday" in caught.value.field_errors["weekly_2"][0]
    with pytest.raises(ValidationFailed) as caught:
        services.calendar_create(actor=world.admin, code="bad", name="Bad", weekly={0: []})
    assert "weekly" in caught.value.field_errors
    with pytest.raises(ValidationFailed) as caught:
        services.calendar_create(actor=world.admin, code="bad code", name="", time_zone="Asia/Shang")
    assert {"code", "name", "time_zone"} <= set(caught.value.field_errors)
    assert not BusinessCalendar.objects.exists()


def test_only_administrators_write(world: Any, standard: BusinessCalendar) -> None:
    for user in (world.desk, world.manager, world.auditor, world.category_admin):
        with pytest.raises(PermissionDenied):
            services.calendar_create(actor=user, code="x", name="X")
        with pytest.raises(PermissionDenied):
            services.day_set(actor=user, calendar=standard, date="2026-06-01", kind="holiday")
        with pytest.raises(PermissionDenied):
            services.calendar_seed_year(actor=user, calendar=standard, year=2025)


def test_seeding_a_year_keeps_manual_days_and_refuses_unknown_years(world: Any, standard: BusinessCalendar) -> None:
    services.day_set(actor=world.admin, calendar=standard, date="2026-05-05", kind="workday", name="值班")
    services.day_set(actor=world.admin, calendar=standard, date="2026-06-12", kind="holiday", name="周年庆")
    CalendarDay.objects.filter(calendar=standard, date="2026-10-01").delete()  # someone broke the seeded data
    seeded = services.calendar_seed_year(actor=world.admin, calendar=standard, year=2026)
    assert seeded == 38  # 39 official days, 5 May kept as entered by hand
    assert standard.days.get(date=date(2026, 5, 5)).name == "值班"
    assert standard.days.filter(date=date(2026, 6, 12)).exists()
    assert standard.days.get(date=date(2026, 10, 1)).name == "国庆节"
    entry = AuditEntry.objects.filter(action="calendar.year_seeded").latest("id")
    assert entry.data == {"year": 2026, "days": 38, "manual_days_kept": 2}
    with pytest.raises(ValidationFailed) as caught:
        services.calendar_seed_year(actor=world.admin, calendar=standard, year=2027)
    assert "2027" in caught.value.field_errors["year"][0]
    with pytest.raises(ValidationFailed):
        services.calendar_seed_year(actor=world.admin, calendar=standard, year="next")
    assert not HolidayYear.objects.filter(year=2027).exists()


def test_day_set_and_remove_are_audited_and_change_the_spec_at_once(world: Any, standard: BusinessCalendar) -> None:
    before = calendar_spec(standard.pk)
    assert day_info(before, date(2026, 6, 12)).kind == "weekday"
    services.day_set(actor=world.admin, calendar=standard, date=date(2026, 6, 12), kind="holiday", name="周年庆")
    after = calendar_spec(standard.pk)
    assert after is not before and day_info(after, date(2026, 6, 12)).kind == "holiday"
    assert calendar_spec(standard.pk) is after  # unchanged: served from the cache
    services.day_remove(actor=world.admin, calendar=standard, date="2026-06-12")
    assert day_info(calendar_spec(standard.pk), date(2026, 6, 12)).kind == "weekday"
    actions = list(AuditEntry.objects.filter(subject_id=standard.pk, subject_type="businesscalendar")
                   .values_list("action", flat=True).order_by("id"))
    assert actions[-2:] == ["calendar.day_set", "calendar.day_removed"]
    with pytest.raises(NotFound):
        services.day_remove(actor=world.admin, calendar=standard, date="2026-06-12")
    with pytest.raises(ValidationFailed) as caught:
        services.day_set(actor=world.admin, calendar=standard, date="2026-02-30", kind="holiday")
    assert "date" in caught.value.field_errors
    with pytest.raises(ValidationFailed) as caught:
        services.day_set(actor=world.admin, calendar=standard, date="2026-06-01", kind="vacation")
    assert "kind" in caught.value.field_errors


def test_hours_edit_changes_business_time_and_checks_the_version(world: Any, standard: BusinessCalendar) -> None:
    start, end = datetime(2026, 6, 1, 0, tzinfo=UTC), datetime(2026, 6, 2, 0, tzinfo=UTC)  # a Monday
    assert business_seconds_between(calendar_spec(standard.pk), start, end) == 7.5 * 3600
    updated = services.calendar_update(actor=world.admin, calendar=standard, version=standard.version,
                                       weekly={0: [(time(9), time(12))]})
    assert business_seconds_between(calendar_spec(standard.pk), start, end) == 3 * 3600
    entry = AuditEntry.objects.filter(action="calendar.updated").latest("id")
    assert entry.data["changes"]["hours"][1]["0"] == ["09:00-12:00"]
    with pytest.raises(StaleVersion):
        services.calendar_update(actor=world.admin, calendar=updated, version=standard.version, name="旧")
    with pytest.raises(ValidationFailed) as caught:
        services.calendar_update(actor=world.admin, calendar=updated, weekly={d: [] for d in range(7)})
    assert "weekly" in caught.value.field_errors


def test_exactly_one_default(world: Any, standard: BusinessCalendar) -> None:
    other = services.calendar_create(actor=world.admin, code="other", name="Other", is_default=True, seed_years=[])
    assert list(BusinessCalendar.objects.filter(is_default=True)) == [other]
    with pytest.raises(ValidationFailed) as caught:
        services.calendar_update(actor=world.admin, calendar=other, is_default=False)
    assert "is_default" in caught.value.field_errors
    assert services.default_calendar_ensure() == other


def test_default_calendar_ensure_creates_one_once(world: Any) -> None:
    calendar = services.default_calendar_ensure()
    assert calendar.is_default and calendar.time_zone == SH and calendar.periods.count() == 10
    assert calendar.holiday_years.exists()
    assert services.default_calendar_ensure() == calendar
    assert AuditEntry.objects.filter(action="calendar.created", actor__isnull=True).count() == 1


def test_organisations_inherit_their_parents_calendar(world: Any, standard: BusinessCalendar) -> None:
    assert calendar_for_organisation(world.city_a) == standard
    province = services.calendar_create(actor=world.admin, code="prov", name="省", organisation=world.province,
                                        seed_years=[])
    city_b = services.calendar_create(actor=world.admin, code="city-b", name="乙", organisation=world.city_b,
                                      seed_years=[])
    assert calendar_for_organisation(world.city_a) == province
    assert calendar_for_organisation(world.city_b) == city_b
    assert calendar_for_organisation(world.province) == province
    assert calendar_for_organisation(world.hq) == standard
    assert calendar_for_organisation(None) == standard
    with pytest.raises(ValidationFailed) as caught:
        services.calendar_create(actor=world.admin, code="prov2", name="省2", organisation=world.province)
    assert "organisation" in caught.value.field_errors


def test_7x24_needs_no_hours_and_has_no_days(world: Any) -> None:
    noc = services.calendar_create(actor=world.admin, code="noc", name="7×24", always_open=True, weekly={})
    assert not noc.days.exists()
    spec = calendar_spec(noc.pk)
    start = datetime(2026, 5, 1, tzinfo=UTC)
    assert business_seconds_between(spec, start, datetime(2026, 5, 8, tzinfo=UTC)) == 7 * 86400
    with pytest.raises(ValidationFailed):
        services.day_set(actor=world.admin, calendar=noc, date="2026-05-01", kind="holiday")
    # Turning 7×24 off without hours is refused: the calendar would have no working time.
    with pytest.raises(ValidationFailed) as caught:
        services.calendar_update(actor=world.admin, calendar=noc, always_open=False)
    assert "weekly" in caught.value.field_errors


def test_spec_of_a_loaded_row_needs_no_query(world: Any, standard: BusinessCalendar,
                                             django_assert_num_queries: Any) -> None:
    spec = calendar_spec(standard.pk)
    row = BusinessCalendar.objects.get(pk=standard.pk)
    with django_assert_num_queries(0):
        assert calendar_spec_of(row) is spec
    services.day_set(actor=world.admin, calendar=standard, date="2026-06-12", kind="holiday")
    fresh = BusinessCalendar.objects.get(pk=standard.pk)
    assert day_info(calendar_spec_of(fresh), date(2026, 6, 12)).kind == "holiday"
