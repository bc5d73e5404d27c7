"""Roles granted per organisation, and the organisation scope they give."""

from __future__ import annotations

import pytest

from opsdesk.accounts import services as accounts
from opsdesk.accounts.roles import Permission as P
from opsdesk.accounts.roles import Role
from opsdesk.accounts.selectors import holds_in, organisation_ids_where
from opsdesk.core.errors import ValidationFailed


def _codes(world, ids) -> set[str]:
    by_id = {o.pk: o.code for o in (world.hq, world.province, world.city_a, world.city_b)}
    return {by_id[i] for i in ids}


@pytest.mark.parametrize(("role", "scope"), [
    ("requester", set()),
    ("viewer_a", {"city-a"}),
    ("l1", {"city-a"}),
    ("desk", {"prov", "city-a", "city-b"}),
    ("l2", {"prov", "city-a", "city-b"}),
    ("admin", {"hq", "prov", "city-a", "city-b"}),
    ("auditor", {"hq", "prov", "city-a", "city-b"}),
])
def test_a_role_reaches_its_organisation_and_those_below(world, role, scope) -> None:
    assert _codes(world, organisation_ids_where(getattr(world, role), P.INCIDENT_VIEW)) == scope


def test_a_grant_can_stop_at_its_own_organisation(world) -> None:
    accounts.role_assign(user=world.requester2, role=Role.ORGANISATION_VIEWER, organisation=world.province,
                         include_descendants=False)
    assert _codes(world, organisation_ids_where(world.requester2, P.INCIDENT_VIEW)) == {"prov"}
    assert not holds_in(world.requester2, P.INCIDENT_VIEW, world.city_b.pk)


def test_a_new_grant_is_seen_at_once(world) -> None:
    assert not holds_in(world.requester, P.INCIDENT_VIEW, world.city_a.pk)  # fills the caches
    accounts.role_assign(user=world.requester, role=Role.ORGANISATION_VIEWER, organisation=world.city_a)
    assert holds_in(world.requester, P.INCIDENT_VIEW, world.city_a.pk)
    assert world.requester.holds(P.INCIDENT_VIEW)
    assert "organisation_viewer" in world.requester.roles


def test_permissions_come_from_the_roles(world) -> None:
    assert world.auditor.holds(P.AUDIT_READ) and not world.auditor.holds(P.INCIDENT_REPORT)
    assert world.desk.holds(P.INCIDENT_DISPATCH) and not world.l1.holds(P.INCIDENT_DISPATCH)
    assert world.manager.holds(P.INCIDENT_MAJOR) and not world.desk.holds(P.INCIDENT_MAJOR)


def test_a_user_sees_the_groups_they_are_in_and_lead(world) -> None:
    assert world.l1b.support_group_ids == {world.l1_group.pk}
    assert world.l1b.led_group_ids == {world.l1_group.pk}
    assert world.l1.led_group_ids == frozenset()


def test_organisation_paths_nest(world) -> None:
    assert world.city_a.path.startswith(world.province.path) and world.province.path.startswith(world.hq.path)
    assert (world.hq.depth, world.province.depth, world.city_a.depth) == (0, 1, 2)


def test_a_username_is_taken_once(world) -> None:
    with pytest.raises(ValidationFailed) as caught:
        accounts.user_create(username="desk", password=None, organisation=world.city_a)
    assert "username" in caught.value.field_errors
