"""The incident process declared for the workflow engine: states, transitions, guards."""

from __future__ import annotations

from django.utils.translation import pgettext_lazy

from opsdesk.core.workflow import Transition, Workflow

from . import rules
from .choices import IncidentState as S
from .models import Incident

OPEN = frozenset({S.NEW, S.ASSIGNED, S.IN_PROGRESS, S.PENDING})
WORKING = frozenset({S.ASSIGNED, S.IN_PROGRESS})


def _t(name: str, label, sources, target, guard, required=(), style="secondary") -> Transition[Incident]:
    return Transition(name=name, label=label, sources=frozenset(sources), target=target, guard=guard,
                      required=tuple(required), style=style)


INCIDENT_WORKFLOW: Workflow[Incident] = Workflow(
    states=[s.value for s in S],
    transitions=[
        _t("assign", pgettext_lazy("transition", "Assign"), {S.NEW, S.ASSIGNED, S.IN_PROGRESS}, S.ASSIGNED,
           lambda a, i: rules.can_dispatch(a, i) or rules.is_handler(a, i), ["group"], "primary"),
        _t("accept", pgettext_lazy("transition", "Take"), {S.ASSIGNED}, S.IN_PROGRESS,
           lambda a, i: rules.is_handler(a, i) and i.assignee_id in (None, a.pk), style="primary"),
        _t("pend", pgettext_lazy("transition", "Put pending"), {S.IN_PROGRESS}, S.PENDING,
           rules.is_handler, ["reason"]),
        _t("resume", pgettext_lazy("transition", "Resume"), {S.PENDING}, S.IN_PROGRESS,
           lambda a, i: rules.is_handler(a, i) or rules.can_dispatch(a, i), style="primary"),
        _t("escalate", pgettext_lazy("transition", "Escalate"), WORKING, S.ASSIGNED,
           lambda a, i: rules.is_handler(a, i) or rules.can_manage_major(a, i), ["group", "reason"], "warning"),
        _t("return", pgettext_lazy("transition", "Send back"), WORKING, S.ASSIGNED,
           lambda a, i: bool(i.escalation_path) and rules.is_handler(a, i), ["reason"]),
        _t("resolve", pgettext_lazy("transition", "Resolve"), {S.NEW, S.ASSIGNED, S.IN_PROGRESS}, S.RESOLVED,
           lambda a, i: rules.is_handler(a, i) or rules.can_dispatch(a, i), ["resolution"], "success"),
        _t("confirm", pgettext_lazy("transition", "Confirm the fix"), {S.RESOLVED}, S.CLOSED,
           rules.is_requester, ["rating"], "success"),
        _t("reject", pgettext_lazy("transition", "Not fixed"), {S.RESOLVED}, S.ASSIGNED,
           rules.is_requester, ["reason"], "danger"),
        _t("close", pgettext_lazy("transition", "Close"), {S.RESOLVED}, S.CLOSED, rules.can_close, style="success"),
        _t("reopen", pgettext_lazy("transition", "Reopen"), {S.CLOSED}, S.ASSIGNED,
           lambda a, i: rules.within_reopen_window(i) and (rules.is_requester(a, i) or rules.can_close(a, i)),
           ["reason"], "warning"),
        _t("chase", pgettext_lazy("transition", "Chase"), OPEN, None,
           lambda a, i: not rules.actor_is_read_only(a) and (
               rules.is_requester(a, i) or rules.is_watcher(a, i) or rules.can_dispatch(a, i)
               or rules.can_close(a, i) or rules.can_manage_major(a, i)), style="warning"),
        _t("cancel", pgettext_lazy("transition", "Cancel"), OPEN, S.CANCELLED,
           lambda a, i: rules.can_dispatch(a, i) or (rules.is_requester(a, i) and i.state in (S.NEW, S.ASSIGNED)),
           ["reason"], "danger"),
    ],
)
