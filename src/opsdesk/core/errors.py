"""One error hierarchy for domain failures; the API and the forms map it."""

from __future__ import annotations

from django.utils.functional import Promise


class DomainError(Exception):
    """A failure the user can understand. ``code`` is stable; ``message`` is translatable."""

    status = 400
    code = "error"

    def __init__(
        self,
        message: str | Promise,
        *,
        code: str | None = None,
        field_errors: dict[str, list[str]] | None = None,
    ) -> None:
        super().__init__(str(message))
        self.message = message
        if code:
            self.code = code
        self.field_errors = field_errors or {}

    def __str__(self) -> str:
        return str(self.message)


class NotFound(DomainError):
    status = 404
    code = "not_found"


class PermissionDenied(DomainError):
    status = 403
    code = "forbidden"


class ValidationFailed(DomainError):
    status = 422
    code = "invalid"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class StaleVersion(Conflict):
    code = "stale_version"


class TransitionNotAllowed(Conflict):
    code = "transition_not_allowed"
