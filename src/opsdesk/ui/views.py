"""The front page: the agent's dashboard, or the requester's portal."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from opsdesk.accounts.roles import Permission as P
from opsdesk.incidents import selectors as incident_selectors
from opsdesk.incidents.choices import OPEN_STATES
from opsdesk.notifications import selectors as notification_selectors

DASHBOARD_ROWS = 8


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.holds(P.INCIDENT_INTERNAL):
        return redirect("ui:portal_home")
    open_states = list(OPEN_STATES)

    def rows(**filters: object) -> list:
        queryset = incident_selectors.incident_list(
            user=user, filters=incident_selectors.IncidentFilter(state=open_states, **filters))  # type: ignore[arg-type]
        return list(queryset[:DASHBOARD_ROWS])

    context = {
        "mine": rows(queue="mine"),
        "unassigned": rows(queue="unassigned"),
        "undispatched": rows(queue="undispatched") if user.holds(P.INCIDENT_DISPATCH) else None,
        "majors": rows(is_major=True),
        "notifications": list(notification_selectors.notification_list(user=user, unread_only=True)[:5]),
    }
    return render(request, "ui/home.html", context)
