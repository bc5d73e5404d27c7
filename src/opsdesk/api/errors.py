"""Every API error is JSON ``{"detail": …, "code": …}``; a 422 adds ``"errors": {field: [messages]}``.

Domain errors carry their own status and code; request validation (pydantic),
missing credentials, unknown routes and crashes are mapped here to the same
shape, with messages in the caller's language.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from opsdesk.core.errors import DomainError

logger = logging.getLogger("opsdesk.api")

# Where ninja says a value came from; the first element of an error's ``loc``.
_LOCATIONS = {"body", "query", "path", "form", "file", "header", "cookie"}


def error_body(detail: str, code: str, errors: dict[str, list[str]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"detail": detail, "code": code}
    if errors is not None:
        body["errors"] = errors
    return body


def _field_message(error: dict[str, Any]) -> str:
    """A translated message for one pydantic error (pydantic's own English text as the fallback)."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return _("This field is required.")
    if kind in {"int_parsing", "int_type", "int_from_float"}:
        return _("Enter a whole number.")
    if kind in {"string_type", "string_unicode"}:
        return _("Enter text.")
    if kind in {"bool_parsing", "bool_type"}:
        return _("Enter true or false.")
    if kind.startswith("datetime") or kind.startswith("date_"):
        return _("Enter a date and time such as 2026-11-27T09:30:00+08:00.")
    if kind in {"list_type", "dict_type", "model_type", "model_attributes_type"}:
        return _("This value has the wrong shape.")
    if kind == "extra_forbidden":
        return _("This field is not accepted here.")
    if kind in {"literal_error", "enum"}:
        return _("Choose one of: %(expected)s.") % {"expected": ctx.get("expected", "")}
    if kind in {"greater_than_equal", "greater_than"}:
        return _("Enter a value of at least %(limit)s.") % {"limit": ctx.get("ge", ctx.get("gt", ""))}
    if kind in {"less_than_equal", "less_than"}:
        return _("Enter a value of at most %(limit)s.") % {"limit": ctx.get("le", ctx.get("lt", ""))}
    if kind == "string_too_long":
        return _("At most %(limit)s characters.") % {"limit": ctx.get("max_length", "")}
    if kind == "string_too_short":
        return _("At least %(limit)s characters.") % {"limit": ctx.get("min_length", "")}
    if kind == "json_invalid":
        return _("The request body is not valid JSON.")
    return str(error.get("msg", _("This value is not valid.")))


def _field_name(loc: Iterable[Any], param_names: set[str]) -> str:
    """``("body", "payload", "title")`` → ``title``; ``("query", "limit")`` → ``limit``."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in _LOCATIONS:
        location, parts = parts[0], parts[1:]
    else:
        location = "body"
    if len(parts) > 1 and parts[0] in param_names:
        parts = parts[1:]
    elif len(parts) == 1 and parts[0] in param_names and location == "body":
        return "body"  # the whole body is missing or is not an object
    while len(parts) > 1 and parts[-1].isdigit():  # "state.0" → "state": the field, not the list item
        parts = parts[:-1]
    return ".".join(parts) or location


def field_errors_from(errors: list[dict[str, Any]], param_names: set[str]) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for error in errors:
        messages = fields.setdefault(_field_name(error.get("loc", ()), param_names), [])
        message = _field_message(error)
        if message not in messages:
            messages.append(message)
    return fields


# Names of the endpoint parameters that wrap a whole body or query schema (stripped from field paths).
WRAPPER_PARAMS = {"payload", "filters", "params", "data"}


def on_validation_error(request: HttpRequest, exc: ValidationError, api: NinjaAPI) -> HttpResponse:
    fields = field_errors_from(exc.errors, WRAPPER_PARAMS)
    detail = _("Some fields need your attention: %(fields)s.") % {"fields": ", ".join(fields)}
    return api.create_response(request, error_body(detail, "invalid", fields), status=422)


def on_domain_error(request: HttpRequest, exc: DomainError, api: NinjaAPI) -> HttpResponse:
    errors = {k: [str(m) for m in v] for k, v in exc.field_errors.items()} if exc.field_errors else None
    if exc.status == 422 and errors is None:
        errors = {}
    return api.create_response(request, error_body(str(exc.message), exc.code, errors), status=exc.status)


def on_authentication_error(request: HttpRequest, exc: AuthenticationError, api: NinjaAPI) -> HttpResponse:
    detail = _("Sign in first: send “Authorization: Bearer <token>” (POST /api/v1/auth/token gives one).")
    response = api.create_response(request, error_body(detail, "not_authenticated"), status=401)
    response["WWW-Authenticate"] = 'Bearer realm="opsdesk"'
    return response


def on_http_error(request: HttpRequest, exc: HttpError, api: NinjaAPI) -> HttpResponse:
    if exc.status_code == 400 and str(exc).startswith("Cannot parse request body"):
        message = _("The request body is not valid JSON.")
        return api.create_response(
            request, error_body(message, "invalid", {"body": [message]}), status=422
        )
    codes = {400: "bad_request", 403: "forbidden", 404: "not_found", 405: "method_not_allowed", 429: "throttled"}
    return api.create_response(
        request, error_body(str(exc), codes.get(exc.status_code, "error")), status=exc.status_code
    )


def on_not_found(request: HttpRequest, exc: Http404, api: NinjaAPI) -> HttpResponse:
    return api.create_response(request, error_body(_("Not found."), "not_found"), status=404)


def on_server_error(request: HttpRequest, exc: Exception, api: NinjaAPI) -> HttpResponse:
    logger.exception("API request %s %s failed", request.method, request.path, exc_info=exc)
    detail = _("Something went wrong on the server. The error has been logged.")
    return api.create_response(request, error_body(detail, "server_error"), status=500)


def install(api: NinjaAPI) -> None:
    """Register the handlers (ninja picks the most specific class in the exception's MRO)."""
    for exc_class, handler in (
        (Exception, on_server_error),
        (Http404, on_not_found),
        (HttpError, on_http_error),
        (AuthenticationError, on_authentication_error),
        (ValidationError, on_validation_error),
        (DomainError, on_domain_error),
    ):
        api.add_exception_handler(exc_class, _bound(handler, api))


def _bound(handler: Callable[..., HttpResponse], api: NinjaAPI) -> Callable[[HttpRequest, Exception], HttpResponse]:
    def handle(request: HttpRequest, exc: Exception) -> HttpResponse:
        return handler(request, exc, api)

    return handle


# Outside ninja's operations: unknown paths and methods an endpoint does not take.


def unknown_endpoint(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    return JsonResponse(error_body(_("There is no such API endpoint."), "not_found"), status=404)


def json_method_not_allowed(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wrap a ninja path view so a 405 answers JSON like every other error."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and not response.get("Content-Type", "").startswith("application/json"):
            allowed = response.get("Allow", "")
            detail = _("This endpoint does not accept %(method)s (allowed: %(allowed)s).") % {
                "method": request.method, "allowed": allowed}
            json_response = JsonResponse(error_body(detail, "method_not_allowed"), status=405)
            json_response["Allow"] = allowed
            return json_response
        return response

    return wrapped
