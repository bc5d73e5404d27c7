"""Kernel models: the record base every process record extends, and number sequences."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Record(models.Model):
    """A process record: human-readable number, timestamps and an optimistic-lock version."""

    number = models.CharField(_("number"), max_length=32, unique=True, editable=False)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created at"), editable=False, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), editable=False)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.number


class NumberSequence(models.Model):
    """The last number handed out per prefix and day (``INC20261127`` → 1, 2, …)."""

    key = models.CharField(max_length=32, primary_key=True)
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "core_number_sequence"

    def __str__(self) -> str:
        return f"{self.key}: {self.last_value}"
