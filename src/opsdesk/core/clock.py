"""The one clock every service reads; tests move it instead of sleeping."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.utils import timezone

# Per thread (and per asyncio task): two threads freezing the clock at once must not undo each other.
_frozen: ContextVar[dt.datetime | None] = ContextVar("opsdesk_clock_frozen", default=None)


def now() -> dt.datetime:
    frozen = _frozen.get()
    return frozen if frozen is not None else timezone.now()


@contextmanager
def frozen_at(moment: dt.datetime) -> Iterator[None]:
    token = _frozen.set(moment)
    try:
        yield
    finally:
        _frozen.reset(token)
