"""Read endpoints: services, categories, groups, users, organisations; and the caller's notifications."""

from __future__ import annotations

from opsdesk.notifications.models import Notification

from .expect import error_of


def items(response):
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"items", "next_cursor"}
    return body["items"]


def test_services_in_the_callers_language(world, client_for):
    client = client_for(world.requester)

    english = {s["code"]: s for s in items(client.get("/api/v1/services"))}
    chinese = items(client.get("/api/v1/services?q=pms", headers={"Accept-Language": "zh-hans"}))

    assert set(english) == {"pms", "erp"}
    assert english["pms"]["id"] == world.production.pk
    assert english["pms"]["display_name"] == "Production management"
    assert [s["display_name"] for s in chinese] == ["生产管理系统"]


def test_categories_filter_by_service_and_q(world, client_for):
    client = client_for(world.desk)

    production = items(client.get(f"/api/v1/categories?service={world.production.pk}"))
    assert {c["id"] for c in production} == {world.categories["operation"].pk, world.categories["bug"].pk}
    assert {c["service"] for c in production} == {world.production.pk}
    assert [c["code"] for c in items(client.get("/api/v1/categories?q=报表"))] == ["report"]


def test_groups_with_their_members(world, client_for):
    groups = {g["code"]: g for g in items(client_for(world.desk).get("/api/v1/groups"))}

    assert set(groups) == {"desk", "l1", "l2", "l3"}
    l1 = groups["l1"]
    assert (l1["id"], l1["line"], l1["lead"], l1["organisation"]) == (
        world.l1_group.pk, "l1", world.l1b.pk, world.city_a.pk)
    assert l1["members"] == sorted([world.l1.pk, world.l1b.pk])
    assert [g["code"] for g in items(client_for(world.desk).get("/api/v1/groups?q=l2"))] == ["l2"]


def test_users_carry_groups_and_roles(world, client_for):
    users = {u["username"]: u for u in items(client_for(world.desk).get("/api/v1/users?limit=200"))}

    l1 = users["l1"]
    assert set(l1) == {"id", "username", "display_name", "organisation", "groups", "roles"}
    assert (l1["id"], l1["display_name"], l1["organisation"]) == (world.l1.pk, "L1", world.city_a.pk)
    assert (l1["groups"], l1["roles"]) == ([world.l1_group.pk], ["engineer_l1"])
    assert [u["username"] for u in items(client_for(world.desk).get("/api/v1/users?q=requester2"))] == ["requester2"]


def test_users_page_with_a_cursor(world, client_for):
    client = client_for(world.desk)

    first = client.get("/api/v1/users?limit=5").json()
    second = client.get(f"/api/v1/users?limit=5&cursor={first['next_cursor']}").json()

    assert len(first["items"]) == 5 and first["next_cursor"]
    assert not {u["id"] for u in first["items"]} & {u["id"] for u in second["items"]}


def test_organisations(world, client_for):
    orgs = {o["code"]: o for o in items(client_for(world.requester).get("/api/v1/organisations"))}

    assert set(orgs) == {"hq", "prov", "city-a", "city-b"}
    assert (orgs["city-a"]["id"], orgs["city-a"]["parent"], orgs["city-a"]["level"]) == (
        world.city_a.pk, world.province.pk, "city")
    assert orgs["city-a"]["display_name"] == "City A"
    assert [o["code"] for o in items(client_for(world.requester).get("/api/v1/organisations?q=city-b"))] == ["city-b"]


def test_reference_lists_need_a_caller(world, client):
    for path in ("/api/v1/services", "/api/v1/categories", "/api/v1/groups", "/api/v1/users", "/api/v1/organisations",
                 "/api/v1/notifications", "/api/v1/me"):
        error_of(client.get(path), 401)


def test_my_notifications_and_marking_them_read(world, client_for, make_incident):
    make_incident(actor=world.desk, requester=world.requester, group=world.l1_group, assignee=world.l1)
    make_incident(actor=world.desk, requester=world.requester, group=world.l1_group, assignee=world.l1)
    l1 = client_for(world.l1)

    mine = items(l1.get("/api/v1/notifications"))
    assert [n["kind"] for n in mine] == ["assigned", "assigned"]
    assert mine[0]["subject_label"].startswith("INC") and mine[0]["read_at"] is None
    assert items(client_for(world.l2).get("/api/v1/notifications")) == []

    assert l1.post_json("/api/v1/notifications/read", {"ids": [mine[0]["id"]]}).json() == {"marked": 1}
    assert [n["id"] for n in items(l1.get("/api/v1/notifications?unread=true"))] == [mine[1]["id"]]
    assert l1.post_json("/api/v1/notifications/read").json() == {"marked": 1}
    assert not Notification.objects.filter(recipient=world.l1, read_at__isnull=True).exists()
