"""In-app notifications (the bell), each user's email preferences, and the outbox of email to send."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    ASSIGNED = "assigned", _("Assigned to you or your group")
    CHASED = "chased", _("Chased")
    MAJOR_UPDATE = "major_update", _("Major incident update")
    RESOLVED = "resolved", _("Resolved, waiting for your confirmation")
    REOPENED = "reopened", _("Reopened")
    ESCALATED = "escalated", _("Escalated to your group")
    COMMENTED = "commented", _("New comment")
    SLA_THRESHOLD = "sla_threshold", _("Service level target approaching")
    SLA_BREACHED = "sla_breached", _("Service level target breached")


# Kinds emailed unless the user turned them off: everything but comments, which the bell is enough for.
EMAIL_BY_DEFAULT: frozenset[str] = frozenset(NotificationKind.values) - {NotificationKind.COMMENTED}


def wants_email_by_default(kind: str) -> bool:
    return kind in EMAIL_BY_DEFAULT


class Notification(models.Model):
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("kind"), max_length=30, choices=NotificationKind.choices)
    subject_type = models.CharField(max_length=40)
    subject_id = models.BigIntegerField()
    subject_label = models.CharField(max_length=80)
    subject_title = models.CharField(max_length=200, blank=True)  # the record's title when notified
    actor_name = models.CharField(max_length=150, blank=True)
    text = models.TextField(blank=True)  # user-written text (a comment, an update), never a translated sentence
    # Facts for a message rendered in the reader's language, e.g. {"percent": 80, "clock": "resolution"}.
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["recipient", "read_at", "id"], name="notification_inbox_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.subject_label} → {self.recipient_id}"

    @property
    def detail(self) -> str:
        """What ``data`` says, as a sentence in the active language (empty for kinds without data)."""
        data = self.data or {}
        response = data.get("clock") == "response"
        if self.kind == NotificationKind.SLA_THRESHOLD and data.get("percent") is not None:
            values = {"percent": data["percent"]}
            if response:
                return gettext("%(percent)s%% of the response time has passed.") % values
            return gettext("%(percent)s%% of the resolution time has passed.") % values
        if self.kind == NotificationKind.SLA_BREACHED:
            return gettext("The response target was breached.") if response else gettext(
                "The resolution target was breached.")
        return ""


class NotificationPreference(models.Model):
    """A user's choice for one kind; without a row the kind's default applies (see ``preferences``)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="notification_preferences")
    kind = models.CharField(_("kind"), max_length=30, choices=NotificationKind.choices)
    email = models.BooleanField(_("email"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="notification_preference_once")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} email={self.email}"


class EmailStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class OutgoingEmail(models.Model):
    """One email for one notification: queued by notify(), sent (and retried with back-off) by a task."""

    notification = models.OneToOneField(Notification, on_delete=models.CASCADE, related_name="email")
    to_address = models.CharField(_("to"), max_length=254)
    status = models.CharField(_("status"), max_length=10, choices=EmailStatus.choices, default=EmailStatus.QUEUED)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("queued at"))
    next_attempt_at = models.DateTimeField(_("next attempt"))
    claimed_at = models.DateTimeField(null=True, blank=True)  # when a worker took it to send
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outgoing_email_due_idx")]

    def __str__(self) -> str:
        return f"{self.to_address} {self.status} (notification {self.notification_id})"
