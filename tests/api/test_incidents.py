"""Creating, reading and changing incidents through the API, and the errors a caller meets."""

from __future__ import annotations

from opsdesk.incidents.models import Incident

from .expect import error_of

REPORT = {"title": "SG186 print fails", "description": "The print button does nothing.", "occurred_at": "2026-01-05T09:30:00"}


def report(world, **extra):
    return {**REPORT, "service": world.production.pk, **extra}


def test_requester_reports_an_incident(world, client_for):
    response = client_for(world.requester).post_json(
        "/api/v1/incidents", report(world, category=world.categories["bug"].pk, impact=2, urgency=1,
                                    contact_phone="13800000000"))

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"].startswith("INC") and body["state"] == "new" and body["version"] == 1
    assert (body["service"], body["category"]) == (world.production.pk, world.categories["bug"].pk)
    assert (body["impact"], body["urgency"], body["priority"]) == (2, 1, 2)
    assert body["requester"] == world.requester.pk and body["organisation"] == world.city_a.pk
    assert body["group"] is None and body["assignee"] is None and body["parent"] is None
    assert body["channel"] == "api" and body["contact_phone"] == "13800000000"
    assert body["occurred_at"] == "2026-01-05T09:30:00+08:00"  # no offset given: read in Asia/Shanghai
    assert set(body["allowed_transitions"]) == {"chase", "cancel"}
    for field in ("created_at", "updated_at", "resolution", "cause_code", "satisfaction", "chase_count",
                  "reopen_count", "is_major", "priority_overridden", "priority_reason", "contact_name",
                  "contact_email"):
        assert field in body
    assert Incident.objects.get(number=body["number"]).title == "SG186 print fails"


def test_desk_records_for_a_caller_and_dispatches(world, client_for):
    response = client_for(world.desk).post_json("/api/v1/incidents", report(
        world, requester=world.requester.pk, channel="phone", group=world.l1_group.pk, assignee=world.l1.pk,
        priority=1, priority_reason="The whole city cannot bill"))

    body = response.json()
    assert response.status_code == 201, body
    assert body["requester"] == world.requester.pk and body["created_by"] == world.desk.pk
    assert body["organisation"] == world.city_a.pk and body["channel"] == "phone"
    assert (body["state"], body["group"], body["assignee"]) == ("assigned", world.l1_group.pk, world.l1.pk)
    assert (body["priority"], body["priority_overridden"]) == (1, True)
    assert body["priority_reason"] == "The whole city cannot bill"


def test_requester_may_not_record_for_someone_else(world, client_for):
    response = client_for(world.requester).post_json("/api/v1/incidents", report(world, requester=world.requester2.pk))

    assert error_of(response, 403)["code"] == "forbidden"
    assert not Incident.objects.exists()


def test_missing_and_malformed_fields_are_named(world, client_for):
    response = client_for(world.requester).post_json(
        "/api/v1/incidents", {"description": "x", "service": "pms", "impact": 9, "occurred_at": "yesterday"})

    body = error_of(response, 422)
    assert body["code"] == "invalid"
    assert set(body["errors"]) == {"title", "service", "impact", "occurred_at"}
    assert body["errors"]["title"] == ["This field is required."]
    assert body["errors"]["service"] == ["Enter a whole number."]
    assert "title" in body["detail"] and "service" in body["detail"]


def test_domain_validation_names_the_field(world, client_for):
    client = client_for(world.requester)

    unknown = error_of(client.post_json("/api/v1/incidents", report(world, service=99999)), 422)
    assert list(unknown["errors"]) == ["service"]
    blank = error_of(client.post_json("/api/v1/incidents", report(world, title="   ")), 422)
    assert list(blank["errors"]) == ["title"]
    foreign = error_of(client.post_json("/api/v1/incidents", report(world, category=world.categories["erp_report"].pk)), 422)
    assert foreign["errors"] == {"category": ["This category belongs to another service."]}
    email = error_of(client.post_json("/api/v1/incidents", report(world, contact_email="not-an-address")), 422)
    assert list(email["errors"]) == ["contact_email"]
    assert not Incident.objects.exists()


def test_unknown_fields_and_broken_json_are_refused(world, client_for):
    client = client_for(world.requester)

    extra = error_of(client.post_json("/api/v1/incidents", report(world, colour="red")), 422)
    assert extra["errors"] == {"colour": ["This field is not accepted here."]}
    broken = client.post("/api/v1/incidents", "{not json", content_type="application/json")
    assert "body" in error_of(broken, 422)["errors"]
    not_an_object = error_of(client.post_json("/api/v1/incidents", [1, 2]), 422)
    assert not_an_object["errors"]


