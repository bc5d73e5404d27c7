"""Organisation scoping through the API: another city's requester never sees a record, anywhere."""

from __future__ import annotations

import pytest

from .expect import error_of


@pytest.fixture
def record(world, make_incident, client_for):
    incident = make_incident(title="Meter data missing in Zhangjiang", description="Unique-marker-7734")
    client_for(world.requester).post_json(f"/api/v1/incidents/{incident.number}/comments", {"body": "any news?"})
    return incident


def test_other_city_requester_sees_nothing_in_lists_or_search(world, client_for, record):
    requester2 = client_for(world.requester2)

    for query in ("", f"?q={record.number}", "?q=Unique-marker-7734", f"?requester={world.requester.pk}",
                  f"?organisation={world.city_a.pk}", "?queue=reported"):
        assert requester2.get(f"/api/v1/incidents{query}").json()["items"] == [], query
    assert [i["number"] for i in client_for(world.requester).get("/api/v1/incidents?q=Unique-marker-7734").json()["items"]] == [
        record.number]


@pytest.mark.parametrize("suffix", ["", "/timeline", "/comments", "/worklogs", "/attachments", "/watchers", "/children"])
def test_other_city_requester_gets_404_on_every_read(world, client_for, record, suffix):
    body = error_of(client_for(world.requester2).get(f"/api/v1/incidents/{record.number}{suffix}"), 404)

    assert body["code"] == "not_found"


@pytest.mark.parametrize(("method", "suffix", "payload"), [
    ("patch", "", {"version": 1, "title": "mine now"}),
    ("post", "/transitions/chase", {}),
    ("post", "/comments", {"body": "hello"}),
    ("post", "/watchers", {}),
    ("post", "/worklogs", {"minutes": 5, "note": "x"}),
])
def test_other_city_requester_gets_404_on_every_write(world, client_for, record, method, suffix, payload):
    client = client_for(world.requester2)
    send = client.patch_json if method == "patch" else client.post_json

    error_of(send(f"/api/v1/incidents/{record.number}{suffix}", payload), 404)


def test_organisation_viewer_sees_their_city_only(world, client_for, record, make_incident):
    other = make_incident(actor=world.requester2)

    numbers = [i["number"] for i in client_for(world.viewer_a).get("/api/v1/incidents").json()["items"]]

    assert numbers == [record.number]
    error_of(client_for(world.viewer_a).get(f"/api/v1/incidents/{other.number}"), 404)
    assert {i["number"] for i in client_for(world.desk).get("/api/v1/incidents").json()["items"]} == {
        record.number, other.number}


def test_a_requester_finds_only_themself_in_the_user_directory(world, client_for):
    requester = client_for(world.requester)

    assert [u["username"] for u in requester.get("/api/v1/users").json()["items"]] == ["requester"]
    assert requester.get("/api/v1/users?q=example.test").json()["items"][0]["username"] == "requester"
    assert len(client_for(world.desk).get("/api/v1/users?q=requester").json()["items"]) == 2
