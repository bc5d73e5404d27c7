"""Where a write came from (ui, api, email, task, cli), bound once per request or job."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field


@dataclass(frozen=True)
class AuditContext:
    source: str = "cli"
    ip: str = ""
    correlation_id: str = field(default_factory=lambda: uuid.uuid4().hex)


_current: ContextVar[AuditContext] = ContextVar("audit_context", default=AuditContext())  # noqa: B039 (frozen)


def current() -> AuditContext:
    return _current.get()


@contextmanager
def bound(*, source: str, ip: str = "") -> Iterator[AuditContext]:
    context = AuditContext(source=source, ip=ip)
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)
