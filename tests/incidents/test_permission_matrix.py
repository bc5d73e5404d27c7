"""Who may do what: every role of the world × every incident action, the forbidden ones included.

Read the table as "may <role> <action> on a record reported by ``requester`` of City A, handled by
``l1`` of the City A L1 group?". ``ok`` means it happens and is audited; ``403`` means it is refused
(PermissionDenied) and ``404`` that the record does not even exist for them (NotFound) — in both
cases nothing at all changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from opsdesk.accounts import services as accounts
from opsdesk.accounts.roles import Role
from opsdesk.audit.models import AuditEntry
from opsdesk.core.errors import NotFound, PermissionDenied
from opsdesk.incidents import services
from opsdesk.incidents.models import Attachment, Comment, Incident, IncidentWatcher, WorkLog
from opsdesk.incidents.selectors import incident_get, incident_timeline
from opsdesk.incidents.workflow import INCIDENT_WORKFLOW
from opsdesk.notifications.models import Notification

from .records import Maker, step

MATRIX = """
action              requester requester2 viewer_a desk l1  l2  l3  manager category_admin auditor admin
create_own          ok        ok         ok       ok   ok  ok  ok  ok      403            403     ok
record_for_caller   403       403        403      ok   403 403 403 ok      403            403     ok
update              403       404        403      ok   ok  403 403 ok      403            403     ok
assign              403       404        403      ok   403 403 403 ok      403            403     ok
accept              403       404        403      403  ok  403 403 403     403            403     403
pend                403       404        403      403  ok  403 403 403     403            403     403
resume              403       404        403      ok   ok  403 403 ok      403            403     ok
escalate            403       404        403      403  ok  403 403 ok      403            403     ok
return              403       404        403      403  403 ok  403 403     403            403     403
resolve             403       404        403      ok   ok  403 403 ok      403            403     ok
confirm             ok        404        403      403  403 403 403 403     403            403     403
reject              ok        404        403      403  403 403 403 403     403            403     403
close               403       404        403      ok   403 403 403 ok      403            403     ok
reopen              ok        404        403      ok   403 403 403 ok      403            403     ok
chase               ok        404        403      ok   403 403 403 ok      403            403     ok
cancel              ok        404        403      ok   403 403 403 ok      403            403     ok
work_log            403       404        403      ok   ok  403 403 ok      403            403     ok
comment_public      ok        404        403      ok   ok  ok  ok  ok      403            403     ok
comment_internal    403       404        403      ok   ok  ok  ok  ok      403            403     ok
attach              ok        404        403      ok   ok  ok  ok  ok      403            403     ok
watch               ok        404        ok       ok   ok  ok  ok  ok      403            403     ok
flag_major          403       404        403      403  403 403 403 ok      403            403     ok
link_child          403       404        403      403  403 403 403 ok      403            403     ok
post_major_update   403       404        403      403  403 403 403 ok      403            403     ok
callback            403       404        403      ok   403 403 403 ok      403            403     ok
"""


def _parse(table: str) -> tuple[list[str], dict[str, dict[str, str]]]:
    header, *rows = [line.split() for line in table.strip().splitlines()]
    roles = header[1:]
    return roles, {row[0]: dict(zip(roles, row[1:], strict=True)) for row in rows}


ROLES, EXPECTED = _parse(MATRIX)


@dataclass(frozen=True)
class Action:
    prepare: Callable[[Maker, Any], Any]  # builds the record(s) the action works on
    perform: Callable[[Any, Any, Any], Any]  # (actor, prepared, world)


def _major(make: Maker, world) -> Incident:
    major = make.in_progress()
    return services.incident_flag_major(actor=world.manager, incident=major.number, version=major.version)


def _caller(make: Maker, world):
    return accounts.user_create(username="caller", password=None, organisation=world.city_a,
                                roles=[Role.REQUESTER], display_name="Caller")


def _new_incident(actor, world, **extra: Any) -> Incident:
    return services.incident_create(actor=actor, title="Printer jams", description="Every page jams.",
                                    service=world.production, **extra)


ACTIONS: dict[str, Action] = {
    "create_own": Action(lambda m, w: None, lambda a, _, w: _new_incident(a, w)),
    "record_for_caller": Action(_caller, lambda a, caller, w: _new_incident(a, w, requester=caller, channel="phone")),
    "update": Action(lambda m, w: m.assigned(assignee=w.l1),
                     lambda a, i, w: services.incident_update(actor=a, incident=i.number, version=i.version,
                                                              title="Login fails for the whole plant")),
    "assign": Action(lambda m, w: m.report(), lambda a, i, w: step(i, a, "assign", group=w.l1_group)),
    "accept": Action(lambda m, w: m.assigned(), lambda a, i, w: step(i, a, "accept")),
    "pend": Action(lambda m, w: m.in_progress(), lambda a, i, w: step(i, a, "pend", reason="Waiting")),
    "resume": Action(lambda m, w: m.pending(), lambda a, i, w: step(i, a, "resume")),
    "escalate": Action(lambda m, w: m.in_progress(),
                       lambda a, i, w: step(i, a, "escalate", group=w.l2_group, reason="Needs L2")),
    "return": Action(lambda m, w: m.escalated(), lambda a, i, w: step(i, a, "return", reason="Back to L1")),
    "resolve": Action(lambda m, w: m.in_progress(), lambda a, i, w: step(i, a, "resolve", resolution="Fixed")),
    "confirm": Action(lambda m, w: m.resolved(), lambda a, i, w: step(i, a, "confirm", rating=5)),
    "reject": Action(lambda m, w: m.resolved(), lambda a, i, w: step(i, a, "reject", reason="Still broken")),
    "close": Action(lambda m, w: m.resolved(), lambda a, i, w: step(i, a, "close")),
    "reopen": Action(lambda m, w: m.closed(), lambda a, i, w: step(i, a, "reopen", reason="Back again")),
    "chase": Action(lambda m, w: m.assigned(assignee=w.l1), lambda a, i, w: step(i, a, "chase")),
    "cancel": Action(lambda m, w: m.report(), lambda a, i, w: step(i, a, "cancel", reason="Duplicate")),
    "work_log": Action(lambda m, w: m.in_progress(),
                       lambda a, i, w: services.incident_log_work(actor=a, incident=i.number, minutes=30,
                                                                  note="Checked the logs")),
    "comment_public": Action(lambda m, w: m.in_progress(),
                             lambda a, i, w: services.incident_comment(actor=a, incident=i.number, body="Any news?")),
    "comment_internal": Action(lambda m, w: m.in_progress(),
                               lambda a, i, w: services.incident_comment(actor=a, incident=i.number,
                                                                         body="Suspect the LB", internal=True)),
    "attach": Action(lambda m, w: m.in_progress(),
                     lambda a, i, w: services.incident_attach(
                         actor=a, incident=i.number, upload=SimpleUploadedFile("trace.log", b"ERROR 42\n"))),
    "watch": Action(lambda m, w: m.in_progress(), lambda a, i, w: services.incident_watch(actor=a, incident=i.number)),
    "flag_major": Action(lambda m, w: m.in_progress(),
                         lambda a, i, w: services.incident_flag_major(actor=a, incident=i.number, version=i.version)),
    "link_child": Action(lambda m, w: (_major(m, w), m.report()),
                         lambda a, pair, w: services.incident_link_child(actor=a, major=pair[0].number,
                                                                         child=pair[1].number)),
    "post_major_update": Action(_major, lambda a, i, w: services.incident_post_major_update(
        actor=a, major=i.number, body="Vendor engineer on site, next update 10:00")),
    "callback": Action(lambda m, w: m.resolved(),
                       lambda a, i, w: services.incident_record_callback(actor=a, incident=i.number, rating=4)),
}


def _fingerprint() -> dict[str, Any]:
    """Everything an action could change."""
    return {
        "incidents": sorted(Incident.objects.values_list("pk", "version", "state")),
        "audit": AuditEntry.objects.count(),
        "worklogs": WorkLog.objects.count(),
        "comments": Comment.objects.count(),
        "attachments": Attachment.objects.count(),
        "watchers": IncidentWatcher.objects.count(),
        "notifications": Notification.objects.count(),
    }


def test_the_table_covers_every_role_and_action() -> None:
    assert set(EXPECTED) == set(ACTIONS)
    assert ROLES == ["requester", "requester2", "viewer_a", "desk", "l1", "l2", "l3", "manager",
                     "category_admin", "auditor", "admin"]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", list(EXPECTED))
def test_permission(world, make, action: str, role: str) -> None:
    expected = EXPECTED[action][role]
    actor = getattr(world, role)
    prepared = ACTIONS[action].prepare(make, world)
    before = _fingerprint()
    if expected == "ok":
        ACTIONS[action].perform(actor, prepared, world)
        latest = AuditEntry.objects.order_by("-id").first()
        assert AuditEntry.objects.count() > before["audit"], "an allowed action leaves an audit entry"
        assert latest.actor_id == actor.pk
    else:
        error = {"403": PermissionDenied, "404": NotFound}[expected]
        with pytest.raises(error):
            ACTIONS[action].perform(actor, prepared, world)
        assert _fingerprint() == before, "a refused action changes nothing"


@pytest.mark.parametrize("action", list(EXPECTED))
def test_the_auditor_reads_everything_and_changes_nothing(world, make, action: str) -> None:
    prepared = ACTIONS[action].prepare(make, world)
    target = prepared[0] if isinstance(prepared, tuple) else prepared
    if isinstance(target, Incident):
        assert INCIDENT_WORKFLOW.allowed(world.auditor, target) == []
        seen = incident_get(user=world.auditor, number=target.number)
        assert incident_timeline(user=world.auditor, incident=seen)
    before = _fingerprint()
    with pytest.raises(PermissionDenied):
        ACTIONS[action].perform(world.auditor, prepared, world)
    assert _fingerprint() == before
