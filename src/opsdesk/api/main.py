"""The one NinjaAPI instance: routers of each app, authentication, error mapping, OpenAPI."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI, Swagger

from opsdesk.accounts.api import router as accounts_router
from opsdesk.calendars.api import router as calendars_router
from opsdesk.catalog.api import router as catalog_router
from opsdesk.cmdb.api import router as cmdb_router
from opsdesk.incidents.api import router as incidents_router
from opsdesk.notifications.api import router as notifications_router
from opsdesk.reports.api import router as reports_router
from opsdesk.sla.api import router as sla_router

from . import errors
from .auth import API_AUTH
from .parsing import JsonOrFormParser
from .schemas import ErrorOut

DESCRIPTION = """\
The opsdesk REST API. Authenticate with `Authorization: Bearer <token>`
(`POST /api/v1/auth/token` with a username and password returns one; tokens are
also managed on the profile page) or, in a browser, with the signed-in session
(unsafe methods then need the `X-CSRFToken` header).

Records refer to services, categories, groups, users and organisations by the
`id` their own endpoints return. Lists answer `{"items": [...], "next_cursor": …}`:
pass `cursor=<next_cursor>` for the next page, until it is `null`.

Every error is `{"detail": …, "code": …}` (422 adds `errors`: field → messages);
messages follow `Accept-Language` (`zh-hans`, `en`).
"""

_ERROR_RESPONSES = {
    "401": _("Not signed in, or the token is unknown or revoked (code not_authenticated)."),
    "403": _("Signed in, but not allowed to do this (code forbidden, csrf_failed, throttled)."),
    "404": _("No such record, or not visible to the caller (code not_found)."),
    "409": _("The record changed meanwhile (stale_version) or the transition is not possible now "
             "(transition_not_allowed)."),
    "422": _("The input is not valid; errors names each field (code invalid, …)."),
}


def document_errors(schema: dict[str, Any]) -> None:
    """Declare the shared error shape on every operation of the OpenAPI document."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
    reference = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            codes = ["403"]
            if operation.get("security"):
                codes.append("401")
            if "{" in path:
                codes.append("404")
            if method in {"post", "patch", "put", "delete"} and "/incidents" in path:
                codes.append("409")
            if operation.get("parameters") or operation.get("requestBody"):
                codes.append("422")
            responses = operation.setdefault("responses", {})
            for code in sorted(codes):
                responses.setdefault(code, {"description": str(_ERROR_RESPONSES[code]), **reference})


class OpsdeskAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None) -> Any:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        document_errors(schema)
        return schema


api = OpsdeskAPI(
    title="opsdesk API",
    version="1",
    description=DESCRIPTION,
    auth=API_AUTH,
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs",
    docs=Swagger(settings={"persistAuthorization": True}),
    parser=JsonOrFormParser(),
)
errors.install(api)
api.add_router("/", accounts_router)
api.add_router("/", catalog_router)
api.add_router("/", incidents_router)
api.add_router("/", notifications_router)
api.add_router("/", calendars_router)
api.add_router("/", sla_router)
api.add_router("/", cmdb_router)
api.add_router("/", reports_router)


def api_index(request: HttpRequest) -> JsonResponse:
    """``GET /api/v1/``: where the document and the interactive docs are."""
    return JsonResponse({
        "title": api.title,
        "version": api.version,
        "openapi": reverse("api:openapi-json"),
        "docs": reverse("api:openapi-view"),
    })
