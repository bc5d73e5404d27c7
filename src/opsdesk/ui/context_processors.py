"""What every page's frame needs: who the reader is, which areas they use, counts for the badges.

Everything is computed lazily, so a page that does not show a count does not query for it.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.conf import settings
from django.http import HttpRequest

from opsdesk.accounts.roles import Permission as P
from opsdesk.incidents import selectors as incident_selectors
from opsdesk.incidents.choices import OPEN_STATES
from opsdesk.notifications import selectors as notification_selectors


class Navigation:
    def __init__(self, request: HttpRequest) -> None:
        self.request = request
        self.user = getattr(request, "user", None)
        self.signed_in = bool(self.user is not None and self.user.is_authenticated)

    def _holds(self, permission: str) -> bool:
        return self.signed_in and self.user.holds(permission)

    @cached_property
    def workspace(self) -> bool:
        """Staff (desk, engineers, managers, auditors) work in the agent workspace."""
        return self._holds(P.INCIDENT_INTERNAL)

    @cached_property
    def portal(self) -> bool:
        return self._holds(P.INCIDENT_REPORT) or self._holds(P.INCIDENT_VIEW)

    @cached_property
    def can_record(self) -> bool:
        return self._holds(P.INCIDENT_RECORD)

    @cached_property
    def can_dispatch(self) -> bool:
        return self._holds(P.INCIDENT_DISPATCH)

    @cached_property
    def can_report(self) -> bool:
        return self._holds(P.INCIDENT_REPORT)

    @cached_property
    def read_only(self) -> bool:
        return self.signed_in and not (self.user.permissions & {
            P.INCIDENT_REPORT, P.INCIDENT_RECORD, P.INCIDENT_DISPATCH, P.INCIDENT_WORK, P.INCIDENT_CLOSE})

    @cached_property
    def unread(self) -> int:
        return notification_selectors.unread_count(user=self.user) if self.signed_in else 0

    @cached_property
    def counts(self) -> dict[str, int]:
        if not self.workspace:
            return {}
        counts = incident_selectors.queue_counts(user=self.user)
        if self.can_dispatch:
            undispatched = incident_selectors.IncidentFilter(queue="undispatched", state=list(OPEN_STATES))
            counts["undispatched"] = incident_selectors.incident_list(user=self.user, filters=undispatched).count()
        return counts

    @property
    def current_queue(self) -> str:
        return self.request.GET.get("queue", "")


def navigation(request: HttpRequest) -> dict[str, Any]:
    return {"nav": Navigation(request), "site_name": settings.OPSDESK_SITE_NAME}
