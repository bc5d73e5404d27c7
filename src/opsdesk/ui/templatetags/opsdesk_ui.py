"""Template helpers shared by every page: badges, names, Bootstrap form widgets."""

from __future__ import annotations

from typing import Any

from django import forms, template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from opsdesk.incidents.choices import IncidentState, Priority
from opsdesk.ui.naming import localized_name

register = template.Library()

STATE_STYLE = {
    "new": ("text-bg-info", "bi-inbox"),
    "assigned": ("text-bg-primary", "bi-person-check"),
    "in_progress": ("text-bg-primary bg-opacity-75", "bi-gear"),
    "pending": ("text-bg-warning", "bi-pause-circle"),
    "resolved": ("text-bg-success", "bi-check2-circle"),
    "closed": ("text-bg-secondary", "bi-lock"),
    "cancelled": ("text-bg-light border", "bi-x-circle"),
}
PRIORITY_STYLE = {1: "text-bg-danger", 2: "text-bg-warning", 3: "text-bg-info", 4: "text-bg-light border"}


@register.filter
def state_badge(state: str) -> SafeString:
    css, icon = STATE_STYLE.get(state, ("text-bg-secondary", "bi-circle"))
    label = IncidentState(state).label if state in IncidentState.values else state
    return format_html('<span class="badge rounded-pill {} state-badge"><i class="bi {} me-1"></i>{}</span>',
                       css, icon, label)


@register.filter
def priority_badge(priority: int | None) -> SafeString:
    if priority is None:
        return format_html("{}", "—")
    label = Priority(priority).label if priority in Priority.values else str(priority)
    return format_html('<span class="badge {} priority-badge">{}</span>', PRIORITY_STYLE.get(priority, ""), label)


@register.filter
def name(obj: Any) -> str:
    return localized_name(obj)


@register.filter
def stars(rating: int | None) -> SafeString:
    if not rating:
        return format_html("{}", "—")
    full = "".join('<i class="bi bi-star-fill"></i>' for _ in range(int(rating)))
    empty = "".join('<i class="bi bi-star"></i>' for _ in range(5 - int(rating)))
    return format_html('<span class="text-warning" title="{}/5">{}{}</span>', rating,
                       SafeString(full), SafeString(empty))


@register.filter
def filesize(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / 1048576:.1f} MB"


def _widget_class(field: forms.BoundField) -> str:
    widget = field.field.widget
    if isinstance(widget, (forms.CheckboxInput, forms.RadioSelect, forms.CheckboxSelectMultiple)):
        css = "form-check-input"
    elif isinstance(widget, (forms.Select, forms.SelectMultiple)):
        css = "form-select"
    else:
        css = "form-control"
    if field.errors:
        css += " is-invalid"
    return css


@register.simple_tag
def widget(field: forms.BoundField, **attrs: Any) -> SafeString:
    """Render a bound field's widget with Bootstrap classes (and ``is-invalid`` when it has errors)."""
    extra = {key.replace("_", "-"): value for key, value in attrs.items()}
    css = " ".join(filter(None, [_widget_class(field), field.field.widget.attrs.get("class", ""), extra.pop("class", "")]))
    if field.errors:
        extra["aria-describedby"] = f"{field.auto_id}_errors"
    return field.as_widget(attrs={"class": css, **extra})


@register.filter
def is_checkbox(field: forms.BoundField) -> bool:
    return isinstance(field.field.widget, forms.CheckboxInput)


@register.filter
def is_radio(field: forms.BoundField) -> bool:
    return isinstance(field.field.widget, forms.RadioSelect)
