"""Health, OpenAPI schema, offline docs and admin."""

import pytest

pytestmark = pytest.mark.django_db

API_PATHS = [
    "/api/v1/auth/register/", "/api/v1/auth/token/", "/api/v1/me/",
    "/api/v1/actors/", "/api/v1/actors/{handle}/", "/api/v1/actors/{handle}/members/",
    "/api/v1/actors/{handle}/follow/", "/api/v1/actors/{handle}/followers/", "/api/v1/actors/{handle}/following/",
    "/api/v1/cities/", "/api/v1/cities/{handle}/", "/api/v1/cities/{handle}/links/",
    "/api/v1/cities/{handle}/links/{peer}/accept/", "/api/v1/cities/{handle}/links/{peer}/",
    "/api/health/",
]


def test_health_reports_each_part(api):
    response = api.get("/api/health/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    for part in ("database", "channel_layer", "search"):
        assert body[part]["ok"] is True and body[part]["backend"]


def test_health_is_503_when_the_database_is_down(api, settings):
    from django.db import connection

    real_vendor_execute = connection.cursor

    def broken_cursor(*args, **kwargs):
        raise RuntimeError("database down")

    connection.cursor = broken_cursor
    try:
        response = api.get("/api/health/")
    finally:
        connection.cursor = real_vendor_execute
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable" and response.json()["database"]["ok"] is False


def test_schema_documents_every_endpoint_with_shapes(api):
    response = api.get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    for path in API_PATHS:
        assert path in schema["paths"], path
    register = schema["paths"]["/api/v1/auth/register/"]["post"]
    assert "requestBody" in register and "201" in register["responses"]
    assert "MeRequest" in str(schema["paths"]["/api/v1/me/"]["patch"]["requestBody"])


def test_docs_page_works_offline(api):
    page = api.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "swagger-ui" in html and "cdn" not in html.lower()
    asset = next(part.split('"')[0] for part in html.split('src="')[1:] if "swagger-ui-bundle" in part)
    assert api.get(asset).status_code == 200


def test_admin_is_there_for_moderators(api):
    response = api.get("/admin/login/")
    assert response.status_code == 200
