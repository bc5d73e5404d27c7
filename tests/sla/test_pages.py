"""SLA in the browser pages: time left on the record and in queues (sortable by due time), the explanation
of a clock, recompute, and the administrator's agreement pages."""

from __future__ import annotations

import re
import uuid

import pytest
from django.test import Client
from django.urls import reverse

from opsdesk.audit.models import AuditEntry
from opsdesk.calendars.models import WorkingPeriod
from opsdesk.core import clock
from opsdesk.sla.models import AgreementTarget, ServiceAgreement, ServiceLevelAgreement

from .conftest import act, at


@pytest.fixture
def as_user(world):
    def make(username: str) -> Client:
        client = Client()
        client.force_login(getattr(world, "manager" if username == "incident_manager" else username))
        client.cookies["django_language"] = "en"
        return client

    return make


def page(client: Client, url: str, when, **params) -> str:
    with clock.frozen_at(when):
        response = client.get(url, params)
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


def test_the_record_shows_due_times_and_time_left(world, agreement, report, as_user):
    incident = report(group=world.l1_group, assignee=world.l1)
    html = page(as_user("l1"), reverse("ui:incident_detail", args=[incident.number]), at(2, 10, 30))
    assert 'id="sla-clocks"' in html
    response = html.split('data-sla-clock="response"')[1].split("</li>")[0]
    assert "30 min left" in response and "2026-03-02 11:00" in response and "text-bg-warning" in response
    resolution = html.split('data-sla-clock="resolution"')[1].split("</li>")[0]
    assert "30 h 30 min left" in resolution and "text-bg-success" in resolution
    # The requester sees the clocks on the portal record too, without the staff tools.
    portal = page(as_user("requester"), reverse("ui:portal_detail", args=[incident.number]), at(2, 11, 30))
    assert "30 min overdue" in portal and "data-sla-recompute" not in portal


def test_a_record_without_an_agreement_shows_no_clocks(world, office, report, as_user):
    incident = report()
    assert 'id="sla-clocks"' not in page(as_user("desk"), reverse("ui:incident_detail", args=[incident.number]),
                                         at(2, 10))


def test_the_queue_shows_time_left_and_sorts_by_due_time(world, agreement, report, as_user):
    low = report(at(2, 9), title="low", group=world.l1_group)  # response due 11:00
    high = report(at(2, 9, 30), title="high", impact=1, urgency=1, group=world.l1_group)  # due 09:45
    none = report(at(2, 9), title="erp", service=world.erp, group=world.l1_group)
    client = as_user("l1")
    html = page(client, reverse("ui:incident_queue"), at(2, 9, 40), queue="my_groups")
    assert [m for m in re.findall(r'data-sla-time-left="(\w+)"', html)] == ["warning", "success"]  # newest first
    assert html.index(high.number) < html.index(low.number)
    html = page(client, reverse("ui:incident_queue"), at(2, 9, 40), queue="my_groups", sort="due")
    order = [html.index(n) for n in (high.number, low.number, none.number)]
    assert order == sorted(order)
    assert "5 min left" in html  # P1 response: 15 min from 09:30, at 09:40 → amber at 66 %
    # Sorted pages follow each other by the cursor of the due-time order.
    from opsdesk.incidents import selectors

    with clock.frozen_at(at(2, 9, 40)):
        rows, cursor = selectors.paginate_by_due(selectors.incident_list(user=world.l1), cursor=None, limit=1)
        more, _ = selectors.paginate_by_due(selectors.incident_list(user=world.l1), cursor=cursor, limit=5)
    assert [r.number for r in rows + more] == [high.number, low.number, none.number]


def test_explain_names_counted_and_paused_stretches(world, agreement, report, as_user):
    incident = report(at(2, 16), group=world.l1_group, assignee=world.l1)
    act(at(2, 16, 30), world.l1, incident, "accept")
    act(at(3, 10), world.l1, incident, "pend", reason="screenshot", pending_reason="customer")
    html = page(as_user("l1"), reverse("ui:sla_incident_explain", args=[incident.number]), at(3, 11))
    resolution = html.split("Resolution")[1]
    assert "counted: working hours" in resolution
    assert "not counted: outside working hours" in resolution
    assert "paused: pending on the customer" in resolution
    # Monday evening to Tuesday morning is one stretch, though the record was taken in between.
    assert resolution.count("not counted: outside working hours") == 1
    assert "2 h counted of 32 h" in resolution  # Mon 16–17, Tue 09–10
    assert as_user("requester").get(reverse("ui:sla_incident_explain", args=[incident.number])).status_code == 404


