"""Background tasks of the sla app. Each parses nothing and calls one service."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from opsdesk.audit import context
from opsdesk.core import clock


@task()
def thresholds_pass() -> int:
    """The periodic pass (every 30 s, see ``thresholds_tick``): re-plan the clocks of calendars edited since,
    then enqueue a ``fire_threshold`` per threshold reached. See ``services.thresholds_enqueue_due`` for how
    each threshold fires exactly once."""
    from .services import clocks_replan_changed_calendars, thresholds_enqueue_due, tick_mark_started

    with context.bound(source="task"):
        tick_mark_started()
        now = clock.now()
        clocks_replan_changed_calendars(now)
        return thresholds_enqueue_due(now)


class _OneWaitingPass:
    """What ``opsdesk scheduler`` enqueues every 30 s (``opsdesk.sla.tasks.thresholds_tick``): the
    ``thresholds_pass`` task, unless one is still waiting in the queue (``services.tick_mark_enqueued``)."""

    def enqueue(self) -> Any:
        from .services import tick_mark_enqueued, tick_mark_started

        if not tick_mark_enqueued():
            return None
        try:
            return thresholds_pass.enqueue()
        except Exception:
            tick_mark_started()  # not enqueued after all: the next tick may try again
            raise


thresholds_tick = _OneWaitingPass()


@task()
def fire_threshold(firing_id: int) -> bool:
    """Act on one reached threshold (idempotent: a firing already done is left alone)."""
    from .services import firings_claim, threshold_fire

    with context.bound(source="task"):
        firings_claim([firing_id])
        return threshold_fire(firing_id=firing_id)


@task()
def fire_thresholds(firing_ids: list[int]) -> int:
    """Act on a chunk of reached thresholds, each in its own transaction (``threshold_fire``); returns how
    many acted. A worker killed mid-chunk leaves the rest queued for the scheduler to hand out again."""
    from .services import firings_claim, threshold_fire

    with context.bound(source="task"):
        firings_claim(firing_ids)
        return sum(bool(threshold_fire(firing_id=firing_id)) for firing_id in firing_ids)
