"""Keyset (cursor) pagination over ``-id``: stable under inserts, constant cost at any depth, no COUNT(*).

A cursor is an opaque token naming the last id of the previous page; the next
page is ``id < that id`` ordered by ``-id``. Every list of the API and the UI
pages this way.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from .errors import ValidationFailed

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"id": last_id}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return int(json.loads(base64.urlsafe_b64decode(padded.encode()))["id"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise ValidationFailed(_("The cursor is not valid."), field_errors={"cursor": [_("Not a cursor from this list.")]})


def clamp_limit(limit: int | None) -> int:
    """The page size asked for, within 1…MAX_LIMIT (DEFAULT_LIMIT when not given)."""
    if limit is None:
        return DEFAULT_LIMIT
    return max(1, min(int(limit), MAX_LIMIT))


def paginate(queryset: QuerySet[Any], *, cursor: str | None, limit: int) -> tuple[list[Any], str | None]:
    """One page of ``queryset`` after ``cursor``, newest first, and the cursor of the next page (or None)."""
    if cursor:
        queryset = queryset.filter(id__lt=decode_cursor(cursor))
    rows = list(queryset.order_by("-id")[: limit + 1])
    next_cursor = encode_cursor(rows[limit - 1].id) if len(rows) > limit else None
    return rows[:limit], next_cursor
