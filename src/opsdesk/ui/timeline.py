"""A record's history, rendered in the reader's language from its audit entries.

Audit entries store codes and raw values, never sentences; here each action
code becomes a translated phrase and each changed field its model's
``verbose_name``, with values labelled through the field's choices (or, for
bilingual catalogue records, their current name in the reader's language).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.utils import formats, timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from opsdesk.accounts.models import SupportGroup
from opsdesk.audit.models import AuditEntry
from opsdesk.catalog.models import Category, Service
from opsdesk.incidents.models import Incident

from .naming import localized_name

# action code → (phrase with %(actor)s, icon, tone)
ACTIONS: dict[str, tuple[Promise, str, str]] = {
    "incident.created": (gettext_lazy("%(actor)s recorded the incident"), "bi-plus-circle", "primary"),
    "incident.updated": (gettext_lazy("%(actor)s changed the record"), "bi-pencil", ""),
    "incident.assigned": (gettext_lazy("%(actor)s dispatched it"), "bi-signpost-split", "primary"),
    "incident.accepted": (gettext_lazy("%(actor)s took it"), "bi-hand-index", "primary"),
    "incident.pended": (gettext_lazy("%(actor)s put it pending"), "bi-pause-circle", "warning"),
    "incident.resumed": (gettext_lazy("%(actor)s resumed work"), "bi-play-circle", "primary"),
    "incident.escalated": (gettext_lazy("%(actor)s escalated it"), "bi-arrow-up-circle", "warning"),
    "incident.returned": (gettext_lazy("%(actor)s sent it back"), "bi-arrow-return-left", ""),
    "incident.resolved": (gettext_lazy("%(actor)s resolved it"), "bi-check2-circle", "success"),
    "incident.confirmed": (gettext_lazy("%(actor)s confirmed the fix"), "bi-hand-thumbs-up", "success"),
    "incident.rejected": (gettext_lazy("%(actor)s said it is not fixed"), "bi-hand-thumbs-down", "danger"),
    "incident.closed": (gettext_lazy("%(actor)s closed it"), "bi-lock", "success"),
    "incident.reopened": (gettext_lazy("%(actor)s reopened it"), "bi-unlock", "warning"),
    "incident.chased": (gettext_lazy("%(actor)s chased it"), "bi-alarm", "warning"),
    "incident.cancelled": (gettext_lazy("%(actor)s cancelled it"), "bi-x-circle", "danger"),
    "incident.work_logged": (gettext_lazy("%(actor)s logged work"), "bi-stopwatch", ""),
    "incident.commented": (gettext_lazy("%(actor)s commented"), "bi-chat-left-text", ""),
    "incident.attached": (gettext_lazy("%(actor)s attached a file"), "bi-paperclip", ""),
    "incident.watcher_added": (gettext_lazy("%(actor)s added a watcher"), "bi-eye", ""),
    "incident.flagged_major": (gettext_lazy("%(actor)s flagged it as a major incident"), "bi-broadcast", "danger"),
    "incident.linked_to_major": (gettext_lazy("%(actor)s linked it to a major incident"), "bi-diagram-3", "warning"),
    "incident.child_linked": (gettext_lazy("%(actor)s linked a related incident"), "bi-diagram-3", "warning"),
    "incident.major_update": (gettext_lazy("%(actor)s posted a major incident update"), "bi-megaphone", "danger"),
    "incident.callback_recorded": (gettext_lazy("%(actor)s recorded the call-back"), "bi-telephone-outbound", "success"),
    "incident.cis_changed": (gettext_lazy("%(actor)s changed the affected CIs"), "bi-hdd-network", ""),
    "incident.auto_confirmed": (
        gettext_lazy("Closed automatically: the requester did not answer in time"), "bi-clock-history", "success"),
    "incident.sla_threshold": (gettext_lazy("An SLA clock reached a threshold"), "bi-hourglass-split", "warning"),
    "incident.sla_breached": (gettext_lazy("An SLA target was breached"), "bi-hourglass-bottom", "danger"),
    "incident.sla_recomputed": (gettext_lazy("%(actor)s recomputed the SLA clocks"), "bi-arrow-repeat", ""),
}
UNKNOWN_ACTION = (gettext_lazy("%(actor)s: %(action)s"), "bi-dot", "")
# Where a change came from (the audit entry's ``source`` code), as staff read it.
SOURCES: dict[str, Promise] = {
    "ui": gettext_lazy("web"),
    "api": gettext_lazy("API"),
    "cli": gettext_lazy("command line"),
    "task": gettext_lazy("automatic task"),
    "email": gettext_lazy("email"),
    "demo": gettext_lazy("demo data"),
}

# Changes recorded on an incident by other apps, under names that are not incident fields.
EXTRA_LABELS: dict[str, Promise] = {"affected_cis": gettext_lazy("Affected CIs")}

# What the creation entry shows of the initial values.
CREATED_FIELDS = ("service", "category", "priority", "assigned_group", "assignee")
BILINGUAL = {"service": Service, "category": Category, "assigned_group": SupportGroup}


@dataclass
class Change:
    label: str
    before: str
    after: str


@dataclass
class TimelineItem:
    at: dt.datetime
    actor: str
    phrase: str
    icon: str
    tone: str
    internal: bool = False
    text: str = ""
    reason: str = ""
    changes: list[Change] = field(default_factory=list)
    facts: list[tuple[str, str]] = field(default_factory=list)
    source: str = ""


def _field(name: str) -> models.Field | None:
    try:
        return Incident._meta.get_field(name)  # type: ignore[return-value]
    except Exception:
        return None


class _Labeller:
    """Turns stored values into text the reader understands, with one query per catalogue model."""

    def __init__(self, entries: list[AuditEntry]) -> None:
        wanted: dict[str, set[int]] = {name: set() for name in BILINGUAL}
        for entry in entries:
            pairs = list((entry.data.get("changes") or {}).items())
            pairs += [(k, [v]) for k, v in (entry.data.get("fields") or {}).items()]
            for name, values in pairs:
                if name in wanted:
                    wanted[name].update(v["id"] for v in values if isinstance(v, dict) and "id" in v)
        self.objects = {
            name: {obj.pk: obj for obj in BILINGUAL[name].objects.filter(pk__in=ids)} if ids else {}
            for name, ids in wanted.items()
        }

    def label(self, name: str) -> str:
        if name in EXTRA_LABELS:
            return str(EXTRA_LABELS[name])
        model_field = _field(name)
        return str(model_field.verbose_name).capitalize() if model_field is not None else name

    def value(self, name: str, value: Any) -> str:
        if value is None or value == "":
            return "—"
        if isinstance(value, dict):
            obj = self.objects.get(name, {}).get(value.get("id"))
            return localized_name(obj) if obj is not None else str(value.get("label", ""))
        model_field = _field(name)
        if model_field is not None and model_field.choices:
            return str(dict(model_field.flatchoices).get(value, value))
        if isinstance(value, bool):
            return _("yes") if value else _("no")
        if name in ("satisfaction", "callback_rating"):
            return f"{value}/5"
        if isinstance(model_field, models.DateTimeField) and isinstance(value, str):
            try:
                moment = dt.datetime.fromisoformat(value)
            except ValueError:
                return value
            return formats.date_format(timezone.localtime(moment), "Y-m-d H:i")
        text = str(value)
        return text if len(text) <= 160 else text[:157] + "…"


def build_timeline(entries: list[AuditEntry]) -> list[TimelineItem]:
    labeller = _Labeller(entries)
    items = []
    for entry in entries:
        phrase, icon, tone = ACTIONS.get(entry.action, UNKNOWN_ACTION)
        actor = str(entry.actor) if entry.actor is not None else (entry.actor_name or _("system"))
        data = entry.data or {}
        item = TimelineItem(
            at=entry.at, actor=actor, phrase=str(phrase) % {"actor": actor, "action": entry.action},
            icon=icon, tone=tone, internal=bool(data.get("internal")), reason=str(data.get("reason") or ""),
            source=str(SOURCES.get(entry.source, entry.source)),
        )
        for name, pair in (data.get("changes") or {}).items():
            if name == "state" or not isinstance(pair, list) or len(pair) != 2:
                continue
            item.changes.append(Change(labeller.label(name), labeller.value(name, pair[0]), labeller.value(name, pair[1])))
        state_change = (data.get("changes") or {}).get("state")
        if state_change:
            item.facts.append((labeller.label("state"), labeller.value("state", state_change[1])))
        _describe(entry, data, item, labeller)
        items.append(item)
    return items


def _describe(entry: AuditEntry, data: dict[str, Any], item: TimelineItem, labeller: _Labeller) -> None:
    """Add what this kind of entry carries besides field changes."""
    action = entry.action
    if action == "incident.created":
        fields = data.get("fields") or {}
        item.facts += [(labeller.label(name), labeller.value(name, fields.get(name)))
                       for name in CREATED_FIELDS if fields.get(name) not in (None, "")]
        if data.get("routed"):
            item.facts.append((_("Dispatch"), _("by a routing rule")))
        if data.get("attachments"):
            item.facts.append((_("Attachments"), ", ".join(data["attachments"])))
    elif action == "incident.work_logged":
        item.facts.append((_("Time spent"), _("%(minutes)s min") % {"minutes": data.get("minutes")}))
        item.text = str(data.get("note") or "")
    elif action in ("incident.commented", "incident.major_update"):
        item.text = str(data.get("body") or "")
    elif action == "incident.attached":
        item.facts.append((_("File"), str(data.get("name") or "")))
    elif action == "incident.watcher_added":
        item.facts.append((_("Watcher"), str((data.get("user") or {}).get("label", ""))))
    elif action in ("incident.confirmed", "incident.callback_recorded"):
        if data.get("rating"):
            item.facts.append((_("Rating"), f"{data['rating']}/5"))
        item.text = str(data.get("comment") or "")
    elif action == "incident.pended":
        if data.get("vendor"):
            item.facts.append((labeller.label("vendor"), str(data["vendor"])))
    elif action == "incident.chased":
        item.facts.append((_("Chases so far"), str(data.get("chase_count", ""))))
    elif action == "incident.linked_to_major":
        item.facts.append((_("Major incident"), str(data.get("major") or "")))
    elif action == "incident.child_linked":
        item.facts.append((_("Related incident"), str(data.get("child") or "")))
    elif action == "incident.auto_confirmed":
        item.facts.append((_("After"), _("%(days)s days") % {"days": data.get("days")}))
    elif action in ("incident.sla_threshold", "incident.sla_breached"):
        from opsdesk.sla.models import ClockKind

        kind = data.get("clock")
        item.facts.append((_("SLA clock"), str(ClockKind(kind).label) if kind in ClockKind.values else str(kind)))
        item.facts.append((_("Reached"), _("%(percent)s %% of the target") % {"percent": data.get("percent")}))
    elif action == "incident.sla_recomputed":
        from opsdesk.sla.models import ClockKind

        for kind, (old_due, new_due) in (data.get("due") or {}).items():
            label = str(ClockKind(kind).label) if kind in ClockKind.values else str(kind)
            item.changes.append(Change(_("%(clock)s due") % {"clock": label}, labeller.value("resolved_at", old_due),
                                       labeller.value("resolved_at", new_due)))
