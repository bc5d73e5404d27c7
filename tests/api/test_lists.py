"""The incident list: cursor pages, filters, queues, and a bounded number of queries."""

from __future__ import annotations

import pytest

from opsdesk.incidents.services import incident_watch

from .expect import error_of


def numbers(response):
    assert response.status_code == 200, response.content
    return [item["number"] for item in response.json()["items"]]


def test_cursor_walks_every_record_once_newest_first(world, client_for, make_incident):
    created = [make_incident(title=f"Incident {n}").number for n in range(7)]
    client = client_for(world.desk)

    seen, cursor, pages = [], None, 0
    while True:
        response = client.get("/api/v1/incidents", {"limit": 3, **({"cursor": cursor} if cursor else {})})
        seen += numbers(response)
        cursor, pages = response.json()["next_cursor"], pages + 1
        if cursor is None:
            break

    assert seen == list(reversed(created))
    assert pages == 3


def test_page_size_defaults_to_50_and_stops_at_200(world, client_for, make_incident):
    for n in range(3):
        make_incident(title=f"Incident {n}")
    client = client_for(world.desk)

    assert len(numbers(client.get("/api/v1/incidents"))) == 3
    assert client.get("/api/v1/incidents?limit=1000").status_code == 200
    assert client.get("/api/v1/incidents?limit=3").json()["next_cursor"] is None


def test_a_bad_cursor_is_a_422_naming_it(world, client_for):
    body = error_of(client_for(world.desk).get("/api/v1/incidents?cursor=garbage!"), 422)

    assert list(body["errors"]) == ["cursor"]


def test_filters(world, client_for, make_incident):
    bug = make_incident(category=world.categories["bug"], impact=1, urgency=1)
    erp = make_incident(service=world.erp, category=world.categories["erp_report"])
    dispatched = make_incident(actor=world.desk, requester=world.requester2, group=world.l1_group, assignee=world.l1,
                               title="Mail quota full", description="Outlook refuses to send.")
    client = client_for(world.desk)

    assert numbers(client.get(f"/api/v1/incidents?service={world.erp.pk}")) == [erp.number]
    assert numbers(client.get(f"/api/v1/incidents?category={world.categories['bug'].pk}")) == [bug.number]
    assert numbers(client.get("/api/v1/incidents?priority=1")) == [bug.number]
    assert numbers(client.get("/api/v1/incidents?state=assigned")) == [dispatched.number]
    assert numbers(client.get("/api/v1/incidents?state=new,assigned")) == [dispatched.number, erp.number, bug.number]
    assert numbers(client.get("/api/v1/incidents?state=new&state=assigned&priority=1&priority=2")) == [bug.number]
    assert numbers(client.get(f"/api/v1/incidents?group={world.l1_group.pk}")) == [dispatched.number]
    assert numbers(client.get(f"/api/v1/incidents?assignee={world.l1.pk}")) == [dispatched.number]
    assert numbers(client.get(f"/api/v1/incidents?organisation={world.city_b.pk}")) == [dispatched.number]
    assert numbers(client.get(f"/api/v1/incidents?requester={world.requester2.pk}")) == [dispatched.number]
    assert numbers(client.get("/api/v1/incidents?is_major=true")) == []
    assert numbers(client.get("/api/v1/incidents?q=SG186 print")) == [erp.number, bug.number]
    assert numbers(client.get("/api/v1/incidents?q=outlook")) == [dispatched.number]
    assert numbers(client.get(f"/api/v1/incidents?q={bug.number}")) == [bug.number]
    assert list(error_of(client.get("/api/v1/incidents?state=lost"), 422)["errors"]) == ["state"]
    assert list(error_of(client.get("/api/v1/incidents?queue=everything"), 422)["errors"]) == ["queue"]


def test_queues(world, client_for, make_incident):
    mine = make_incident(actor=world.desk, requester=world.requester, group=world.l1_group, assignee=world.l1)
    groups = make_incident(actor=world.desk, requester=world.requester, group=world.l1_group)
    make_incident(actor=world.desk, requester=world.requester, group=world.l2_group)
    reported = make_incident(actor=world.l1)

    l1 = client_for(world.l1)
    assert numbers(l1.get("/api/v1/incidents?queue=mine")) == [mine.number]
    assert numbers(l1.get("/api/v1/incidents?queue=my_groups")) == [groups.number, mine.number]
    assert numbers(l1.get("/api/v1/incidents?queue=unassigned")) == [groups.number]
    assert numbers(l1.get("/api/v1/incidents?queue=reported")) == [reported.number]


def test_list_items_carry_allowed_transitions_and_the_watcher_flag(world, client_for, make_incident):
    watched = make_incident(actor=world.requester2)
    incident_watch(actor=world.desk, incident=watched, user=world.l1)

    items = client_for(world.l1).get("/api/v1/incidents").json()["items"]

    assert [i["number"] for i in items] == [watched.number]
    assert items[0]["allowed_transitions"] == ["chase"]  # l1 sees it only as a watcher, and may chase


@pytest.mark.parametrize("query", ["", "?queue=mine", "?state=assigned&priority=4", "?q=print"])
def test_list_query_count_does_not_grow_with_the_page(world, client_for, make_incident,
                                                      django_assert_max_num_queries, django_assert_num_queries, query):
    client = client_for(world.l1)
    for _ in range(2):
        make_incident(actor=world.desk, requester=world.requester, group=world.l1_group, assignee=world.l1)
    client.get("/api/v1/me")  # the token's first use stamps last_used_at; measure the steady state
    with django_assert_max_num_queries(10) as few:
        assert client.get(f"/api/v1/incidents{query}").status_code == 200
    for _ in range(20):
        make_incident(actor=world.desk, requester=world.requester, group=world.l1_group, assignee=world.l1)
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(f"/api/v1/incidents{query}")
    assert len(response.json()["items"]) >= (22 if query != "?q=print" else 0)
