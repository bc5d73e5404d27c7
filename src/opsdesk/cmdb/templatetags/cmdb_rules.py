"""What the reader may do in the CMDB, for templates that only show what the next page allows."""

from __future__ import annotations

from typing import Any

from django import template

from opsdesk.cmdb import rules

register = template.Library()


@register.simple_tag(takes_context=True)
def cmdb_can_configure(context: dict[str, Any]) -> bool:
    """Define classes, attributes and relation rules; import sheets."""
    user = context["request"].user
    return user.is_authenticated and rules.can_configure(user)


@register.simple_tag(takes_context=True)
def cmdb_can_register(context: dict[str, Any]) -> bool:
    """Register CIs in at least one organisation."""
    user = context["request"].user
    return user.is_authenticated and bool(rules.writable_organisation_ids(user))
