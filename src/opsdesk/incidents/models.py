"""The incident record and what hangs off it: work logs, comments, attachments, watchers."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from opsdesk.accounts.models import Organisation, SupportGroup
from opsdesk.catalog.models import Category, Service
from opsdesk.core.models import Record

from .choices import CauseCode, Channel, Impact, IncidentState, PendingReason, Priority, Urgency

User = settings.AUTH_USER_MODEL


class Incident(Record):
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"))
    state = models.CharField(_("state"), max_length=20, choices=IncidentState.choices, default=IncidentState.NEW)
    # Foreign keys that lead a composite index below carry no index of their own (db_index=False).
    service = models.ForeignKey(
        Service, verbose_name=_("service"), on_delete=models.PROTECT, related_name="incidents", db_index=False
    )
    category = models.ForeignKey(
        Category, verbose_name=_("category"), null=True, blank=True, on_delete=models.PROTECT, related_name="incidents"
    )
    impact = models.PositiveSmallIntegerField(_("impact"), choices=Impact.choices, default=Impact.LOW)
    urgency = models.PositiveSmallIntegerField(_("urgency"), choices=Urgency.choices, default=Urgency.MEDIUM)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, default=Priority.LOW)
    priority_overridden = models.BooleanField(_("priority overridden"), default=False)
    priority_reason = models.CharField(_("reason for the priority"), max_length=300, blank=True)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, default=Channel.PORTAL)

    requester = models.ForeignKey(
        User, verbose_name=_("requester"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    contact_name = models.CharField(_("contact name"), max_length=120, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    occurred_at = models.DateTimeField(_("occurred at"), null=True, blank=True)
    created_by = models.ForeignKey(User, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+")

    assigned_group = models.ForeignKey(
        SupportGroup, verbose_name=_("group"), null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        db_index=False,
    )
    assignee = models.ForeignKey(
        User, verbose_name=_("assignee"), null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        db_index=False,
    )
    escalation_path = models.JSONField(default=list, blank=True, editable=False)
    pending_reason = models.CharField(_("pending on"), max_length=20, choices=PendingReason.choices, blank=True)
    vendor = models.CharField(_("vendor"), max_length=120, blank=True)

    resolution = models.TextField(_("resolution"), blank=True)
    cause_code = models.CharField(_("cause code"), max_length=20, choices=CauseCode.choices, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        User, verbose_name=_("resolved by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    satisfaction = models.PositiveSmallIntegerField(_("satisfaction"), null=True, blank=True)
    satisfaction_comment = models.TextField(_("satisfaction comment"), blank=True)
    auto_confirmed = models.BooleanField(_("confirmed automatically"), default=False)
    callback_rating = models.PositiveSmallIntegerField(_("call-back rating"), null=True, blank=True)
    callback_comment = models.TextField(_("call-back comment"), blank=True)

    chase_count = models.PositiveIntegerField(_("chases"), default=0)
    reopen_count = models.PositiveIntegerField(_("reopened"), default=0)
    is_major = models.BooleanField(_("major incident"), default=False)
    major_owner = models.ForeignKey(
        User, verbose_name=_("major incident owner"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    parent = models.ForeignKey(
        "self", verbose_name=_("major incident"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    watchers = models.ManyToManyField(User, through="IncidentWatcher", related_name="watched_incidents", blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        indexes = [
            models.Index(fields=["state", "priority", "id"], name="inc_state_priority_idx"),
            models.Index(fields=["assigned_group", "state", "id"], name="inc_group_state_idx"),
            models.Index(fields=["assignee", "state", "id"], name="inc_assignee_state_idx"),
            models.Index(fields=["organisation", "id"], name="inc_org_idx"),
            models.Index(fields=["requester", "id"], name="inc_requester_idx"),
            models.Index(fields=["service", "state", "id"], name="inc_service_state_idx"),
            models.Index(fields=["state", "resolved_at"], name="inc_state_resolved_idx"),
            # Queues and lists page newest first by id: queue=mine, group=…, queue=unassigned.
            models.Index(fields=["assignee", "id"], name="inc_assignee_idx"),
            models.Index(fields=["assigned_group", "id"], name="inc_group_idx"),
            models.Index(fields=["assigned_group", "id"], name="inc_group_unassigned_idx",
                         condition=models.Q(assignee__isnull=True)),
        ]

    @property
    def is_open(self) -> bool:
        return self.state in {IncidentState.NEW, IncidentState.ASSIGNED, IncidentState.IN_PROGRESS, IncidentState.PENDING}


class IncidentWatcher(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="watcher_links")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["incident", "user"], name="unique_incident_watcher")]

    def __str__(self) -> str:
        return f"{self.incident_id} · {self.user}"


class WorkLog(models.Model):
    """What a handler did, with the time spent (工时)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="worklogs")
    author = models.ForeignKey(User, verbose_name=_("author"), on_delete=models.PROTECT, related_name="+")
    minutes = models.PositiveIntegerField(_("time spent (minutes)"))
    note = models.TextField(_("what was done"))
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["id"]
        verbose_name = _("work log")

    def __str__(self) -> str:
        return f"{self.author} · {self.minutes}"


class Comment(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(User, verbose_name=_("author"), on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("comment"))
    is_internal = models.BooleanField(_("internal"), default=False)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["id"]
        verbose_name = _("comment")

    def __str__(self) -> str:
        return self.body[:60]


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"incidents/{instance.incident_id}/{filename}"


class Attachment(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=300)
    name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveBigIntegerField(_("size"))
    content_type = models.CharField(max_length=120, blank=True)
    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["id"]
        verbose_name = _("attachment")

    def __str__(self) -> str:
        return self.name


class PriorityRule(models.Model):
    """One cell of the configurable impact × urgency → priority matrix."""

    impact = models.PositiveSmallIntegerField(_("impact"), choices=Impact.choices)
    urgency = models.PositiveSmallIntegerField(_("urgency"), choices=Urgency.choices)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["impact", "urgency"], name="unique_priority_cell")]
        verbose_name = _("priority matrix cell")

    def __str__(self) -> str:
        return f"{self.impact} × {self.urgency} → P{self.priority}"
