"""The calendars API: list, create (administrators only), one calendar, and the days endpoint."""

from __future__ import annotations

from typing import Any

from opsdesk.audit.models import AuditEntry
from opsdesk.calendars.models import BusinessCalendar
from tests.api.expect import error_of

STANDARD_PERIODS = [{"start": "08:30", "end": "12:00"}, {"start": "13:30", "end": "17:30"}]


def _days(client: Any, calendar: BusinessCalendar, start: str, end: str) -> dict[str, dict]:
    response = client.get(f"/api/v1/calendars/{calendar.pk}/days?from={start}&to={end}")
    assert response.status_code == 200, response.content
    return {day["date"]: day for day in response.json()["items"]}


def test_may_day_week_2026_with_its_make_up_saturday(client_for: Any, world: Any, standard: BusinessCalendar) -> None:
    days = _days(client_for(world.desk), standard, "2026-04-30", "2026-05-11")
    assert len(days) == 12
    assert days["2026-04-30"] == {"date": "2026-04-30", "working": True, "kind": "weekday", "name": "",
                                  "periods": STANDARD_PERIODS}
    for holiday in ("2026-05-01", "2026-05-02", "2026-05-03", "2026-05-04", "2026-05-05"):
        assert days[holiday]["kind"] == "holiday" and days[holiday]["name"] == "劳动节"
        assert days[holiday]["working"] is False and days[holiday]["periods"] == []
    saturday = days["2026-05-09"]
    assert saturday["kind"] == "workday" and saturday["working"] is True and saturday["name"] == "劳动节"
    assert saturday["periods"] == STANDARD_PERIODS
    assert days["2026-05-10"]["kind"] == "weekend" and days["2026-05-10"]["working"] is False


def test_may_day_2025_make_up_day_is_the_sunday_before(client_for: Any, world: Any, standard: BusinessCalendar) -> None:
    days = _days(client_for(world.requester), standard, "2025-04-26", "2025-05-06")
    assert days["2025-04-26"]["kind"] == "weekend"
    assert days["2025-04-27"]["kind"] == "workday" and days["2025-04-27"]["periods"] == STANDARD_PERIODS
    assert [d for d, day in days.items() if day["kind"] == "holiday"] == [
        "2025-05-01", "2025-05-02", "2025-05-03", "2025-05-04", "2025-05-05"]
    assert days["2025-05-06"]["kind"] == "weekday"


def test_a_year_without_holiday_data_is_marked_and_warned(client_for: Any, world: Any,
                                                          standard: BusinessCalendar) -> None:
    response = client_for(world.admin).get(f"/api/v1/calendars/{standard.pk}/days?from=2026-12-31&to=2027-01-04")
    body = response.json()
    kinds = {day["date"]: day["kind"] for day in body["items"]}
    assert kinds["2026-12-31"] == "weekday"
    assert {kinds[d] for d in ("2027-01-01", "2027-01-02", "2027-01-04")} == {"no_holiday_data"}
    assert "2027" in body["warnings"][0]


def test_bad_days_parameters_are_422_naming_the_parameter(client_for: Any, world: Any,
                                                          standard: BusinessCalendar) -> None:
    client = client_for(world.desk)
    url = f"/api/v1/calendars/{standard.pk}/days"
    body = error_of(client.get(f"{url}?from=2026-13-01&to=2026-12-31"), 422)
    assert "from" in body["detail"] and "2026-13-01" in body["detail"]
    body = error_of(client.get(f"{url}?from=2026-01-01"), 422)
    assert "'to'" in body["detail"]
    body = error_of(client.get(f"{url}?from=2026-05-10&to=2026-05-01"), 422)
    assert "'from'" in body["detail"]
    body = error_of(client.get(f"{url}?from=2025-01-01&to=2026-06-30"), 422)
    assert "366" in body["detail"]
    error_of(client.get("/api/v1/calendars/999999/days?from=2026-01-01&to=2026-01-02"), 404)


def test_list_with_q_and_one_calendar(client_for: Any, world: Any, standard: BusinessCalendar) -> None:
    client = client_for(world.l1)
    body = client.get("/api/v1/calendars?q=Standard").json()
    assert [item["code"] for item in body["items"]] == ["standard"] and body["next_cursor"] is None
    assert client.get("/api/v1/calendars?q=nothing-like-this").json()["items"] == []
    one = client.get(f"/api/v1/calendars/{standard.pk}").json()
    assert one["display_name"] == "Standard" and one["is_default"] is True
    assert one["weekly"]["0"] == STANDARD_PERIODS and one["weekly"]["5"] == []
    assert one["holiday_years"] == [2024, 2025, 2026]


