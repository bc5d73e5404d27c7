"""Background tasks of the sla app. Each parses nothing and calls one service."""

from __future__ import annotations

from django_tasks import task

from opsdesk.audit import context
from opsdesk.core import clock


@task()
def thresholds_tick() -> int:
    """The periodic pass (every 30 s): re-plan the clocks of calendars edited since, then enqueue a
    ``fire_threshold`` per threshold reached. See ``services.thresholds_enqueue_due`` for how each threshold
    fires exactly once."""
    from .services import clocks_replan_changed_calendars, thresholds_enqueue_due

    with context.bound(source="task"):
        now = clock.now()
        clocks_replan_changed_calendars(now)
        return thresholds_enqueue_due(now)


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
