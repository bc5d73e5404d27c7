"""Template tags of the calendars app: the administrators' warnings, the look of a calendar day."""

from __future__ import annotations

from typing import Any

from django import template

from opsdesk.calendars import selectors

register = template.Library()


@register.simple_tag
def calendar_warnings_for(user: Any) -> list[selectors.CalendarWarning]:
    """Calendars that soon reach a year without holiday data (administrators only; empty for others)."""
    return selectors.calendar_warnings(user)


DAY_CLASSES = {
    "weekday": "",
    "weekend": "bg-body-secondary",
    "holiday": "bg-danger-subtle",
    "workday": "bg-warning-subtle",
    "no_holiday_data": "bg-warning-subtle border-warning",
    "always_open": "bg-info-subtle",
}


@register.filter
def day_class(kind: str) -> str:
    return DAY_CLASSES.get(kind, "")
