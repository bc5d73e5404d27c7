"""``/api/v1/``: the ninja API, with JSON answers for unknown paths and methods too."""

from __future__ import annotations

from django.urls import URLPattern, path, re_path

from .errors import json_method_not_allowed, unknown_endpoint
from .main import api

_patterns, _app, _namespace = api.urls
for _pattern in _patterns:
    if isinstance(_pattern, URLPattern):
        _pattern.callback = json_method_not_allowed(_pattern.callback)

urlpatterns = [
    path("", (_patterns, _app, _namespace)),
    re_path(r"^.*$", unknown_endpoint, name="api-unknown"),
]
