"""Template pieces of the SLA clocks: the time left in queues, the clocks panel of a record."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _

from opsdesk.accounts.roles import Permission as P

from ..selectors import clock_view, current_clock, incident_clocks, incident_group_spans

register = template.Library()


@register.filter
def business_duration(seconds: int | None) -> str:
    """Business seconds as hours and minutes, e.g. "3 h 20 min" (the sign dropped)."""
    if seconds is None:
        return ""
    minutes = abs(int(seconds)) // 60
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    if hours:
        return _("%(hours)d h") % {"hours": hours}
    return _("%(minutes)d min") % {"minutes": minutes}


@register.filter
def business_duration_minutes(minutes: int | None) -> str:
    """A target in minutes, as hours and minutes."""
    return business_duration(None if minutes is None else int(minutes) * 60)


@register.inclusion_tag("sla/_time_left.html")
def sla_time_left(incident: Any) -> dict[str, Any]:
    """The governing clock's time left, coloured by threshold (queues; reads the prefetched clocks)."""
    return {"view": current_clock(incident) if incident.is_open else None}


@register.inclusion_tag("sla/_clocks_panel.html", takes_context=True)
def sla_clocks(context: template.Context, incident: Any) -> dict[str, Any]:
    """The record's clocks panel (nothing when no SLA applies)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    clocks = incident_clocks(incident)
    views = [clock_view(clocks[kind]) for kind in ("response", "resolution") if kind in clocks]
    staff = bool(context.get("staff"))
    return {
        "spans": incident_group_spans(incident) if staff else [],
        "incident": incident,
        "views": views,
        "agreement": views[0].clock.agreement if views else None,
        "staff": staff,
        "can_recompute": bool(user is not None and user.is_authenticated and user.holds(P.ADMINISTER)),
        "csrf_token": context.get("csrf_token"),
    }