def test_priority_override_needs_a_reason(world, client_for):
    response = client_for(world.desk).post_json("/api/v1/incidents", report(world, requester=world.requester.pk,
                                                                              priority=1))

    assert error_of(response, 422)["errors"] == {"priority_reason": ["Overriding the computed priority needs a reason."]}


def test_detail_carries_what_the_caller_may_do(world, client_for, make_incident):
    incident = make_incident(actor=world.desk, requester=world.requester, group=world.l1_group)

    as_l1 = client_for(world.l1).get(f"/api/v1/incidents/{incident.number}").json()
    as_requester = client_for(world.requester).get(f"/api/v1/incidents/{incident.number}").json()
    as_auditor = client_for(world.auditor).get(f"/api/v1/incidents/{incident.number}").json()

    assert as_l1["number"] == incident.number and as_l1["group"] == world.l1_group.pk
    assert {"accept", "assign", "escalate", "resolve"} <= set(as_l1["allowed_transitions"])
    assert "cancel" not in as_l1["allowed_transitions"]
    assert set(as_requester["allowed_transitions"]) == {"chase", "cancel"}
    assert as_auditor["allowed_transitions"] == []


def test_unknown_number_is_a_404(world, client_for):
    body = error_of(client_for(world.admin).get("/api/v1/incidents/INC209901010001"), 404)
    assert body["code"] == "not_found" and "INC209901010001" in body["detail"]


def test_patch_changes_fields_and_bumps_the_version(world, client_for, make_incident):
    incident = make_incident()
    client = client_for(world.desk)

    response = client.patch_json(f"/api/v1/incidents/{incident.number}", {
        "version": 1, "title": "SG186: printing fails for all meter readers", "impact": 1, "urgency": 1,
        "category": world.categories["bug"].pk})

    body = response.json()
    assert response.status_code == 200, body
    assert body["version"] == 2 and body["title"] == "SG186: printing fails for all meter readers"
    assert (body["priority"], body["category"]) == (1, world.categories["bug"].pk)
    cleared = client.patch_json(f"/api/v1/incidents/{incident.number}", {"version": 2, "category": None}).json()
    assert cleared["category"] is None and cleared["version"] == 3


def test_patch_with_a_stale_version_is_a_409_and_changes_nothing(world, client_for, make_incident):
    incident = make_incident()
    client = client_for(world.desk)
    assert client.patch_json(f"/api/v1/incidents/{incident.number}", {"version": 1, "title": "First"}).status_code == 200

    body = error_of(client.patch_json(f"/api/v1/incidents/{incident.number}", {"version": 1, "title": "Second"}), 409)

    assert body["code"] == "stale_version"
    incident.refresh_from_db()
    assert (incident.title, incident.version) == ("First", 2)


def test_patch_needs_the_version_and_refuses_unknown_fields(world, client_for, make_incident):
    incident = make_incident()
    client = client_for(world.desk)

    assert error_of(client.patch_json(f"/api/v1/incidents/{incident.number}", {"title": "x"}), 422)["errors"] == {
        "version": ["This field is required."]}
    assert "state" in error_of(client.patch_json(f"/api/v1/incidents/{incident.number}",
                                                 {"version": 1, "state": "closed"}), 422)["errors"]


def test_patch_by_someone_who_may_only_read_is_a_403(world, client_for, make_incident):
    incident = make_incident()

    body = error_of(client_for(world.auditor).patch_json(f"/api/v1/incidents/{incident.number}",
                                                         {"version": 1, "title": "x"}), 403)
    assert body["code"] == "forbidden"


def test_list_items_detail_and_document_agree_on_the_fields(world, client_for, make_incident):
    incident = make_incident()
    client = client_for(world.desk)

    item = client.get("/api/v1/incidents").json()["items"][0]
    detail = client.get(f"/api/v1/incidents/{incident.number}").json()
    documented = client.get("/api/v1/openapi.json").json()["components"]["schemas"]["IncidentOut"]["properties"]

    assert item == detail
    assert set(detail) == set(documented)
    assert documented["state"]["enum"] == ["new", "assigned", "in_progress", "pending", "resolved", "closed", "cancelled"]
