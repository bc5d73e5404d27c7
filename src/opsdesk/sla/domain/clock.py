"""When a clock runs, pauses or stops, decided from the record's state alone; and a clock's history replayed.

Rules (documented for users in the SLA admin page too):

* The response clock runs from creation until the record is first taken (state ``in_progress``, the
  ``accept`` transition) or resolved, whichever comes first; then it stops for good (a reopen does not
  restart it). A cancelled record stops it with no verdict (``met`` stays None).
* The resolution clock runs while the record is open, pauses while it is ``pending`` for a reason the
  agreement names (customer, vendor), stops at resolve (and close, cancel) and, when the record is
  reopened (rejected or reopened), continues from the business seconds it had counted: the time it spent
  resolved is not counted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

RUNNING, PAUSED, STOPPED = "running", "paused", "stopped"
RESPONDED_STATES = frozenset({"in_progress", "pending", "resolved", "closed"})
RESOLVED_STATES = frozenset({"resolved", "closed"})
ENDED_STATES = frozenset({"resolved", "closed", "cancelled"})


def status_for(kind: str, state: str, pending_reason: str, pause_reasons: Iterable[str], *,
               responded: bool = False) -> str:
    """The status the ``kind`` clock has while the record is in ``state`` (``responded``: the response clock
    already stopped once)."""
    if kind == "response":
        if responded or state in RESPONDED_STATES or state == "cancelled":
            return STOPPED
        return RUNNING
    if state in ENDED_STATES:
        return STOPPED
    if state == "pending" and pending_reason in set(pause_reasons):
        return PAUSED
    return RUNNING


@dataclass(frozen=True)
class StateChange:
    at: dt.datetime
    state: str
    pending_reason: str = ""


@dataclass(frozen=True)
class Segment:
    """A stretch of a clock's life: ``status`` running, paused or stopped; ``reason`` the state behind it."""

    start: dt.datetime
    end: dt.datetime | None
    status: str
    state: str
    pending_reason: str = ""


def segments(kind: str, changes: list[StateChange], pause_reasons: Iterable[str], *, until: dt.datetime) -> list[Segment]:
    """The clock's stretches from the first change (the creation) up to ``until``, merged where the status
    (and, while paused, the pending reason) stays the same; ``state`` is the state the stretch began in. The last one ends at ``until`` unless the clock has stopped (end None)."""
    pause_reasons = frozenset(pause_reasons)
    out: list[Segment] = []
    responded = False
    for index, change in enumerate(changes):
        if change.at >= until and index:
            break
        status = status_for(kind, change.state, change.pending_reason, pause_reasons, responded=responded)
        if kind == "response" and status == STOPPED:
            responded = True
        following = changes[index + 1].at if index + 1 < len(changes) else until
        end = min(following, until)
        last = out[-1] if out else None
        if last is not None and last.status == status and (status != PAUSED or last.pending_reason == change.pending_reason):
            out[-1] = Segment(last.start, end, status, last.state, last.pending_reason)
        else:
            out.append(Segment(change.at, end, status, change.state, change.pending_reason))
    return out


def percent_seconds(target_seconds: int, percent: int) -> int:
    """Business seconds at which ``percent`` of the target is reached (rounded up to the whole second)."""
    return -(-target_seconds * percent // 100)
