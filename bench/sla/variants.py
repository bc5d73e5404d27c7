"""What-if passes to time next to the product's (``bench.py --pass variants.batched_pass``). Not product code.

``batched_pass`` is the pass of ``opsdesk.sla.services.thresholds_enqueue_due`` as it was at sla fad1292
(same models, same queries for the due clocks, same exactly-once rules: unique (clock, percent) rows,
``enqueued_at`` stamped under the row lock) with the four changes below, measured here first; sla 61203eb
took all four into the product, so today it times about the same as the product's pass and serves as the
starting point for the next what-if (see README.md: larger chunks, a one-statement lease step):

1. the agreement's thresholds read once per agreement (the real pass calls ``_percents`` for every clock:
   ``dict.setdefault(key, _percents(...))`` evaluates its default each time);
2. the fired percents of the whole batch read with one query, instead of two queries per clock
   (``c.firings.values_list`` in the pass and again in ``_plan``);
3. the clocks' new plans written with one ``UPDATE … FROM unnest(…)`` instead of ``bulk_update`` (whose
   CASE WHEN per row and field took most of the remaining time: 11,000 expressions per 1,000 clocks);
4. one task per ``ENQUEUE_CHUNK`` firings instead of one per firing: with django-tasks-rq every enqueue
   opens new Redis connections (django_rq builds a client from the URL on each ``get_queue``), ~9 ms each;
   with the database backend every enqueue is its own INSERT and commit. The task would fire each id of
   its chunk in its own transaction (``threshold_fire`` unchanged), so a killed worker loses only the
   firing in hand and the rest of its chunk is re-enqueued after the lease like today.

The chunked task is represented here by ``fire_thresholds`` below, enqueued but never run.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db import connection, transaction
from django.db.models import Q
from django_tasks import task

from opsdesk.calendars import businesstime
from opsdesk.core import clock
from opsdesk.sla import services as sla
from opsdesk.sla.domain.clock import percent_seconds
from opsdesk.sla.models import FiringStatus, IncidentClock, ThresholdFiring

ENQUEUE_CHUNK = 50


@task()
def fire_thresholds(firing_ids: list[int]) -> int:  # stands for the product's chunked task; never run here
    return sum(bool(sla.threshold_fire(firing_id=firing_id)) for firing_id in firing_ids)


def _plan(c: IncidentClock, now: dt.datetime, percents: list[int], fired: set[int]) -> None:
    """``services._plan`` with the fired percents given instead of read per clock."""
    remaining = c.target_seconds - c.consumed_seconds
    if c.running_since is None:
        c.next_threshold_at = c.next_threshold_percent = None
        if c.stopped_at is None and remaining > 0:
            c.due_at = None
        return
    spec = businesstime_spec(c)
    if remaining > 0:
        c.due_at = businesstime.add_business_seconds(spec, c.running_since, remaining)
    elif c.due_at is None:
        c.due_at = c.breached_at or c.running_since
    pending = [p for p in percents if p not in fired]
    if not pending:
        c.next_threshold_at = c.next_threshold_percent = None
        return
    percent = pending[0]
    needed = percent_seconds(c.target_seconds, percent) - c.consumed_seconds
    c.next_threshold_percent = percent
    c.next_threshold_at = (businesstime.add_business_seconds(spec, c.running_since, needed) if needed > 0
                           else c.running_since)


def businesstime_spec(c: IncidentClock):
    spec_of = getattr(sla, "spec_of", None)
    if spec_of is not None:
        return spec_of(c)
    from opsdesk.calendars.selectors import calendar_spec

    return calendar_spec(c.calendar_id)


def _save_plans(due: list[IncidentClock]) -> None:
    """The clocks' new next threshold and due time in one UPDATE … FROM unnest(arrays) on PostgreSQL
    (Django's ``bulk_update`` builds a CASE WHEN per row and field: most of the pass's time at 1,000 rows)."""
    if connection.vendor != "postgresql":
        IncidentClock.objects.bulk_update(due, ["next_threshold_at", "next_threshold_percent", "due_at"])
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {IncidentClock._meta.db_table} AS c SET next_threshold_at = v.next_at, "
            "next_threshold_percent = v.next_percent, due_at = v.due_at "
            "FROM unnest(%s::bigint[], %s::timestamptz[], %s::smallint[], %s::timestamptz[]) "
            "AS v(id, next_at, next_percent, due_at) WHERE c.id = v.id",
            [[c.pk for c in due], [c.next_threshold_at for c in due], [c.next_threshold_percent for c in due],
             [c.due_at for c in due]],
        )


def batched_pass(now: dt.datetime | None = None) -> int:
    now = now or clock.now()
    percents_by_agreement: dict[int, list[int]] = {}
    while True:
        with transaction.atomic():
            due = list(IncidentClock.objects.select_for_update(skip_locked=True, of=("self",))
                       .select_related("calendar").filter(next_threshold_at__lte=now)
                       .order_by("next_threshold_at")[:sla.PASS_BATCH])
            fired_by_clock: dict[int, set[int]] = defaultdict(set)
            for clock_id, percent in ThresholdFiring.objects.filter(clock__in=due).values_list("clock_id", "percent"):
                fired_by_clock[clock_id].add(percent)
            firings: list[ThresholdFiring] = []
            for c in due:
                if c.agreement_id not in percents_by_agreement:
                    percents_by_agreement[c.agreement_id] = sla._percents(c.agreement_id)
                fired = fired_by_clock[c.pk]
                spec = businesstime_spec(c)
                for percent in percents_by_agreement[c.agreement_id]:
                    if percent in fired:
                        continue
                    needed = percent_seconds(c.target_seconds, percent) - c.consumed_seconds
                    reached = (businesstime.add_business_seconds(spec, c.running_since, needed)
                               if needed > 0 and c.running_since is not None else c.running_since or now)
                    if reached > now:
                        break
                    firings.append(ThresholdFiring(clock=c, percent=percent, reached_at=reached))
                    fired.add(percent)
            ThresholdFiring.objects.bulk_create(firings, ignore_conflicts=True)
            for c in due:
                _plan(c, now, percents_by_agreement[c.agreement_id], fired_by_clock[c.pk])
            _save_plans(due)
        if len(due) < sla.PASS_BATCH:
            break
    with transaction.atomic():
        cutoff = now - sla.firing_lease()
        ids = list(ThresholdFiring.objects.select_for_update(skip_locked=True).filter(status=FiringStatus.QUEUED)
                   .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=cutoff)).values_list("id", flat=True))
        if ids:
            ThresholdFiring.objects.filter(id__in=ids).update(enqueued_at=now)
            chunks = [ids[i:i + ENQUEUE_CHUNK] for i in range(0, len(ids), ENQUEUE_CHUNK)]
            transaction.on_commit(lambda: [fire_thresholds.enqueue(chunk) for chunk in chunks])
    return len(ids)
