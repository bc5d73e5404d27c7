"""Request bodies: JSON, or an HTML form (htmx, a plain form post, a test client's empty POST)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.parser import Parser

FORM_TYPES = frozenset({"multipart/form-data", "application/x-www-form-urlencoded"})


class JsonOrFormParser(Parser):
    def parse_body(self, request: HttpRequest) -> Any:
        if request.content_type in FORM_TYPES:
            return {key: values[0] if len(values) == 1 else values for key, values in request.POST.lists()}
        return super().parse_body(request)
