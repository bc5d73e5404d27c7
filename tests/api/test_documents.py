"""The OpenAPI document, the interactive docs served from our own static files, and JSON for every miss."""

from __future__ import annotations

from .expect import error_of


def test_openapi_document_describes_every_endpoint(client, db):
    schema = client.get("/api/v1/openapi.json").json()

    paths = schema["paths"]
    for path in ("/api/v1/auth/token", "/api/v1/incidents", "/api/v1/incidents/{number}",
                 "/api/v1/incidents/{number}/transitions/{transition}", "/api/v1/incidents/{number}/worklogs",
                 "/api/v1/incidents/{number}/comments", "/api/v1/incidents/{number}/timeline",
                 "/api/v1/services", "/api/v1/categories", "/api/v1/groups", "/api/v1/users", "/api/v1/organisations"):
        assert path in paths, path
    assert set(paths["/api/v1/incidents/{number}"]) == {"get", "patch"}
    assert {"401", "404", "409", "422"} <= set(paths["/api/v1/incidents/{number}"]["patch"]["responses"])
    assert schema["components"]["schemas"]["Error"]["required"] == ["detail", "code"]
    assert {"BearerToken", "BrowserSession"} <= set(schema["components"]["securitySchemes"])


def test_docs_page_uses_local_assets_only(client, db):
    page = client.get("/api/v1/docs")

    html = page.content.decode()
    assert page.status_code == 200
    assert "/static/ninja/swagger-ui-bundle.js" in html and "/static/ninja/swagger-ui.css" in html
    assert "cdn" not in html.lower() and "https://" not in html
    asset = client.get("/static/ninja/swagger-ui-bundle.js")
    assert asset.status_code == 200
    assert b"SwaggerUIBundle" in b"".join(asset.streaming_content)  # reading it to the end closes the file


def test_unknown_endpoint_and_wrong_method_answer_json(client, db):
    assert error_of(client.get("/api/v1/no-such-thing"), 404)["code"] == "not_found"
    wrong = client.delete("/api/v1/incidents")
    assert error_of(wrong, 405)["code"] == "method_not_allowed"
    assert "GET" in wrong["Allow"]


def test_api_root_points_to_the_document_and_the_docs(client, db):
    index = client.get("/api/v1/").json()

    assert (index["openapi"], index["docs"]) == ("/api/v1/openapi.json", "/api/v1/docs")
