"""In-app notifications (the bell). Email and chat robots build on these later."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    ASSIGNED = "assigned", _("Assigned to you or your group")
    CHASED = "chased", _("Chased")
    MAJOR_UPDATE = "major_update", _("Major incident update")
    RESOLVED = "resolved", _("Resolved, waiting for your confirmation")
    REOPENED = "reopened", _("Reopened")
    ESCALATED = "escalated", _("Escalated to your group")
    COMMENTED = "commented", _("New comment")


class Notification(models.Model):
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("kind"), max_length=30, choices=NotificationKind.choices)
    subject_type = models.CharField(max_length=40)
    subject_id = models.BigIntegerField()
    subject_label = models.CharField(max_length=80)
    actor_name = models.CharField(max_length=150, blank=True)
    text = models.TextField(blank=True)  # user-written text (a comment, an update), never a translated sentence
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["recipient", "read_at", "id"], name="notification_inbox_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.subject_label} → {self.recipient_id}"