def test_recompute_after_a_calendar_correction_is_audited(world, agreement, office, report, as_user):
    incident = report(group=world.l1_group)
    WorkingPeriod.objects.filter(calendar=office).update(start="08:00")
    office.stamp = uuid.uuid4()  # what the calendar services do on every write: the spec is rebuilt
    office.save()
    with clock.frozen_at(at(2, 9, 30)):
        response = as_user("admin").post(reverse("ui:sla_incident_recompute", args=[incident.number]))
    assert response.status_code == 302
    entry = AuditEntry.objects.get(subject_id=incident.pk, action="incident.sla_recomputed")
    assert entry.data["due"]["resolution"] == ["2026-03-05T09:00:00+00:00", "2026-03-05T06:00:00+00:00"]
    assert "response" not in entry.data["due"]  # 09:00 + 2 h is 11:00 in both
    with clock.frozen_at(at(2, 9, 30)):
        refused = as_user("desk").post(reverse("ui:sla_incident_recompute", args=[incident.number]))
    assert refused.status_code == 302 and AuditEntry.objects.filter(action="incident.sla_recomputed").count() == 1
    html = page(as_user("desk"), reverse("ui:incident_detail", args=[incident.number]), at(2, 9, 31))
    assert "recomputed the SLA clocks" in html


def test_only_administrators_manage_agreements(world, agreement, as_user):
    for url in (reverse("ui:sla_agreement_list"), reverse("ui:sla_agreement_new"),
                reverse("ui:sla_agreement_edit", args=[agreement.pk])):
        assert as_user("desk").get(url).status_code == 403
    assert as_user("desk").post(reverse("ui:sla_agreement_new"), {"name": "x", "code": "x"}).status_code == 403
    html = as_user("admin").get(reverse("ui:sla_agreement_list")).content.decode()
    assert 'data-agreement="production"' in html and "生产管理系统" in html or "Production management" in html


def test_the_agreement_form_keeps_input_and_shows_errors(world, office, as_user):
    client = as_user("admin")
    data = {"name": "网络 SLA", "code": "network", "calendar": office.pk, "pause_on_customer": "on", "is_active": "on",
            "response_1": "15", "resolution_1": "", "response_2": "60", "resolution_2": "30",
            "threshold_0_percent": "150", "services": [world.erp.pk]}
    response = client.post(reverse("ui:sla_agreement_new"), data)
    assert response.status_code == 422
    html = response.content.decode()
    assert 'value="网络 SLA"' in html and 'value="15"' in html
    assert "Give both targets of this priority, or neither." in html
    assert "Ensure this value is less than or equal to 100." in html
    data.update(resolution_1="240", threshold_0_percent="80")
    response = client.post(reverse("ui:sla_agreement_new"), data)
    assert response.status_code == 422
    assert "The response target cannot be longer than the resolution target." in response.content.decode()
    data.update(resolution_2="480")
    with clock.frozen_at(at(2, 9)):
        assert client.post(reverse("ui:sla_agreement_new"), data).status_code == 302
    made = ServiceLevelAgreement.objects.get(code="network")
    assert {t.priority: (t.response_minutes, t.resolution_minutes) for t in AgreementTarget.objects.filter(
        agreement=made)} == {1: (15, 240), 2: (60, 480)}
    assert list(made.thresholds.values_list("percent", flat=True)) == [80]
    assert ServiceAgreement.objects.get(service=world.erp).agreement == made


def test_operational_targets_are_measured_per_group_stay(world, agreement, report, as_user):
    client = as_user("admin")
    response = client.post(reverse("ui:sla_ola_add"), {"ola-group": world.l1_group.pk, "ola-target_minutes": "30"})
    assert response.status_code == 302
    incident = report(group=world.l1_group)
    act(at(2, 10), world.desk, incident, "assign", group=world.l2_group.pk)
    from opsdesk.sla.models import GroupSpan

    span = GroupSpan.objects.get(incident=incident)
    assert (span.group_id, span.business_seconds, span.met) == (world.l1_group.pk, 3600, False)
    assert span.due_at == at(2, 9, 30)
    html = page(as_user("desk"), reverse("ui:incident_detail", args=[incident.number]), at(2, 10, 5))
    assert f'data-sla-span="{world.l1_group.code}"' in html and "1 h / 30 min" in html
    assert f'data-sla-span="{world.l2_group.code}"' not in html  # L2 has no operational target