def test_administrator_creates_a_7x24_calendar(client_for: Any, world: Any) -> None:
    response = client_for(world.admin).post_json("/api/v1/calendars", {
        "code": "noc", "name": "网络运维 7×24", "name_en": "Network operations 7×24", "always_open": True,
        "holiday_region": "", "weekly": [], "organisation": world.province.pk,
    })
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["always_open"] is True and body["organisation"] == world.province.pk
    days = _days(client_for(world.admin), BusinessCalendar.objects.get(code="noc"), "2026-05-01", "2026-05-01")
    assert days["2026-05-01"] == {"date": "2026-05-01", "working": True, "kind": "always_open", "name": "",
                                  "periods": [{"start": "00:00", "end": "24:00"}]}
    assert AuditEntry.objects.filter(action="calendar.created", subject_id=body["id"]).exists()


def test_only_administrators_create_calendars(client_for: Any, world: Any) -> None:
    for user in (world.desk, world.manager, world.auditor):
        error_of(client_for(user).post_json("/api/v1/calendars", {"code": "x", "name": "X"}), 403)
    assert not BusinessCalendar.objects.filter(code="x").exists()


def test_create_refuses_bad_hours_naming_the_field(client_for: Any, world: Any) -> None:
    client = client_for(world.admin)
    body = error_of(client.post_json("/api/v1/calendars", {
        "code": "bad", "name": "Bad", "weekly": [{"weekday": 0, "start": "12:00", "end": "09:00"}],
    }), 422)
    assert "weekly_0" in body["errors"]
    body = error_of(client.post_json("/api/v1/calendars", {
        "code": "bad", "name": "Bad", "weekly": [{"weekday": 1, "start": "08:00", "end": "12:00"},
                                                {"weekday": 1, "start": "11:00", "end": "14:00"}],
    }), 422)
    assert "overlap" in body["errors"]["weekly_1"][0]
    body = error_of(client.post_json("/api/v1/calendars", {"code": "bad", "name": "Bad", "weekly": []}), 422)
    assert "weekly" in body["errors"]
    body = error_of(client.post_json("/api/v1/calendars", {"code": "bad", "name": "Bad", "time_zone": "Mars/Base"}),
                    422)
    assert "time_zone" in body["errors"]
    assert not BusinessCalendar.objects.filter(code="bad").exists()


def test_administrator_edits_hours_and_days_through_the_api(client_for: Any, world: Any,
                                                           standard: BusinessCalendar) -> None:
    client = client_for(world.admin)
    url = f"/api/v1/calendars/{standard.pk}"
    response = client.patch_json(url, {"version": standard.version, "name_en": "Standard hours",
                                       "weekly": [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(5)]})
    assert response.status_code == 200, response.content
    assert response.json()["weekly"]["4"] == [{"start": "09:00", "end": "17:00"}]
    error_of(client.patch_json(url, {"version": standard.version, "name": "stale"}), 409)
    response = client.put(f"{url}/days/2026-06-12", {"kind": "holiday", "name": "周年庆"},
                          content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json() == {"date": "2026-06-12", "working": False, "kind": "holiday", "name": "周年庆",
                               "periods": []}
    days = _days(client, standard, "2026-06-12", "2026-06-12")
    assert days["2026-06-12"]["kind"] == "holiday"
    assert client.delete(f"{url}/days/2026-06-12").status_code == 204
    assert _days(client, standard, "2026-06-12", "2026-06-12")["2026-06-12"]["periods"] == [
        {"start": "09:00", "end": "17:00"}]
    error_of(client.delete(f"{url}/days/2026-06-12"), 404)
    assert client.post_json(f"{url}/years/2025/seed").json() == {"calendar": standard.pk, "year": 2025, "days": 33}
    body = error_of(client.post_json(f"{url}/years/2027/seed"), 422)
    assert "2027" in body["errors"]["year"][0]
    for user in (world.desk, world.auditor):
        error_of(client_for(user).patch_json(url, {"name": "x"}), 403)
        error_of(client_for(user).post_json(f"{url}/years/2025/seed"), 403)
