"""Notifying people: the in-app notification, the email outbox and its delivery, and each user's choices."""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils.translation import gettext as _

from opsdesk.accounts.roles import Permission as P
from opsdesk.audit import context
from opsdesk.audit.services import audit_record
from opsdesk.core import clock
from opsdesk.core.errors import PermissionDenied, ValidationFailed

from .emails import build_message
from .models import (
    EmailStatus,
    Notification,
    NotificationKind,
    NotificationPreference,
    OutgoingEmail,
    wants_email_by_default,
)

log = logging.getLogger("opsdesk.notifications")

BATCH_SIZE = 50
CLAIM_TIMEOUT = dt.timedelta(minutes=15)  # a "sending" row older than this was left by a worker that died
MAX_BACKOFF = dt.timedelta(hours=1)


def max_attempts() -> int:
    """Transient failures before a message is given up (failed, retryable by an administrator): about a day."""
    return int(getattr(settings, "OPSDESK_EMAIL_MAX_ATTEMPTS", 30))


# Notifying ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Notice:
    """One ``notify`` call's arguments, for ``notify_many``."""

    recipients: Iterable[Any]
    kind: str
    subject: Any
    actor: Any | None
    text: str = ""
    data: dict[str, Any] | None = None


def notify(
    *,
    recipients: Iterable[Any],
    kind: str,
    subject: Any,
    actor: Any | None,
    text: str = "",
    data: dict[str, Any] | None = None,
) -> int:
    """Create one in-app notification per distinct recipient (never the actor themself), and queue email.

    Recipients are users or user ids. Those with an email address who want this kind by email get a row
    in the outbox (one bulk insert), and one task is enqueued after the transaction commits to send them. The demo's
    made-up history (audit source "demo") is not emailed. Returns the number of notifications.
    """
    return notify_many([Notice(recipients=recipients, kind=kind, subject=subject, actor=actor, text=text, data=data)])


def notify_many(notices: Iterable[Notice]) -> int:
    """``notify`` for many subjects at once (a batch of new records): one insert of the notifications, and
    per kind one read of who wants email and one insert into the outbox."""
    now = clock.now()
    rows: list[Notification] = []
    for notice in notices:
        actor_id = getattr(notice.actor, "pk", None)
        ids = {getattr(r, "pk", r) for r in notice.recipients if r is not None} - {actor_id, None}
        subject = notice.subject
        rows.extend(
            Notification(
                recipient_id=rid,
                kind=notice.kind,
                subject_type=subject._meta.model_name,
                subject_id=subject.pk,
                subject_label=str(subject),
                subject_title=str(getattr(subject, "title", ""))[:200],
                actor_name=str(notice.actor) if notice.actor is not None else "",
                text=notice.text[:2000],
                data=notice.data or {},
                created_at=now,
            )
            for rid in sorted(ids)
        )
    if not rows:
        return 0
    Notification.objects.bulk_create(rows)
    if context.current().source != "demo":
        for kind in sorted({row.kind for row in rows}):
            _queue_email([row for row in rows if row.kind == kind], kind=kind, now=now)
    return len(rows)


def _queue_email(rows: list[Notification], *, kind: str, now: dt.datetime) -> None:
    choice = NotificationPreference.objects.filter(user=OuterRef("pk"), kind=kind).values("email")[:1]
    addresses = {
        pk: email
        for pk, email, chosen in get_user_model().objects.filter(pk__in=[r.recipient_id for r in rows], is_active=True)
        .exclude(email="").annotate(chosen=Subquery(choice)).values_list("pk", "email", "chosen")
        if (chosen if chosen is not None else wants_email_by_default(kind))
    }
    emails = [
        OutgoingEmail(notification_id=row.pk, to_address=addresses[row.recipient_id], created_at=now,
                      next_attempt_at=now)
        for row in rows if row.recipient_id in addresses
    ]
    if emails:
        OutgoingEmail.objects.bulk_create(emails)
        _send_after_commit()


