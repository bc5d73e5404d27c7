from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from opsdesk.core import clock

from .models import Notification


def notify(*, recipients: Iterable[Any], kind: str, subject: Any, actor: Any | None, text: str = "") -> int:
    """Create one in-app notification per distinct recipient (never the actor themself)."""
    actor_id = getattr(actor, "pk", None)
    ids = {getattr(r, "pk", r) for r in recipients if r is not None} - {actor_id, None}
    now = clock.now()
    rows = [
        Notification(
            recipient_id=rid,
            kind=kind,
            subject_type=subject._meta.model_name,
            subject_id=subject.pk,
            subject_label=str(subject),
            actor_name=str(actor) if actor is not None else "",
            text=text[:2000],
            created_at=now,
        )
        for rid in sorted(ids)
    ]
    Notification.objects.bulk_create(rows)
    return len(rows)


@transaction.atomic
def notifications_mark_read(*, actor: Any, ids: Iterable[int] | None = None) -> int:
    queryset = Notification.objects.filter(recipient=actor, read_at__isnull=True)
    if ids is not None:
        queryset = queryset.filter(id__in=list(ids))
    return queryset.update(read_at=clock.now())
