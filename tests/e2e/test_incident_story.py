"""The whole incident story in a real browser:
submit → dispatch → L1 escalates → L2 resolves → requester confirms and rates → closed."""

from __future__ import annotations

from typing import Any

import pytest

from opsdesk.audit.services import audit_verify_chain
from opsdesk.incidents.models import Incident

pytestmark = pytest.mark.e2e
PASSWORD = "demo-pass-1"


def signed_in(browser: Any, live_server: Any, username: str, *, mobile: bool = False) -> Any:
    viewport = {"width": 390, "height": 844} if mobile else {"width": 1400, "height": 900}
    context = browser.new_context(viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_server.url}/accounts/sign-in/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("form[action$='/accounts/sign-in/'] button[type=submit]")
    assert "/accounts/sign-in/" not in page.url, f"{username} could not sign in: {page.inner_text('body')[:1500]}"
    return page


def open_incident(page: Any, live_server: Any, number: str) -> None:
    page.goto(f"{live_server.url}/incidents/{number}/")


def take_transition(page: Any, name: str, fill: dict[str, str] | None = None, select: dict[str, str] | None = None) -> None:
    """Click the transition's button; fill its dialog when it has one; wait for the page it leads to."""
    modal = page.locator(f"#modal-{name}")
    if not modal.count():
        with page.expect_navigation():
            page.click(f"button[data-transition={name}]")
        return
    page.click(f"button[data-transition={name}]")
    modal.wait_for(state="visible")
    for field, value in (select or {}).items():
        modal.locator(f"select[name={name}-{field}]").select_option(value)
    for field, value in (fill or {}).items():
        modal.locator(f"[name={name}-{field}]").fill(value)
    with page.expect_navigation():
        modal.locator("button[type=submit]").click()


def test_report_dispatch_escalate_resolve_confirm(browser: Any, live_server: Any, e2e_world: Any) -> None:
    world = e2e_world

    # The requester reports a fault from a phone-sized screen, with an attachment.
    portal = signed_in(browser, live_server, "requester", mobile=True)
    portal.goto(f"{live_server.url}/portal/report/")
    assert portal.locator("html").get_attribute("lang") == "zh-hans"
    portal.select_option("select[name=service]", str(world.production.pk))
    portal.wait_for_selector(f"select[name=category] option[value='{world.categories['bug'].pk}']", state="attached")
    portal.select_option("select[name=category]", str(world.categories["bug"].pk))
    portal.fill("input[name=title]", "生产管理系统报表导出失败")
    portal.fill("textarea[name=description]", "点击导出后页面报错 500，影响月度结算。")
    portal.fill("input[name=contact_phone]", "13800000000")
    portal.set_input_files("input[name=attachments]", files=[
        {"name": "error.txt", "mimeType": "text/plain", "buffer": b"HTTP 500 at /export"}])
    with portal.expect_navigation():
        portal.click("form[action$='/portal/report/'] button[type=submit]")
    incident = Incident.objects.get(title="生产管理系统报表导出失败")
    assert incident.number in portal.content()
    assert incident.attachments.count() == 1

    # The service desk dispatches it to L1.
    desk = signed_in(browser, live_server, "desk")
    open_incident(desk, live_server, incident.number)
    take_transition(desk, "assign", select={"group": str(world.l1_group.pk)})
    incident.refresh_from_db()
    assert incident.state == "assigned" and incident.assigned_group_id == world.l1_group.pk

    # L1 takes it, logs work and escalates to L2 with a reason.
    l1 = signed_in(browser, live_server, "l1")
    l1.goto(f"{live_server.url}/incidents/?queue=my_groups")
    assert incident.number in l1.content()
    open_incident(l1, live_server, incident.number)
    take_transition(l1, "accept")
    incident.refresh_from_db()
    assert incident.state == "in_progress" and incident.assignee_id == world.l1.pk
    take_transition(l1, "escalate", select={"group": str(world.l2_group.pk)}, fill={"reason": "需要二线分析数据库"})
    incident.refresh_from_db()
    assert incident.state == "assigned" and incident.assigned_group_id == world.l2_group.pk

    # L2 takes it and resolves it with a cause code.
    l2 = signed_in(browser, live_server, "l2")
    open_incident(l2, live_server, incident.number)
    take_transition(l2, "accept")
    take_transition(l2, "resolve", fill={"resolution": "修复导出模板并重启服务"}, select={"cause_code": "software"})
    incident.refresh_from_db()
    assert incident.state == "resolved"

    # The requester confirms the fix and rates it; the record is closed.
    portal.goto(f"{live_server.url}/portal/records/{incident.number}/")
    portal.click("button[data-transition=confirm]")
    modal = portal.locator("#modal-confirm")
    modal.wait_for(state="visible")
    modal.locator("label[title='5/5']").click()
    modal.locator("[name=confirm-comment]").fill("处理很快，谢谢")
    with portal.expect_navigation():
        modal.locator("button[type=submit]").click()
    incident.refresh_from_db()
    assert incident.state == "closed"
    assert incident.satisfaction == 5

    # The record's timeline shows every step, and the audit chain is intact.
    open_incident(desk, live_server, incident.number)
    actions = list(incident_actions(incident))
    for expected in ("incident.created", "incident.assigned", "incident.accepted", "incident.escalated",
                     "incident.resolved", "incident.confirmed"):
        assert expected in actions
    assert audit_verify_chain().intact
    for page in (portal, desk, l1, l2):
        page.context.close()


def incident_actions(incident: Incident) -> list[str]:
    from opsdesk.audit.models import AuditEntry

    return list(AuditEntry.objects.filter(subject_type="incident", subject_id=incident.pk).values_list("action", flat=True))
