"""The one clock every service reads; tests move it instead of sleeping."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.utils import timezone

# Per thread (and per asyncio task): two threads freezing the clock at once must not undo each other.
_frozen: ContextVar[dt.datetime | None] = ContextVar("opsdesk_clock_frozen", default=None)
# Tests only: one moment for every thread of the process (a browser test's live server runs in another
# thread). A per-thread ``frozen_at`` still wins inside its block.
_process_wide: dt.datetime | None = None


def now() -> dt.datetime:
    frozen = _frozen.get()
    if frozen is not None:
        return frozen
    return _process_wide if _process_wide is not None else timezone.now()


def set_process_wide(moment: dt.datetime | None) -> None:
    """Tests only: make ``now()`` answer ``moment`` in every thread (None: the real time again)."""
    global _process_wide
    _process_wide = moment


@contextmanager
def frozen_at(moment: dt.datetime) -> Iterator[None]:
    token = _frozen.set(moment)
    try:
        yield
    finally:
        _frozen.reset(token)
