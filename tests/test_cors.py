"""Browser clients on other origins: CORS_ALLOWED_ORIGINS gets the CORS headers under /api/,
with the headers real browsers send (Chrome and Firefox preflights). Over a real Daphne, and
the websocket's origin rule, in tests/e2e/test_browser_origins.py."""

import pytest

FRONT = "https://app.front.example"

# What Chrome sends before a `fetch(url, {method: "POST", headers: {Authorization, "Content-Type": "application/json"}})`.
CHROME_PREFLIGHT = {
    "HTTP_ORIGIN": FRONT,
    "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "POST",
    "HTTP_ACCESS_CONTROL_REQUEST_HEADERS": "authorization,content-type",
    "HTTP_ACCEPT": "*/*",
    "HTTP_ACCEPT_LANGUAGE": "fr-FR,fr;q=0.9,en;q=0.8",
    "HTTP_SEC_FETCH_MODE": "cors",
    "HTTP_SEC_FETCH_SITE": "cross-site",
    "HTTP_SEC_FETCH_DEST": "empty",
    "HTTP_REFERER": FRONT + "/",
    "HTTP_USER_AGENT": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
}
# Firefox asks for a PATCH with an If-None-Match-free set, in its own spelling.
FIREFOX_PREFLIGHT = {
    "HTTP_ORIGIN": FRONT,
    "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "PATCH",
    "HTTP_ACCESS_CONTROL_REQUEST_HEADERS": "authorization,content-type",
    "HTTP_ACCEPT": "*/*",
    "HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.5",
    "HTTP_SEC_FETCH_MODE": "cors",
    "HTTP_SEC_FETCH_SITE": "cross-site",
    "HTTP_USER_AGENT": "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
}


@pytest.fixture
def front(settings):
    settings.CORS_ALLOWED_ORIGINS = [FRONT]
    return FRONT


def allowed_headers(response) -> set[str]:
    return {h.strip().lower() for h in response["Access-Control-Allow-Headers"].split(",")}


@pytest.mark.django_db
@pytest.mark.parametrize("preflight, method", [(CHROME_PREFLIGHT, "POST"), (FIREFOX_PREFLIGHT, "PATCH")])
def test_a_browser_preflight_from_an_allowed_origin_is_answered(api, front, preflight, method):
    response = api.options("/api/v1/projects/", **preflight)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == FRONT
    assert {"authorization", "content-type"} <= allowed_headers(response)
    assert method in response["Access-Control-Allow-Methods"]
    assert int(response["Access-Control-Max-Age"]) > 0
    assert "Access-Control-Allow-Credentials" not in response  # tokens, not cookies, cross origins


@pytest.mark.django_db
def test_the_actual_request_from_an_allowed_origin_gets_the_headers(api, front, alice):
    from tests.conftest import token_for

    response = api.post("/api/v1/projects/", {"title": "Depuis le front"}, format="json", HTTP_ORIGIN=FRONT,
                        HTTP_AUTHORIZATION=f"Token {token_for(alice)}")
    assert response.status_code == 201
    assert response["Access-Control-Allow-Origin"] == FRONT
    read = api.get("/api/v1/projects/", HTTP_ORIGIN=FRONT)
    assert read["Access-Control-Allow-Origin"] == FRONT and "origin" in read["Vary"].lower()
    # What a front-end needs to read: the ETag of a cacheable read, the wait of a 429.
    exposed = {h.strip().lower() for h in read["Access-Control-Expose-Headers"].split(",")}
    assert {"etag", "retry-after"} <= exposed
    # An error answer too, or the browser hides its body from the page.
    missing = api.get("/api/v1/projects/nothing/", HTTP_ORIGIN=FRONT)
    assert missing.status_code == 404 and missing["Access-Control-Allow-Origin"] == FRONT


@pytest.mark.django_db
def test_other_origins_and_the_default_get_no_cors_headers(api, settings):
    assert settings.CORS_ALLOWED_ORIGINS == []  # empty by default
    response = api.options("/api/v1/projects/", **CHROME_PREFLIGHT)
    assert "Access-Control-Allow-Origin" not in response
    settings.CORS_ALLOWED_ORIGINS = [FRONT]
    evil = api.options("/api/v1/projects/", **{**CHROME_PREFLIGHT, "HTTP_ORIGIN": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in evil
    lookalike = api.get("/api/v1/projects/", HTTP_ORIGIN=FRONT + ".evil.example")
    assert "Access-Control-Allow-Origin" not in lookalike


@pytest.mark.django_db
def test_cors_is_only_for_the_api(api, front):
    assert "Access-Control-Allow-Origin" not in api.get("/admin/login/", HTTP_ORIGIN=FRONT)


def test_the_origins_come_from_the_environment():
    import subprocess
    import sys

    from tests.e2e.server import ROOT

    code = "import django; django.setup(); from django.conf import settings; print(settings.CORS_ALLOWED_ORIGINS)"
    env = {"DJANGO_SETTINGS_MODULE": "tests.settings", "PATH": "/usr/bin:/bin",
           "CORS_ALLOWED_ORIGINS": "https://a.example, http://localhost:5173/"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['https://a.example', 'http://localhost:5173']"
