"""Calendar pages: the next 30 days laid out, edit forms that keep what was typed, admin only."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from opsdesk.calendars.models import BusinessCalendar, CalendarDay
from opsdesk.core import clock

MAY_DAY_2026 = datetime(2026, 4, 27, 2, 0, tzinfo=UTC)  # Monday 27 April 2026, 10:00 in Shanghai


def test_thirty_days_show_the_holiday_and_the_make_up_saturday(as_user: Any, standard: BusinessCalendar) -> None:
    with clock.frozen_at(MAY_DAY_2026):
        response = as_user("admin").get(f"/calendars/{standard.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('data-date="') == 30
    assert 'data-date="2026-04-27"' in page and 'data-date="2026-05-26"' in page
    assert 'data-date="2026-05-01" data-kind="holiday"' in page
    assert 'data-date="2026-05-09" data-kind="workday"' in page
    assert 'data-date="2026-05-10" data-kind="weekend"' in page
    assert "劳动节" in page and "Make-up working day" in page
    assert "08:30–12:00" in page and "13:30–17:30" in page
    assert "data-uncovered-year" not in page


def test_from_parameter_moves_the_window(as_user: Any, standard: BusinessCalendar) -> None:
    page = as_user("admin").get(f"/calendars/{standard.pk}/?from=2026-02-10").content.decode()
    assert 'data-date="2026-02-14" data-kind="workday"' in page  # the Spring Festival make-up Saturday
    assert 'data-date="2026-02-17" data-kind="holiday"' in page and "春节" in page


def test_only_administrators_see_calendar_pages(as_user: Any, standard: BusinessCalendar) -> None:
    for username in ("desk", "l2", "auditor"):
        assert as_user(username).get("/calendars/").status_code == 403
        assert as_user(username).get(f"/calendars/{standard.pk}/").status_code == 403
    assert as_user("admin").get("/calendars/").status_code == 200


def test_bad_hours_keep_what_was_typed(as_user: Any, world: Any) -> None:
    response = as_user("admin").post("/calendars/new/", {
        "code": "shift", "name": "倒班", "time_zone": "Asia/Shanghai", "holiday_region": "CN",
        "weekly_0": "08:30-12:00, 11:00-13:00", "weekly_1": "9 to 5",
    })
    assert response.status_code == 422
    page = response.content.decode()
    assert 'value="08:30-12:00, 11:00-13:00"' in page and 'value="9 to 5"' in page and 'value="倒班"' in page
    assert "is not a period like 08:30-12:00" in page
    assert not BusinessCalendar.objects.filter(code="shift").exists()
    # The service's overlap check comes back next to Monday's field.
    response = as_user("admin").post("/calendars/new/", {
        "code": "shift", "name": "倒班", "time_zone": "Asia/Shanghai", "holiday_region": "CN",
        "weekly_0": "08:30-12:00, 11:00-13:00",
    })
    assert response.status_code == 422
    assert "periods overlap at 11:00" in response.content.decode()


def test_create_then_edit_hours(as_user: Any, world: Any, standard: BusinessCalendar) -> None:
    client = as_user("admin")
    response = client.post("/calendars/new/", {
        "code": "prov", "name": "省公司日历", "time_zone": "Asia/Shanghai", "holiday_region": "CN",
        "organisation": world.province.pk, "weekly_0": "09:00-12:00, 14:00-18:00",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    calendar = BusinessCalendar.objects.get(code="prov")
    response = client.post(f"/calendars/{calendar.pk}/edit/", {
        "name": "省公司日历", "time_zone": "Asia/Shanghai", "holiday_region": "CN", "version": calendar.version,
        "organisation": world.province.pk, "weekly_0": "09:00-12:00", "weekly_5": "09:00-11:00",
    })
    assert response.status_code == 302
    periods = [(p.weekday, f"{p.start:%H:%M}-{p.end:%H:%M}") for p in calendar.periods.all()]
    assert periods == [(0, "09:00-12:00"), (5, "09:00-11:00")]
    # A stale version (someone else saved meanwhile) is refused and the input kept.
    response = client.post(f"/calendars/{calendar.pk}/edit/", {
        "name": "改名", "time_zone": "Asia/Shanghai", "holiday_region": "CN", "version": calendar.version,
        "weekly_0": "09:00-12:00",
    })
    assert response.status_code == 409 and 'value="改名"' in response.content.decode()


def test_add_and_remove_a_day(as_user: Any, standard: BusinessCalendar) -> None:
    client = as_user("admin")
    response = client.post(f"/calendars/{standard.pk}/days/", {"date": "2026-06-12", "kind": "holiday",
                                                               "name": "公司周年", "name_en": "Anniversary"})
    assert response.status_code == 302
    assert CalendarDay.objects.get(calendar=standard, date="2026-06-12").source == "manual"
    page = client.get(f"/calendars/{standard.pk}/?from=2026-06-08").content.decode()
    assert 'data-date="2026-06-12" data-kind="holiday"' in page
    response = client.post(f"/calendars/{standard.pk}/days/", {"date": "2026-02-30", "kind": "holiday",
                                                               "name": "坏日期"})
    assert response.status_code == 422 and 'value="坏日期"' in response.content.decode()
    assert client.post(f"/calendars/{standard.pk}/days/2026-06-12/remove/").status_code == 302
    assert not CalendarDay.objects.filter(calendar=standard, date="2026-06-12").exists()


def test_seeding_an_unknown_year_says_why(as_user: Any, standard: BusinessCalendar) -> None:
    response = as_user("admin").post(f"/calendars/{standard.pk}/years/", {"year": "2031", "action": "seed"})
    assert response.status_code == 422
    assert "has no holiday list for 2031" in response.content.decode()
