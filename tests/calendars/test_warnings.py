"""Administrators are warned ahead of a year the calendar holds no official holiday list for."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from opsdesk.calendars import services
from opsdesk.calendars.models import BusinessCalendar
from opsdesk.calendars.selectors import calendar_warnings
from opsdesk.core import clock


def test_no_warning_in_summer_with_the_year_seeded(world: Any, standard: BusinessCalendar) -> None:
    with clock.frozen_at(datetime(2026, 7, 1, 2, tzinfo=UTC)):
        assert calendar_warnings(world.admin) == []


def test_from_november_the_next_year_is_warned_on_the_dashboard(as_user: Any, world: Any,
                                                                standard: BusinessCalendar) -> None:
    with clock.frozen_at(datetime(2026, 11, 2, 2, tzinfo=UTC)):
        warnings = calendar_warnings(world.admin)
        assert [(w.calendar.code, w.year, w.can_seed) for w in warnings] == [("standard", 2027, False)]
        page = as_user("admin").get("/").content.decode()
        assert 'data-calendar-warning="standard-2027"' in page
        assert "holds no official holiday list for 2027" in page
        # Not for those who cannot fix it.
        assert calendar_warnings(world.desk) == []
        assert "data-calendar-warning" not in as_user("desk").get("/").content.decode()
        # The calendar's own page says it too, and its January days are marked.
        page = as_user("admin").get(f"/calendars/{standard.pk}/?from=2026-12-20").content.decode()
        assert 'data-uncovered-year="2027"' in page
        assert 'data-date="2027-01-04" data-kind="no_holiday_data"' in page


def test_sixty_days_ahead_reaching_an_unseeded_year(world: Any) -> None:
    with clock.frozen_at(datetime(2025, 3, 1, 2, tzinfo=UTC)):
        calendar = services.calendar_create(actor=world.admin, code="only-2024", name="只有2024", seed_years=[2024])
    with clock.frozen_at(datetime(2024, 10, 1, 2, tzinfo=UTC)):
        assert calendar_warnings(world.admin) == []
    with clock.frozen_at(datetime(2024, 11, 15, 2, tzinfo=UTC)):
        warning, = calendar_warnings(world.admin)
        assert (warning.calendar.pk, warning.year, warning.can_seed) == (calendar.pk, 2025, True)
    with clock.frozen_at(datetime(2025, 3, 1, 2, tzinfo=UTC)):
        services.calendar_seed_year(actor=world.admin, calendar=calendar, year=2025)
        assert calendar_warnings(world.admin) == []


def test_a_year_entered_by_hand_and_confirmed_ends_the_warning(world: Any, standard: BusinessCalendar) -> None:
    with clock.frozen_at(datetime(2026, 12, 15, 2, tzinfo=UTC)):
        services.day_set(actor=world.admin, calendar=standard, date="2027-01-01", kind="holiday", name="元旦")
        assert [w.year for w in calendar_warnings(world.admin)] == [2027]
        services.holiday_year_confirm(actor=world.admin, calendar=standard, year=2027)
        assert calendar_warnings(world.admin) == []


def test_7x24_and_calendars_without_holidays_never_warn(world: Any) -> None:
    services.calendar_create(actor=world.admin, code="noc", name="7×24", always_open=True, weekly={})
    services.calendar_create(actor=world.admin, code="plain", name="无节假日", holiday_region="")
    with clock.frozen_at(datetime(2026, 12, 1, 2, tzinfo=UTC)):
        assert calendar_warnings(world.admin) == []
