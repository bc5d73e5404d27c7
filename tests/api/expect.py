"""What API tests share: a JSON client with a token, and the one error shape."""

from __future__ import annotations

from typing import Any

from django.test import Client


class ApiClient(Client):
    """A Django test client that sends JSON and a Bearer token."""

    def post_json(self, path: str, data: Any = None, **extra: Any) -> Any:
        return self.post(path, data if data is not None else {}, content_type="application/json", **extra)

    def patch_json(self, path: str, data: Any, **extra: Any) -> Any:
        return self.patch(path, data, content_type="application/json", **extra)


def error_of(response: Any, status: int) -> dict[str, Any]:
    """Assert ``response`` is a JSON error of ``status`` in the one error shape, and return its body."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"]
    assert isinstance(body["code"], str) and body["code"]
    return body
