"""The stored clocks of each incident, the threshold firings (the exactly-once guard) and group spans (OLA).

A clock is stored, not recomputed on every page: ``consumed_seconds`` business seconds were counted up to
``running_since`` (set while it runs); ``due_at`` is the wall time the target is reached if it keeps running
(null while paused before it went overdue); ``next_threshold_at`` is the wall time the next threshold is
reached (null while paused, stopped or when every threshold has fired) — the scheduler's one indexed query.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from opsdesk.accounts.models import SupportGroup
from opsdesk.calendars.models import BusinessCalendar
from opsdesk.incidents.models import Incident

from .agreements import ServiceLevelAgreement


class ClockKind(models.TextChoices):
    RESPONSE = "response", pgettext_lazy("sla clock", "Response")
    RESOLUTION = "resolution", pgettext_lazy("sla clock", "Resolution")


class IncidentClock(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="sla_clocks")
    kind = models.CharField(_("clock"), max_length=12, choices=ClockKind.choices)
    agreement = models.ForeignKey(ServiceLevelAgreement, on_delete=models.PROTECT, related_name="clocks")
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.PROTECT, related_name="+")
    target_seconds = models.PositiveIntegerField(_("target (business seconds)"))
    warn_percent = models.PositiveSmallIntegerField(default=100)  # from here the time left shows amber
    started_at = models.DateTimeField(_("started at"))
    consumed_seconds = models.PositiveIntegerField(default=0)
    running_since = models.DateTimeField(null=True, blank=True)
    paused = models.BooleanField(_("paused"), default=False)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    next_threshold_at = models.DateTimeField(null=True, blank=True)
    next_threshold_percent = models.PositiveSmallIntegerField(null=True, blank=True)
    stopped_at = models.DateTimeField(_("stopped at"), null=True, blank=True)
    met = models.BooleanField(_("met"), null=True, blank=True)
    breached_at = models.DateTimeField(_("breached at"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["incident", "kind"]
        verbose_name = _("SLA clock")
        verbose_name_plural = _("SLA clocks")
        constraints = [models.UniqueConstraint(fields=["incident", "kind"], name="sla_clock_unique_kind")]
        indexes = [
            models.Index(fields=["next_threshold_at"], name="sla_clock_next_threshold_idx",
                         condition=Q(next_threshold_at__isnull=False)),
            models.Index(fields=["calendar", "id"], name="sla_clock_running_calendar_idx",
                         condition=Q(running_since__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.incident_id} {self.kind}"

    @property
    def running(self) -> bool:
        return self.running_since is not None


class FiringStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    DONE = "done", _("Done")


class ThresholdFiring(models.Model):
    """One threshold of one clock. The unique (clock, percent) row is what makes it fire exactly once."""

    clock = models.ForeignKey(IncidentClock, on_delete=models.CASCADE, related_name="firings")
    percent = models.PositiveSmallIntegerField()
    reached_at = models.DateTimeField()
    status = models.CharField(max_length=8, choices=FiringStatus.choices, default=FiringStatus.QUEUED)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)  # a worker claimed it (its task started)
    fired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["clock", "percent"]
        constraints = [models.UniqueConstraint(fields=["clock", "percent"], name="sla_firing_unique_threshold")]
        indexes = [models.Index(fields=["enqueued_at"], name="sla_firing_queued_idx",
                                condition=Q(status="queued"))]

    def __str__(self) -> str:
        return f"{self.clock_id} {self.percent} % {self.status}"


class CalendarWatermark(models.Model):
    """The calendar version the open clocks were last planned in: the scheduler re-plans them when it moves."""

    calendar = models.OneToOneField(BusinessCalendar, on_delete=models.CASCADE, primary_key=True, related_name="+")
    stamp = models.UUIDField()
    # A re-plan in progress, in chunks over several ticks: the stamp it plans in and the last clock id done.
    replan_stamp = models.UUIDField(null=True, blank=True)
    replanned_up_to = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.calendar_id} {self.stamp}"


class TickMarker(models.Model):
    """A periodic pass enqueued and not yet started: the scheduler enqueues no second one while it waits."""

    name = models.CharField(max_length=40, primary_key=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} {self.enqueued_at}"


class GroupSpan(models.Model):
    """OLA: one stay of an incident with one group, measured in business seconds against the group's target."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="group_spans")
    group = models.ForeignKey(SupportGroup, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    calendar = models.ForeignKey(BusinessCalendar, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    target_seconds = models.PositiveIntegerField(null=True, blank=True)
    business_seconds = models.PositiveIntegerField(null=True, blank=True)  # set when the span ends
    due_at = models.DateTimeField(null=True, blank=True)
    met = models.BooleanField(null=True, blank=True)

    class Meta:
        ordering = ["incident", "started_at", "id"]
        indexes = [models.Index(fields=["group", "started_at"], name="sla_span_group_idx")]

    def __str__(self) -> str:
        return f"{self.incident_id} @ {self.group_id}"