def _send_after_commit() -> None:
    """Enqueue the sending task when the transaction commits (a failed enqueue is only logged: the periodic
    task sends what is left)."""
    transaction.on_commit(_enqueue_sending, robust=True)


def _enqueue_sending() -> None:
    from .tasks import send_queued_email  # the task module imports these services

    send_queued_email.enqueue()


# Preferences ----------------------------------------------------------------------------------------


@transaction.atomic
def notification_preferences_set(*, actor: Any, email_kinds: Iterable[str]) -> dict[str, bool]:
    """Store which kinds ``actor`` receives by email (in-app notifications are always on)."""
    wanted = set(email_kinds)
    unknown = wanted - set(NotificationKind.values)
    if unknown:
        raise ValidationFailed(_("Choose from the listed kinds."),
                               field_errors={"email": [_("Choose from the listed kinds.")]})
    stored = dict(NotificationPreference.objects.filter(user=actor).values_list("kind", "email"))
    changes: dict[str, list[bool]] = {}
    for kind in NotificationKind.values:
        before = stored.get(kind, wants_email_by_default(kind))
        after = kind in wanted
        if before != after:
            changes[kind] = [before, after]
        if stored.get(kind) != after:
            NotificationPreference.objects.update_or_create(user=actor, kind=kind, defaults={"email": after})
    if changes:
        audit_record(actor=actor, action="notifications.preferences_changed", subject=actor,
                     data={"changes": changes})
    return {kind: kind in wanted for kind in NotificationKind.values}


# Delivery -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryReport:
    sent: int = 0
    deferred: int = 0
    failed: int = 0


