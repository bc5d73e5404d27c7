"""An incident of a service with an SLA shows its time left on the record; the clock passes 50 %, the
scheduler's pass and the task run, and the handler's bell shows the threshold notification."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings
from tests.sla.conftest import TARGETS, THRESHOLDS, at, make_calendar

from opsdesk.core import clock
from opsdesk.incidents import services as incidents
from opsdesk.sla import services as sla
from opsdesk.sla.services import thresholds_enqueue_due

pytestmark = pytest.mark.e2e
PASSWORD = "demo-pass-1"
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def signed_in(browser: Any, live_server: Any, username: str) -> Any:
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_server.url}/accounts/sign-in/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("form[action$='/accounts/sign-in/'] button[type=submit]")
    assert "/accounts/sign-in/" not in page.url, page.inner_text("body")[:1000]
    return page


@pytest.fixture
def process_clock() -> Any:
    """The live server runs in another thread: move the clock for the whole process, and put it back."""
    yield clock.set_process_wide
    clock.set_process_wide(None)


@override_settings(TASKS=IMMEDIATE)
def test_time_left_then_the_half_way_notification(browser: Any, live_server: Any, e2e_world: Any,
                                                   process_clock: Any) -> None:
    world = e2e_world
    process_clock(at(2, 9))  # Monday 09:00 Shanghai
    office = make_calendar("office", default=True)
    agreement = sla.agreement_save(actor=world.admin, name="生产系统 SLA", code="production", calendar=office,
                                   targets=TARGETS, thresholds=THRESHOLDS)
    sla.service_agreement_set(actor=world.admin, service=world.production, agreement=agreement)
    incident = incidents.incident_create(actor=world.desk, requester=world.requester, title="SG186 无法打印",
                                         description="点击打印无反应。", service=world.production,
                                         group=world.l1_group, assignee=world.l1)

    # The handler opens the record: P4, response due in two business hours.
    page = signed_in(browser, live_server, "l1")
    process_clock(at(2, 9, 30))
    page.goto(f"{live_server.url}/incidents/{incident.number}/")
    response = page.locator("[data-sla-clock=response]")
    assert "1" in response.locator("[data-sla-remaining]").inner_text()  # 1 h 30 min left
    assert "text-bg-success" in response.locator("[data-sla-remaining]").get_attribute("class")
    assert "2026-03-02 11:00" in response.inner_text()
    assert page.locator(".bell-count").inner_text() == "1"  # dispatched to them

    # Half the response target has passed: the scheduler's pass enqueues the firing, the task runs.
    process_clock(at(2, 10, 1))
    assert thresholds_enqueue_due(clock.now()) == 1
    page.reload()
    assert "text-bg-warning" in page.locator("[data-sla-clock=response] [data-sla-remaining]").get_attribute("class")
    assert page.locator(".bell-count").inner_text() == "2"
    page.click("#notification-bell")
    menu = page.locator("#notification-menu")
    menu.locator(f"text={incident.number}").first.wait_for()
    assert menu.locator(".bi-hourglass-split").count() == 1
    # The timeline records the threshold.
    assert "50 %" in page.inner_text("#tab-timeline")
