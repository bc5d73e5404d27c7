"""What every service uses to refuse bad input field by field, and stale writes."""

from __future__ import annotations

from typing import Any, Protocol

from django.utils.translation import gettext as _

from .errors import StaleVersion, ValidationFailed

Errors = dict[str, list[str]]


class Versioned(Protocol):
    version: int


def add_error(errors: Errors, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def raise_if_any(errors: Errors) -> None:
    if errors:
        raise ValidationFailed(_("Some fields need your attention."), field_errors=errors)


def field_error(field: str, message: str) -> ValidationFailed:
    """One field's error, to raise."""
    return ValidationFailed(message, field_errors={field: [message]})


def unknown_id(model: Any, pk: Any, field: str) -> ValidationFailed:
    """The error for an id that names no record of ``model``, on ``field``."""
    return field_error(field, _("There is no %(thing)s with id %(id)s.")
                       % {"thing": model._meta.verbose_name, "id": pk})


def clean_text(errors: Errors, field: str, value: Any, *, max_length: int, required: bool = True) -> str:
    """The text stripped; a missing or too long one is recorded in ``errors``."""
    text = str(value or "").strip()
    if required and not text:
        add_error(errors, field, _("This field is required."))
    elif len(text) > max_length:
        add_error(errors, field, _("At most %(count)d characters.") % {"count": max_length})
    return text


def check_version(locked: Versioned, version: Any, *, label: str) -> None:
    """Refuse a write made against an older version of the locked record (``None``: no check asked).

    ``label`` names the record in the message (its number, its name)."""
    if version is None:
        return
    try:
        yours = int(version)
    except (TypeError, ValueError):
        raise field_error("version", _("The version must be a whole number."))
    if yours != locked.version:
        raise StaleVersion(
            _("%(name)s was changed by someone else (now version %(current)d, you had %(yours)d). "
              "Reload it and apply your change again.")
            % {"name": label, "current": locked.version, "yours": yours}
        )
