"""Human-readable record numbers, unique under concurrency.

The counter row is bumped with one ``INSERT … ON CONFLICT DO UPDATE … RETURNING``
statement, which both SQLite (3.35+) and PostgreSQL run atomically: two
writers never see the same value.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection

from . import clock


def next_number(prefix: str, *, at: dt.datetime | None = None) -> str:
    return next_numbers(prefix, 1, at=at)[0]


def next_numbers(prefix: str, count: int, *, at: dt.datetime | None = None) -> list[str]:
    """``count`` consecutive numbers of the day of ``at``, taken with one statement (a batch of creates)."""
    if count < 1:
        return []
    moment = (at or clock.now()).astimezone(ZoneInfo(settings.OPSDESK_NUMBER_TIMEZONE))
    key = f"{prefix}{moment:%Y%m%d}"
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO core_number_sequence (key, last_value) VALUES (%s, %s) "
            "ON CONFLICT (key) DO UPDATE SET last_value = core_number_sequence.last_value + %s "
            "RETURNING last_value",
            [key, count, count],
        )
        (last,) = cursor.fetchone()
    return [f"{key}{value:04d}" for value in range(last - count + 1, last + 1)]
