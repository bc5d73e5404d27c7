"""Map a DomainError from a service onto the form the user filled in."""

from __future__ import annotations

from django import forms

from opsdesk.core.errors import DomainError


def add_domain_error(form: forms.Form, error: DomainError) -> None:
    """Put each field error next to its field; what no field shows goes to the form's top."""
    placed = False
    for field, messages in error.field_errors.items():
        for message in messages:
            if field in form.fields:
                form.add_error(field, str(message))
                placed = True
    if not placed:
        form.add_error(None, str(error.message))
