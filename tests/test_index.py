"""`/`, `/api/` and `/api/v1/` answer a small JSON index; an unknown path under `/api/`
is a JSON 404 in the one error shape, whatever the method."""

import pytest

from tests.test_errors import assert_shape

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/", "/api/", "/api/v1/"])
def test_the_index_points_at_docs_schema_health_and_the_stream(api, settings, path):
    settings.PUBLIC_URL = "http://testserver"
    response = api.get(path)
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    index = response.json()
    assert index["api"] == "http://testserver/api/v1/"
    assert index["docs"] == "http://testserver/api/docs/"
    assert index["schema"] == "http://testserver/api/schema/"
    assert index["health"] == "http://testserver/api/health/"
    assert index["websocket"] == "ws://testserver/ws/stream/"
    for key in ("docs", "schema", "health", "api"):
        assert api.get(index[key].removeprefix("http://testserver")).status_code == 200, key


def test_the_index_follows_public_url(api, settings):
    settings.PUBLIC_URL = "https://rennes.example.org"
    index = api.get("/api/").json()
    assert index["docs"] == "https://rennes.example.org/api/docs/"
    assert index["websocket"] == "wss://rennes.example.org/ws/stream/"


@pytest.mark.parametrize("method, path", [
    ("get", "/api/v2/"), ("get", "/api/v1/nothing-here/"), ("post", "/api/v1/nothing/"),
    ("get", "/api/v1/actors/%C2%84/"), ("delete", "/api/whatever/deep/path/"), ("get", "/api/v1/events/x.pdf"),
])
def test_an_unknown_api_path_is_a_json_404(api, method, path):
    response = getattr(api, method)(path, HTTP_ACCEPT_LANGUAGE="en")
    body = assert_shape(response, 404, "not_found")
    assert body["message"] == "Not found."
    french = getattr(api, method)(path, HTTP_ACCEPT_LANGUAGE="fr").json()
    assert french["message"] == "Non trouvé."


def test_outside_the_api_a_404_stays_a_page(api):
    response = api.get("/nothing-here/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")
