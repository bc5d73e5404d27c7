"""A CI's history, rendered in the reader's language from its audit entries (who, when, old → new).

The same shape as the incident timeline (``opsdesk.ui.timeline``), whose items and template idioms it
reuses: audit entries store codes and raw values; here each action becomes a phrase, each field its
model's ``verbose_name`` (an attribute its definition's name) and each value a readable label.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models
from django.utils import formats
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from opsdesk.audit.models import AuditEntry
from opsdesk.ui.timeline import SOURCES, Change, TimelineItem

from .choices import CIState, FinancialCategory, RelationKind
from .models import AttributeDefinition, CIClass, ConfigurationItem

ACTIONS: dict[str, tuple[Promise, str, str]] = {
    "ci.created": (gettext_lazy("%(actor)s registered the CI"), "bi-plus-circle", "primary"),
    "ci.updated": (gettext_lazy("%(actor)s changed the CI"), "bi-pencil", ""),
    "ci.state_changed": (gettext_lazy("%(actor)s changed its lifecycle state"), "bi-arrow-repeat", "warning"),
    "ci.custody_recorded": (gettext_lazy("%(actor)s recorded a custody agreement"), "bi-file-earmark-check", "success"),
    "ci.related": (gettext_lazy("%(actor)s added a relation"), "bi-diagram-3", "primary"),
    "ci.unrelated": (gettext_lazy("%(actor)s removed a relation"), "bi-scissors", ""),
    "ci.imported": (gettext_lazy("%(actor)s imported it from Excel"), "bi-file-earmark-spreadsheet", "primary"),
    "ci.import_updated": (gettext_lazy("%(actor)s updated it from Excel"), "bi-file-earmark-spreadsheet", ""),
}
UNKNOWN_ACTION = (gettext_lazy("%(actor)s: %(action)s"), "bi-dot", "")
CHOICES = {"state": dict(CIState.choices), "financial_category": dict(FinancialCategory.choices)}


def _label(name: str, attributes: dict[str, str]) -> str:
    if name.startswith("attributes."):
        code = name.split(".", 1)[1]
        return attributes.get(code, code)
    try:
        return str(ConfigurationItem._meta.get_field(name).verbose_name).capitalize()
    except Exception:
        return name


def _value(name: str, value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, dict):
        return str(value.get("label", value.get("id", "")))
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if name in CHOICES:
        return str(CHOICES[name].get(value, value))
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    text = str(value)
    try:
        field = ConfigurationItem._meta.get_field(name)
    except Exception:
        field = None
    if isinstance(field, models.DateField) and len(text) >= 10:
        try:
            return formats.date_format(dt.date.fromisoformat(text[:10]), "Y-m-d")
        except ValueError:
            return text
    return text if len(text) <= 160 else text[:157] + "…"


def build_ci_timeline(entries: list[AuditEntry]) -> list[TimelineItem]:
    """Newest first, like a history panel reads."""
    codes = {n.split(".", 1)[1] for e in entries for n in (e.data.get("changes") or {}) if n.startswith("attributes.")}
    codes |= {n.split(".", 1)[1] for e in entries for n in (e.data.get("fields") or {}) if n.startswith("attributes.")}
    attributes = {d.code: d.display_name for d in AttributeDefinition.objects.filter(code__in=codes)} if codes else {}
    kinds = dict(RelationKind.choices)
    classes = {c.pk: c for c in CIClass.objects.all()} if any(e.action == "ci.created" for e in entries) else {}
    items = []
    for entry in entries:
        phrase, icon, tone = ACTIONS.get(entry.action, UNKNOWN_ACTION)
        actor = str(entry.actor) if entry.actor is not None else (entry.actor_name or _("system"))
        data = entry.data or {}
        item = TimelineItem(at=entry.at, actor=actor, phrase=str(phrase) % {"actor": actor, "action": entry.action},
                            icon=icon, tone=tone, reason=str(data.get("reason") or ""),
                            source=str(SOURCES.get(entry.source, entry.source)))
        for name, pair in (data.get("changes") or {}).items():
            if isinstance(pair, list) and len(pair) == 2:
                item.changes.append(Change(_label(name, attributes), _value(name, pair[0]), _value(name, pair[1])))
        if entry.action == "ci.created":
            fields = data.get("fields") or {}
            for name, value in fields.items():
                if name == "class":
                    ci_class = classes.get(value.get("id")) if isinstance(value, dict) else None
                    item.facts.append((_("Class"), ci_class.display_name if ci_class else _value(name, value)))
                elif value not in (None, "", False, []):
                    item.facts.append((_label(name, attributes), _value(name, value)))
        relation = data.get("relation")
        if isinstance(relation, dict):
            other = (relation.get("other") or {}).get("label", "")
            kind = str(kinds.get(relation.get("kind"), relation.get("kind")))
            text = (_("this CI %(kind)s %(other)s") if relation.get("direction") == "out"
                    else _("%(other)s %(kind)s this CI")) % {"kind": kind, "other": other}
            item.facts.append((_("Relation"), text))
        agreement = data.get("agreement")
        if isinstance(agreement, dict):
            item.facts.append((_("Agreement"), f"{agreement.get('number', '')} ({agreement.get('signed_on', '')})"))
        items.append(item)
    items.reverse()
    return items
