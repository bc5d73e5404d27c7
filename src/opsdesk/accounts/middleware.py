from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from opsdesk.audit import context


class UserTimezoneMiddleware:
    """Show times in the user's zone (Asia/Shanghai unless they chose another) and bind the audit source."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        zone = getattr(user, "time_zone", "") if user is not None and user.is_authenticated else ""
        try:
            timezone.activate(zoneinfo.ZoneInfo(zone or "Asia/Shanghai"))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            timezone.activate(zoneinfo.ZoneInfo("Asia/Shanghai"))
        source = "api" if request.path.startswith("/api/") else "ui"
        with context.bound(source=source, ip=client_ip(request)):
            return self.get_response(request)


def client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "")
