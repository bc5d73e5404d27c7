"""How API callers prove who they are: a personal token, or the browser's session.

``Authorization: Bearer <token>`` is tried first (scripts, integrations); the
Django session second (the browser, e.g. the interactive docs), with Django's
CSRF check on unsafe methods. Each costs one indexed query per request.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from opsdesk.accounts.models import User
from opsdesk.accounts.services import api_token_authenticate
from opsdesk.core.errors import PermissionDenied


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        if not token:
            return None
        return api_token_authenticate(token.strip())


class BrowserSession(APIKeyCookie):
    """The signed-in browser session; unsafe methods must carry the CSRF token (``X-CSRFToken``)."""

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self) -> None:
        super().__init__(csrf=True)

    def _get_key(self, request: HttpRequest) -> str | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None  # nobody signed in: a 401, not a CSRF failure
        if check_csrf(request):
            raise PermissionDenied(
                _("The CSRF check failed: reload the page and try again, or send a Bearer token."),
                code="csrf_failed",
            )
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        return user if user is not None and user.is_authenticated else None


API_AUTH = [BearerToken(), BrowserSession()]
