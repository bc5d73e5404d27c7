"""The one history store: an append-only, hash-chained audit trail."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyQuerySet(models.QuerySet):
    """Refuses the bulk writes that would bypass ``AuditEntry.save``/``delete`` (and the hash chain)."""

    def update(self, **kwargs):  # type: ignore[override]
        raise RuntimeError("audit entries are append-only")

    def delete(self):  # type: ignore[override]
        raise RuntimeError("audit entries are append-only")

    def bulk_update(self, *args, **kwargs):  # type: ignore[override]
        raise RuntimeError("audit entries are append-only")

    def bulk_create(self, *args, **kwargs):  # type: ignore[override]
        raise RuntimeError("audit entries are appended one by one through audit_record()")


class AuditEntry(models.Model):
    """One thing that happened. Never updated, never deleted.

    ``hash`` is SHA-256 over the previous entry's hash and this entry's
    canonical content, so editing or removing any entry breaks the chain
    from that point on (``opsdesk audit verify`` finds it).
    """

    at = models.DateTimeField(_("at"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_name = models.CharField(_("actor"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=60, db_index=True)
    subject_type = models.CharField(max_length=40, blank=True)
    subject_id = models.BigIntegerField(null=True, blank=True)
    subject_label = models.CharField(max_length=80, blank=True)
    organisation_id = models.BigIntegerField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    source = models.CharField(_("source"), max_length=20, blank=True)
    ip = models.CharField(max_length=64, blank=True)
    correlation_id = models.CharField(max_length=40, blank=True)
    prev_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, editable=False, unique=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["subject_type", "subject_id", "id"], name="audit_subject_idx")]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_name} {self.action} {self.subject_label}"

    def save(self, *args, **kwargs) -> None:  # type: ignore[override]
        if self.pk is not None:
            raise RuntimeError("audit entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[override]
        raise RuntimeError("audit entries are append-only")
