"""Writing and verifying the audit trail."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction

from opsdesk.core import clock

from . import context
from .models import AuditEntry

GENESIS = "0" * 64
_CHAIN_LOCK_KEY = 0x0D5DE5C  # PostgreSQL advisory lock that serialises chain appends


def _canonical(entry: AuditEntry) -> str:
    payload = {
        # In UTC: the database hands back UTC whatever zone the entry was written in.
        "at": entry.at.astimezone(dt.UTC).isoformat(),
        "actor_id": entry.actor_id,
        "actor_name": entry.actor_name,
        "action": entry.action,
        "subject_type": entry.subject_type,
        "subject_id": entry.subject_id,
        "subject_label": entry.subject_label,
        "organisation_id": entry.organisation_id,
        "data": entry.data,
        "source": entry.source,
        "ip": entry.ip,
        "correlation_id": entry.correlation_id,
    }
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), cls=DjangoJSONEncoder)


def entry_hash(prev_hash: str, entry: AuditEntry) -> str:
    return hashlib.sha256((prev_hash + _canonical(entry)).encode()).hexdigest()


def audit_record(
    *,
    actor: Any | None,
    action: str,
    subject: Any | None = None,
    subject_type: str = "",
    data: dict[str, Any] | None = None,
    organisation_id: int | None = None,
) -> AuditEntry:
    """Append one entry to the chain, inside the caller's transaction.

    Call it last in a service so the chain lock is held only until commit.
    """
    ctx = context.current()
    if subject is not None:
        subject_type = subject_type or subject._meta.model_name
        organisation_id = organisation_id if organisation_id is not None else getattr(subject, "organisation_id", None)
    # Round-trip through JSON so what is hashed is exactly what is stored and read back.
    stored_data = json.loads(json.dumps(data or {}, cls=DjangoJSONEncoder))
    entry = AuditEntry(
        at=clock.now(),
        actor=actor if getattr(actor, "pk", None) else None,
        actor_name=getattr(actor, "username", "") or ("system" if actor is None else str(actor)),
        action=action,
        subject_type=subject_type,
        subject_id=getattr(subject, "pk", None),
        subject_label=str(subject)[:80] if subject is not None else "",
        organisation_id=organisation_id,
        data=stored_data,
        source=ctx.source,
        ip=ctx.ip,
        correlation_id=ctx.correlation_id,
    )
    # No savepoint: inside the caller's transaction a failed append must fail the whole write anyway, and
    # SAVEPOINT/RELEASE were two more round trips on every audited write; alone, this is its own transaction.
    with transaction.atomic(savepoint=False):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
        last = AuditEntry.objects.order_by("-id").values_list("hash", flat=True).first()
        entry.prev_hash = last or GENESIS
        entry.hash = entry_hash(entry.prev_hash, entry)
        entry.save()
    return entry


def audit_record_many(*, actor: Any | None, entries: list[dict[str, Any]]) -> int:
    """Append many entries at once (a bulk import's history), inside the caller's transaction.

    Each item of ``entries`` takes ``audit_record``'s keywords (``action``, ``subject``, ``subject_type``,
    ``data``, ``organisation_id``), and may name its own ``actor`` and ``context`` (a batch of creates made
    for several requests: each entry keeps who asked and from where). The chain lock is taken and the
    last hash read once; each entry is hashed on the previous one and saved in order, exactly as
    ``audit_record`` would, without a lock and read per entry. Returns how many were written.
    """
    if not entries:
        return 0
    default_context = context.current()
    at = clock.now()
    with transaction.atomic(savepoint=False):  # no savepoint, as in audit_record
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
        previous = AuditEntry.objects.order_by("-id").values_list("hash", flat=True).first() or GENESIS
        batch: list[AuditEntry] = []
        for item in entries:
            subject = item.get("subject")
            subject_type = item.get("subject_type", "")
            organisation_id = item.get("organisation_id")
            if subject is not None:
                subject_type = subject_type or subject._meta.model_name
                organisation_id = organisation_id if organisation_id is not None else getattr(
                    subject, "organisation_id", None)
            who = item.get("actor", actor)
            ctx = item.get("context") or default_context
            entry = AuditEntry(
                at=at, actor=who if getattr(who, "pk", None) else None,
                actor_name=getattr(who, "username", "") or ("system" if who is None else str(who)),
                action=item["action"], subject_type=subject_type,
                subject_id=getattr(subject, "pk", None),
                subject_label=str(subject)[:80] if subject is not None else "", organisation_id=organisation_id,
                data=json.loads(json.dumps(item.get("data") or {}, cls=DjangoJSONEncoder)),
                source=ctx.source, ip=ctx.ip, correlation_id=ctx.correlation_id,
            )
            entry.prev_hash = previous
            entry.hash = previous = entry_hash(previous, entry)
            batch.append(entry)
        # In chain order, many rows per INSERT. The model's manager refuses bulk_create to keep callers on
        # this module; here the chain is computed above, under the lock, exactly as audit_record does.
        models.QuerySet(model=AuditEntry).bulk_create(batch, batch_size=500)
    return len(entries)


@dataclass(frozen=True)
class ChainReport:
    checked: int
    first_broken_id: int | None
    reason: str = ""

    @property
    def intact(self) -> bool:
        return self.first_broken_id is None


def _entries(batch: int = 5000) -> Iterator[AuditEntry]:
    last_id = 0
    while True:
        page = list(AuditEntry.objects.filter(id__gt=last_id).order_by("id")[:batch])
        if not page:
            return
        yield from page
        last_id = page[-1].id


def audit_verify_chain() -> ChainReport:
    """Recompute every hash in order; report the first entry that does not match."""
    previous = GENESIS
    checked = 0
    for entry in _entries():
        if entry.prev_hash != previous:
            return ChainReport(checked, entry.id, "previous hash does not match the entry before it")
        if entry_hash(previous, entry) != entry.hash:
            return ChainReport(checked, entry.id, "content does not match its hash")
        previous = entry.hash
        checked += 1
    return ChainReport(checked, None)
