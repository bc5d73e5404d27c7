"""``/api/v1/``: the ninja API, with JSON answers for unknown paths and methods too."""

from __future__ import annotations

from django.urls import URLPattern, path, re_path

from .errors import json_method_not_allowed, unknown_endpoint
from .main import api, api_index

_patterns, _app, _namespace = api.urls
for _pattern in _patterns:
    if isinstance(_pattern, URLPattern):
        if _pattern.name == "api-root":  # ninja's own answers an HTML 404
            _pattern.callback = api_index
        else:
            _pattern.callback = json_method_not_allowed(_pattern.callback)

urlpatterns = [
    path("", (_patterns, _app, _namespace)),
    re_path(r"^.*$", unknown_endpoint, name="api-unknown"),
]
