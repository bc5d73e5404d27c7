"""Who may do what in the CMDB: every role × every CMDB action, the forbidden ones included.

Read the table as "may <role> <action> on a CI of City A (or, for configuration, on the CMDB as a whole)?".
``ok`` means it happens and is audited; ``403`` means it is refused (PermissionDenied) and ``404`` that the
CI does not even exist for them (NotFound) — in both cases nothing at all changes. ``config_manager`` holds
the configuration manager role (配置经理) at headquarters and below.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from opsdesk.accounts import services as accounts
from opsdesk.accounts.roles import ROLE_PERMISSIONS, Role
from opsdesk.accounts.roles import Permission as P
from opsdesk.audit.models import AuditEntry
from opsdesk.cmdb import selectors, services
from opsdesk.cmdb.importing import ci_import
from opsdesk.cmdb.models import (
    AttributeDefinition,
    CIClass,
    ConfigurationItem,
    CustodyAgreement,
    IncidentCI,
    Relation,
    RelationRule,
)
from opsdesk.core.errors import NotFound, PermissionDenied
from opsdesk.incidents import services as incidents

from .test_import_export import MAPPING, sheet

MATRIX = """
action             requester requester2 viewer_a desk l1  l2  l3  manager category_admin auditor admin config_manager
view               404       404        404      ok   ok  ok  ok  ok      ok             ok      ok    ok
impact             404       404        404      ok   ok  ok  ok  ok      ok             ok      ok    ok
create             403       403        403      403  ok  ok  ok  ok      403            403     ok    ok
update             404       404        404      403  ok  ok  ok  ok      403            403     ok    ok
lifecycle          404       404        404      403  ok  ok  ok  ok      403            403     ok    ok
custody            404       404        404      403  ok  ok  ok  ok      403            403     ok    ok
relate             404       404        404      403  ok  ok  ok  ok      403            403     ok    ok
unrelate           404       404        404      403  ok  ok  ok  ok      403            403     ok    ok
link_incident      403       404        403      ok   403 403 403 ok      403            403     ok    403
define_class       403       403        403      403  403 403 403 403     403            403     ok    ok
define_attribute   403       403        403      403  403 403 403 403     403            403     ok    ok
relation_rule      403       403        403      403  403 403 403 403     403            403     ok    ok
import             403       403        403      403  403 403 403 403     403            403     ok    ok
"""


def _parse(table: str) -> tuple[list[str], dict[str, dict[str, str]]]:
    header, *rows = [line.split() for line in table.strip().splitlines()]
    roles = header[1:]
    return roles, {row[0]: dict(zip(roles, row[1:], strict=True)) for row in rows}


ROLES, EXPECTED = _parse(MATRIX)


@pytest.fixture
def config_manager(world):
    return accounts.user_create(username="config_manager", password=None, organisation=world.hq,
                                roles=[Role.CONFIGURATION_MANAGER], display_name="配置经理")


@dataclass
class Estate:
    server: ConfigurationItem
    switch: ConfigurationItem
    app: ConfigurationItem
    relation: Relation
    incident: Any


@pytest.fixture
def estate(cmdb, world) -> Estate:
    server = cmdb.ci("server", "a-srv")
    switch = cmdb.ci("network_device", "a-sw")
    app = cmdb.ci("application", "a-app")
    relation = cmdb.relate(server, "connected_to", switch)
    incident = incidents.incident_create(actor=world.requester, title="ERP down", description="x", service=world.erp)
    return Estate(server, switch, app, relation, incident)


@dataclass(frozen=True)
class Action:
    perform: Callable[[Any, Estate, Any], Any]  # (actor, estate, cmdb)


ACTIONS: dict[str, Action] = {
    "view": Action(lambda a, e, c: selectors.ci_get(user=a, ci_id=e.server.pk)),
    "impact": Action(lambda a, e, c: selectors.impact_of(user=a, ci=e.server)),
    "create": Action(lambda a, e, c: c.ci("server", "new-srv", actor=a)),
    "update": Action(lambda a, e, c: services.ci_update(actor=a, ci=e.server, name="renamed")),
    "lifecycle": Action(lambda a, e, c: services.ci_transition(actor=a, ci=e.server, transition="verify")),
    "custody": Action(lambda a, e, c: services.custody_agreement_record(
        actor=a, ci=e.server, number="BG-2026-001", signed_on="2026-05-30", custodian=c.world.l1b)),
    "relate": Action(lambda a, e, c: services.relation_create(actor=a, source=e.app, target=e.server,
                                                              kind="runs_on")),
    "unrelate": Action(lambda a, e, c: services.relation_delete(actor=a, relation=e.relation)),
    "link_incident": Action(lambda a, e, c: services.incident_cis_set(actor=a, incident=e.incident, cis=[e.server])),
    "define_class": Action(lambda a, e, c: services.ci_class_create(actor=a, code="ups", name="UPS",
                                                                    parent=c.classes["hardware"])),
    "define_attribute": Action(lambda a, e, c: services.attribute_define(
        actor=a, ci_class=c.classes["server"], code="rack", name="机柜", type="text")),
    "relation_rule": Action(lambda a, e, c: services.relation_rule_add(
        actor=a, kind="depends_on", source_class=c.classes["server"], target_class=c.classes["application"])),
    "import": Action(lambda a, e, c: ci_import(actor=a, file=sheet(("srv-09", "server", "city-a", "SN-009")),
                                               mapping=MAPPING, dry_run=False)),
}


def _fingerprint() -> dict[str, Any]:
    """Everything a CMDB action could change."""
    return {
        "cis": sorted(ConfigurationItem.objects.values_list("pk", "version", "name", "state")),
        "relations": sorted(Relation.objects.values_list("pk", flat=True)),
        "links": IncidentCI.objects.count(),
        "custody": CustodyAgreement.objects.count(),
        "classes": CIClass.objects.count(),
        "attributes": AttributeDefinition.objects.count(),
        "rules": RelationRule.objects.count(),
        "audit": AuditEntry.objects.count(),
    }


def test_the_table_covers_every_role_and_action() -> None:
    assert set(EXPECTED) == set(ACTIONS)
    assert ROLES == ["requester", "requester2", "viewer_a", "desk", "l1", "l2", "l3", "manager",
                     "category_admin", "auditor", "admin", "config_manager"]


def test_the_configuration_manager_holds_the_cmdb_and_reads_incidents() -> None:
    assert ROLE_PERMISSIONS[Role.CONFIGURATION_MANAGER] == {
        P.CMDB_VIEW, P.CMDB_WRITE, P.CMDB_CONFIGURE, P.INCIDENT_VIEW, P.INCIDENT_INTERNAL}
    holders = {role for role, permissions in ROLE_PERMISSIONS.items() if P.CMDB_CONFIGURE in permissions}
    assert holders == {Role.CONFIGURATION_MANAGER, Role.ADMINISTRATOR}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", list(EXPECTED))
def test_permission(cmdb, world, estate, config_manager, action: str, role: str) -> None:
    expected = EXPECTED[action][role]
    actor = config_manager if role == "config_manager" else getattr(world, role)
    before = _fingerprint()
    if expected == "ok":
        result = ACTIONS[action].perform(actor, estate, cmdb)
        if action in ("view", "impact"):
            assert result is not None
            assert _fingerprint() == before, "a read changes nothing"
        else:
            assert _fingerprint() != before, "an allowed write changes something"
            latest = AuditEntry.objects.order_by("-id").first()
            assert latest.actor_id == actor.pk, "an allowed write is audited under its actor"
    else:
        error = {"403": PermissionDenied, "404": NotFound}[expected]
        with pytest.raises(error):
            ACTIONS[action].perform(actor, estate, cmdb)
        assert _fingerprint() == before, "a refused action changes nothing"
