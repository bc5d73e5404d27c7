"""Turn the ids an API request names into records, or a 422 naming the field."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Model, QuerySet

from opsdesk.core.validation import unknown_id

M = TypeVar("M", bound=Model)


def resolve(source: type[M] | QuerySet[M], pk: Any, field: str) -> M | None:
    """The record with id ``pk`` (None stays None); an unknown id is a field error on ``field``."""
    if pk is None:
        return None
    queryset = source if isinstance(source, QuerySet) else source._default_manager.all()
    # One row by primary key: no ORDER BY (first() orders by pk, a model's Meta ordering may even join).
    found = next(iter(queryset.filter(pk=pk).order_by()[:1]), None)
    if found is None:
        raise unknown_id(queryset.model, pk, field)
    return found