def backoff(attempts: int) -> dt.timedelta:
    """Wait after the n-th failed attempt: 1, 2, 4 … minutes, at most an hour."""
    return min(dt.timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def _claim(limit: int) -> list[OutgoingEmail]:
    """Take up to ``limit`` due messages for this worker: marked "sending" in a short transaction of their own,
    rows another worker holds skipped (PostgreSQL; SQLite's IMMEDIATE transaction serialises the claim)."""
    now = clock.now()
    due = Q(status=EmailStatus.QUEUED, next_attempt_at__lte=now) | Q(status=EmailStatus.SENDING,
                                                                   claimed_at__lte=now - CLAIM_TIMEOUT)
    with transaction.atomic():
        ids = list(OutgoingEmail.objects.select_for_update(skip_locked=True).filter(due)
                   .order_by("next_attempt_at", "id").values_list("id", flat=True)[:limit])
        if not ids:
            return []
        OutgoingEmail.objects.filter(id__in=ids).update(status=EmailStatus.SENDING, claimed_at=now)
    return list(OutgoingEmail.objects.filter(id__in=ids)
                .select_related("notification", "notification__recipient").order_by("id"))


def _is_permanent(error: Exception) -> bool:
    """A refusal the server will repeat (5xx), or an address that cannot be written: retrying cannot help."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _message in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code >= 500
    return isinstance(error, (ValueError, UnicodeError))


def _connection_broke(error: Exception) -> bool:
    """The server went away mid-batch (not a refusal of this one message)."""
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return True
    return isinstance(error, OSError) and not isinstance(error, smtplib.SMTPException)


def _describe(error: Exception) -> str:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{address}: {code} {message.decode(errors='replace') if isinstance(message, bytes) else message}"
                         for address, (code, message) in error.recipients.items())[:1000]
    if isinstance(error, smtplib.SMTPResponseException):
        message = error.smtp_error
        text = message.decode(errors="replace") if isinstance(message, bytes) else str(message)
        return f"{error.smtp_code} {text}"[:1000]
    return f"{type(error).__name__}: {error}"[:1000]


def _mark_sent(email: OutgoingEmail) -> None:
    OutgoingEmail.objects.filter(pk=email.pk, status=EmailStatus.SENDING).update(
        status=EmailStatus.SENT, sent_at=clock.now(), attempts=email.attempts + 1, last_error="", claimed_at=None)


def _mark_failed(email: OutgoingEmail, error: str, *, permanent: bool) -> str:
    attempts = email.attempts + 1
    now = clock.now()
    status = EmailStatus.FAILED if permanent or attempts >= max_attempts() else EmailStatus.QUEUED
    OutgoingEmail.objects.filter(pk=email.pk, status=EmailStatus.SENDING).update(
        status=status, attempts=attempts, last_error=error, claimed_at=None,
        next_attempt_at=now + backoff(attempts))
    log.warning("email %s to %s not sent (attempt %s, %s): %s", email.pk, email.to_address, attempts, status, error)
    return status


def outgoing_email_send_due(*, limit: int = BATCH_SIZE, batches: int = 20) -> DeliveryReport:
    """Send the messages that are due, through the configured email backend, one connection per batch.

    Each message is claimed before it is sent and marked sent after, so two workers never send the same
    one. A refusal (5xx) or an unusable address fails that message alone; a server that cannot be reached
    defers the batch with back-off. Never raises for a delivery problem.
    """
    sent = deferred = failed = 0
    for _batch in range(batches):
        claimed = _claim(limit)
        if not claimed:
            break
        backend = get_connection(fail_silently=False)
        try:
            backend.open()
        except Exception as error:  # the server is down or refuses us: every message waits
            for email in claimed:
                _mark_failed(email, _describe(error), permanent=False)
            deferred += len(claimed)
            break
        try:
            for index, email in enumerate(claimed):
                try:
                    message = build_message(email, connection=backend)
                    backend.send_messages([message])
                except Exception as error:
                    permanent = _is_permanent(error)
                    status = _mark_failed(email, _describe(error), permanent=permanent)
                    failed += status == EmailStatus.FAILED
                    deferred += status == EmailStatus.QUEUED
                    if _connection_broke(error):
                        # The connection broke: the rest of the batch waits for the next attempt.
                        for rest in claimed[index + 1:]:
                            _mark_failed(rest, _describe(error), permanent=False)
                        deferred += len(claimed) - index - 1
                        return DeliveryReport(sent=sent, deferred=deferred, failed=failed)
                else:
                    _mark_sent(email)
                    sent += 1
        finally:
            try:
                backend.close()
            except Exception:  # closing a broken connection: nothing left to lose
                log.debug("closing the email connection failed", exc_info=True)
        if len(claimed) < limit:
            break
    return DeliveryReport(sent=sent, deferred=deferred, failed=failed)


@transaction.atomic
def outgoing_email_retry(*, actor: Any, ids: Iterable[int] | None = None) -> int:
    """Queue failed (or waiting) messages to be sent at once. Administrators only."""
    if not actor.holds(P.ADMINISTER):
        raise PermissionDenied(_("Only an administrator may retry email."))
    queryset = OutgoingEmail.objects.filter(status__in=[EmailStatus.FAILED, EmailStatus.QUEUED])
    if ids is not None:
        queryset = queryset.filter(id__in=list(ids))
    chosen = list(queryset.values_list("id", flat=True))
    count = OutgoingEmail.objects.filter(id__in=chosen).update(
        status=EmailStatus.QUEUED, next_attempt_at=clock.now(), attempts=0)
    if count:
        _send_after_commit()
        audit_record(actor=actor, action="notifications.email_retried", subject_type="outgoingemail",
                     data={"ids": chosen})
    return count


@transaction.atomic
def notifications_mark_read(*, actor: Any, ids: Iterable[int] | None = None) -> int:
    queryset = Notification.objects.filter(recipient=actor, read_at__isnull=True)
    if ids is not None:
        queryset = queryset.filter(id__in=list(ids))
    return queryset.update(read_at=clock.now())
