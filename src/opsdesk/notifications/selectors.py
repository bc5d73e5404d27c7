"""Reads: a user's in-app notifications and email preferences, and the outbox for administrators."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, QuerySet

from opsdesk.accounts.roles import Permission as P

from .models import (
    EmailStatus,
    Notification,
    NotificationKind,
    NotificationPreference,
    OutgoingEmail,
    wants_email_by_default,
)


def notification_list(*, user: Any, unread_only: bool = False) -> QuerySet[Notification]:
    queryset = Notification.objects.filter(recipient_id=user.pk)
    if unread_only:
        queryset = queryset.filter(read_at__isnull=True)
    return queryset.order_by("-id")


def unread_count(*, user: Any) -> int:
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()


@dataclass(frozen=True)
class PreferenceRow:
    kind: str
    label: str
    email: bool


def notification_preferences(*, user: Any) -> list[PreferenceRow]:
    """Every kind with whether ``user`` gets it by email (their choice, else the kind's default)."""
    chosen = dict(NotificationPreference.objects.filter(user_id=user.pk).values_list("kind", "email"))
    return [PreferenceRow(kind=kind, label=str(label), email=chosen.get(kind, wants_email_by_default(kind)))
            for kind, label in NotificationKind.choices]


OUTBOX_PENDING = (EmailStatus.QUEUED, EmailStatus.SENDING, EmailStatus.FAILED)


def outgoing_email_list(*, user: Any, status: str = "") -> QuerySet[OutgoingEmail]:
    """The outbox, newest first, for administrators (empty for anyone else); by default what is not sent yet."""
    if not user.holds(P.ADMINISTER):
        return OutgoingEmail.objects.none()
    statuses = [status] if status in EmailStatus.values else list(OUTBOX_PENDING)
    return (OutgoingEmail.objects.filter(status__in=statuses)
            .select_related("notification", "notification__recipient").order_by("-id"))


def outgoing_email_counts(*, user: Any) -> dict[str, int]:
    if not user.holds(P.ADMINISTER):
        return {}
    return dict(OutgoingEmail.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
