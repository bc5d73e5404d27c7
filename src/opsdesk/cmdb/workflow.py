"""The CI (asset) lifecycle declared for the workflow engine.

registered → verified → in use ⇄ in repair, in use/in repair → upgraded → in use, … → retired → scrapped.
Every transition but “verify” and “put in use” asks for a reason; all are audited (``ci.state_changed``).
"""

from __future__ import annotations

from django.utils.translation import pgettext_lazy

from opsdesk.core.workflow import Transition, Workflow

from . import rules
from .choices import CIState as S
from .models import ConfigurationItem


def _writer(actor, ci: ConfigurationItem) -> bool:
    return rules.can_write(actor, ci.organisation_id)


def _t(name: str, label, sources, target, required=(), style="secondary") -> Transition[ConfigurationItem]:
    return Transition(name=name, label=label, sources=frozenset(sources), target=target, guard=_writer,
                      required=tuple(required), style=style)


CI_WORKFLOW: Workflow[ConfigurationItem] = Workflow(
    states=[s.value for s in S],
    transitions=[
        _t("verify", pgettext_lazy("ci transition", "Verify"), {S.REGISTERED}, S.VERIFIED, style="primary"),
        _t("put_in_use", pgettext_lazy("ci transition", "Put in use"), {S.VERIFIED, S.IN_REPAIR, S.UPGRADED},
           S.IN_USE, style="success"),
        _t("repair", pgettext_lazy("ci transition", "Send for repair"), {S.IN_USE, S.UPGRADED}, S.IN_REPAIR,
           ["reason"], "warning"),
        _t("upgrade", pgettext_lazy("ci transition", "Record an upgrade"), {S.IN_USE, S.IN_REPAIR}, S.UPGRADED,
           ["reason"]),
        _t("retire", pgettext_lazy("ci transition", "Retire"),
           {S.REGISTERED, S.VERIFIED, S.IN_USE, S.IN_REPAIR, S.UPGRADED}, S.RETIRED, ["reason"], "danger"),
        _t("scrap", pgettext_lazy("ci transition", "Scrap"), {S.RETIRED, S.IN_REPAIR}, S.SCRAPPED,
           ["reason"], "danger"),
    ],
)
