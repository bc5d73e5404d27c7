"""Transitions through the API: the whole story, and each way a transition is refused."""

from __future__ import annotations

from opsdesk.incidents.models import Incident
from opsdesk.notifications.models import Notification

from .expect import error_of


def take(client, number, transition, **body):
    return client.post_json(f"/api/v1/incidents/{number}/transitions/{transition}", body)


def test_the_whole_story_through_the_api(world, client_for):
    requester, desk, l1, l2 = (client_for(u) for u in (world.requester, world.desk, world.l1, world.l2))
    created = requester.post_json("/api/v1/incidents", {
        "title": "Cannot post invoices", "description": "ERP says 'period closed'.", "service": world.erp.pk,
        "category": world.categories["erp_report"].pk}).json()
    number = created["number"]

    assigned = take(desk, number, "assign", version=created["version"], group=world.l1_group.pk).json()
    assert (assigned["state"], assigned["group"]) == ("assigned", world.l1_group.pk)
    assert "accept" in l1.get(f"/api/v1/incidents/{number}").json()["allowed_transitions"]

    accepted = take(l1, number, "accept", version=assigned["version"]).json()
    assert (accepted["state"], accepted["assignee"]) == ("in_progress", world.l1.pk)

    escalated = take(l1, number, "escalate", version=accepted["version"], group=world.l2_group.pk,
                     reason="Needs the ERP team").json()
    assert (escalated["state"], escalated["group"], escalated["assignee"]) == ("assigned", world.l2_group.pk, None)

    in_progress = take(l2, number, "accept", version=escalated["version"]).json()
    resolved = take(l2, number, "resolve", version=in_progress["version"], resolution="Reopened the period",
                    cause_code="configuration").json()
    assert (resolved["state"], resolved["resolution"], resolved["cause_code"]) == (
        "resolved", "Reopened the period", "configuration")
    assert set(requester.get(f"/api/v1/incidents/{number}").json()["allowed_transitions"]) == {"confirm", "reject"}

    closed = take(requester, number, "confirm", version=resolved["version"], rating=5, comment="Quick, thanks").json()
    assert (closed["state"], closed["satisfaction"], closed["satisfaction_comment"]) == ("closed", 5, "Quick, thanks")

    actions = [e["action"] for e in desk.get(f"/api/v1/incidents/{number}/timeline").json()["items"]]
    assert actions == ["incident.created", "incident.assigned", "incident.accepted", "incident.escalated",
                       "incident.accepted", "incident.resolved", "incident.confirmed"]


def test_stale_version_on_a_transition_is_a_409(world, client_for, make_incident):
    incident = make_incident(actor=world.desk, requester=world.requester, group=world.l1_group)
    l1 = client_for(world.l1)
    assert take(l1, incident.number, "accept", version=incident.version).status_code == 200

    body = error_of(take(l1, incident.number, "pend", version=incident.version, reason="Waiting for the user"), 409)

    assert body["code"] == "stale_version"
    assert Incident.objects.get(pk=incident.pk).state == "in_progress"


def test_transition_not_possible_in_this_state_is_a_409(world, client_for, make_incident):
    incident = make_incident()

    body = error_of(take(client_for(world.desk), incident.number, "close"), 409)

    assert body["code"] == "transition_not_allowed"


def test_transition_the_caller_may_not_take_is_a_403(world, client_for, make_incident):
    incident = make_incident(actor=world.desk, requester=world.requester, group=world.l1_group)

    assert error_of(take(client_for(world.requester), incident.number, "resolve", resolution="x"), 403)["code"] == "forbidden"
    assert error_of(take(client_for(world.auditor), incident.number, "chase"), 403)["code"] == "forbidden"


def test_required_inputs_are_named(world, client_for, make_incident):
    incident = make_incident(actor=world.desk, requester=world.requester, group=world.l1_group)
    l1 = client_for(world.l1)
    take(l1, incident.number, "accept")

    body = error_of(take(l1, incident.number, "escalate"), 422)
    assert set(body["errors"]) == {"group", "reason"}
    bad_rating = error_of(take(l1, incident.number, "pend", reason="x", pending_reason="lunch"), 422)
    assert list(bad_rating["errors"]) == ["pending_reason"]
    typed = error_of(take(l1, incident.number, "assign", group="l2"), 422)
    assert typed["errors"] == {"group": ["Enter a whole number."]}


def test_unknown_transition_is_refused(world, client_for, make_incident):
    incident = make_incident()

    assert error_of(take(client_for(world.desk), incident.number, "teleport"), 422)["code"] == "unknown_transition"


def test_a_body_is_optional_and_a_form_post_works_too(world, client_for, make_incident):
    incident = make_incident(actor=world.desk, requester=world.requester, group=world.l1_group, assignee=world.l1)
    requester = client_for(world.requester)

    chased = requester.post(f"/api/v1/incidents/{incident.number}/transitions/chase")  # empty multipart body
    assert chased.status_code == 200, chased.content
    assert chased.json()["chase_count"] == 1
    again = requester.post(f"/api/v1/incidents/{incident.number}/transitions/chase", {"version": "2"})
    assert again.json()["chase_count"] == 2
    bare = requester.post(f"/api/v1/incidents/{incident.number}/transitions/chase", "", content_type="application/json")
    assert bare.json()["chase_count"] == 3
    assert Notification.objects.filter(recipient=world.l1, kind="chased").count() == 3


def test_pending_on_a_vendor_records_the_vendor(world, client_for, make_incident):
    incident = make_incident(actor=world.desk, requester=world.requester, group=world.l1_group, assignee=world.l1)
    l1 = client_for(world.l1)
    take(l1, incident.number, "accept")

    missing = error_of(take(l1, incident.number, "pend", reason="Waiting for SAP", pending_reason="vendor"), 422)
    assert list(missing["errors"]) == ["vendor"]
    pending = take(l1, incident.number, "pend", reason="Waiting for SAP", pending_reason="vendor", vendor="SAP").json()
    assert (pending["state"], pending["pending_reason"], pending["vendor"]) == ("pending", "vendor", "SAP")
