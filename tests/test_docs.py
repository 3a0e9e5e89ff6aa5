"""The documentation a client reads: every operation summarised and described under its area's
tag, the websocket protocol on a page beside /api/docs/, and a schema that opens in a browser."""

import json
import re
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db

METHODS = ("get", "put", "post", "patch", "delete")
# The areas of the API, as the Swagger page groups them: an operation tagged otherwise is misfiled
# (drf-spectacular tags by the first path segment when a view names none: `v1` was one).
AREAS = {
    "auth", "actors", "cities", "projects", "collaborations", "feeds", "events", "territories", "map",
    "search", "open data", "webhooks", "moderation", "health",
}
# What a class docstring left on every operation of its viewset.
LEFTOVERS = ("get_object()", "`follow/` (POST, DELETE)")
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"


def operations(schema: dict):
    for path, item in schema["paths"].items():
        for method in METHODS:
            if method in item:
                yield f"{method.upper()} {path}", item[method]


@pytest.fixture
def schema(api) -> dict:
    response = api.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    return response.json()


def test_every_operation_has_a_summary_a_description_and_the_tag_of_its_area(schema):
    found = dict(operations(schema))
    assert len(found) > 100  # the whole API, not a part of it
    problems = []
    for name, operation in found.items():
        summary, description = operation.get("summary", "").strip(), operation.get("description", "").strip()
        if not summary:
            problems.append(f"{name}: no summary")
        if not description:
            problems.append(f"{name}: no description")
        if description == summary:
            problems.append(f"{name}: the description only repeats the summary")
        for leftover in LEFTOVERS:
            if leftover in description or leftover in summary:
                problems.append(f"{name}: leftover text {leftover!r}")
        tags = operation.get("tags", [])
        if len(tags) != 1 or tags[0] not in AREAS:
            problems.append(f"{name}: tags {tags} (one of {sorted(AREAS)})")
    # A description shared by many operations is a class docstring speaking for all of them.
    for description, count in Counter(op.get("description", "") for op in found.values()).items():
        if description and count > 4:
            problems.append(f"{count} operations share the description {description[:60]!r}")
    assert not problems, "\n".join(problems)


def test_the_areas_are_the_tags_the_page_lists_each_described(schema):
    listed = {tag["name"]: tag.get("description", "") for tag in schema["tags"]}
    assert set(listed) == AREAS
    assert all(listed.values())
    used = {operation["tags"][0] for _name, operation in operations(schema)}
    assert used == AREAS


def test_the_follow_operations_sit_with_their_actors_and_projects(schema):
    paths = schema["paths"]
    for path, area in (("/api/v1/actors/{handle}/follow/", "actors"), ("/api/v1/projects/{slug}/follow/", "projects")):
        assert paths[path]["post"]["tags"] == [area] and paths[path]["delete"]["tags"] == [area]
        assert paths[path]["post"]["summary"] == "Follow" and paths[path]["delete"]["summary"] == "Unfollow"


def test_each_moderation_path_says_what_it_does(schema):
    paths = schema["paths"]
    assert paths["/api/v1/moderation/actors/{handle}/suspend/"]["post"]["summary"] == "Suspend an actor (moderators)"
    assert paths["/api/v1/moderation/actors/{handle}/reinstate/"]["post"]["summary"].startswith("Reinstate")
    assert paths["/api/v1/moderation/events/{slug}/hide/"]["post"]["summary"] == "Hide an event (moderators)"
    assert paths["/api/v1/moderation/updates/{id}/unhide/"]["post"]["summary"] == "Show a project update again (moderators)"
    assert "map point" in paths["/api/v1/moderation/events/{slug}/hide/"]["post"]["description"]


def test_the_swagger_page_links_the_websocket_protocol(api, schema):
    assert "(/api/docs/websocket/)" in schema["info"]["description"]
    page = api.get("/api/docs/")
    assert page.status_code == 200


# --- The schema in a browser ---------------------------------------------------------


def test_the_schema_opens_in_a_browser(api):
    response = api.get("/api/schema/", HTTP_ACCEPT=BROWSER_ACCEPT)
    assert response.status_code == 200
    # A type browsers show, not one they download, under a plain ASCII file name.
    assert response["Content-Type"] == "application/json"
    disposition = response["Content-Disposition"]
    assert disposition.isascii(), disposition
    assert disposition == 'inline; filename="novosphere-api.json"'
    assert json.loads(response.content)["openapi"].startswith("3.")


@pytest.mark.parametrize(("query", "accept", "media_type", "name"), [
    ("", "application/vnd.oai.openapi+json", "application/vnd.oai.openapi+json", "novosphere-api.json"),
    ("?format=json", "", "application/json", "novosphere-api.json"),
    ("?format=yaml", "", "application/vnd.oai.openapi", "novosphere-api.yaml"),
    ("", "application/yaml", "application/yaml", "novosphere-api.yaml"),
])
def test_tools_still_get_json_or_yaml(api, query, accept, media_type, name):
    response = api.get(f"/api/schema/{query}", **({"HTTP_ACCEPT": accept} if accept else {}))
    assert response.status_code == 200
    assert response["Content-Type"].split(";")[0] == media_type
    assert response["Content-Disposition"] == f'inline; filename="{name}"'
    assert b"openapi: 3" in response.content[:100] or b'"openapi": "3' in response.content[:100]


# --- The websocket protocol page ---------------------------------------------------------

CONSUMER = (Path(settings.BASE_DIR) / "feeds" / "consumers.py").read_text()


def frames_the_consumer_sends() -> set[str]:
    return set(re.findall(r'"type": "(\w+)"', CONSUMER)) | {"activity", "notification"}


def error_codes_the_consumer_sends() -> set[str]:
    return set(re.findall(r'_error\(\s*"(\w+)"', CONSUMER))


def test_the_consumer_is_read_right():
    assert {"resumed", "resync", "subscribed", "unsubscribed", "error"} <= frames_the_consumer_sends()
    assert {"bad_json", "bad_cursor", "unknown_stream"} <= error_codes_the_consumer_sends()


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_websocket_page_documents_every_frame_code_and_close(api, lang):
    response = api.get("/api/docs/websocket/", {"lang": lang})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html") and response["Content-Language"] == lang
    html = response.content.decode()
    assert f'<html lang="{lang}">' in html
    for frame in frames_the_consumer_sends() | {"resume", "subscribe", "unsubscribe"}:
        assert f"<code>{frame}</code>" in html, frame
    for code in error_codes_the_consumer_sends():
        assert f"<code>{code}</code>" in html, code
    for close in (4401, 4429, 4503):
        assert f"<code>{close}</code>" in html, close
    for words in ("?after=", "?token=", "?lang=", "Accept-Language", "/api/v1/feed/", "city:", "project:", "actor:"):
        assert words in html, words
    # The limits are the running service's.
    assert f"{settings.WS_RESUME_LIMIT}" in html and f"{settings.WS_MAX_FRAME_BYTES}" in html


def test_the_websocket_page_follows_the_reader_language(api):
    french = api.get("/api/docs/websocket/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    english = api.get("/api/docs/websocket/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Codes de fermeture" in french and "Close codes" in english
    assert "Close codes" not in french and "Codes de fermeture" not in english
    assert "Codes de fermeture" in api.get("/api/docs/websocket/").content.decode()  # French by default
    assert api.get("/api/docs/websocket/", {"lang": "xx"}).status_code == 200


def test_the_websocket_page_works_offline(api):
    html = api.get("/api/docs/websocket/", {"lang": "en"}).content.decode()
    # Nothing loaded from elsewhere: no script at all, no remote style, image or font.
    assert "<script" not in html
    assert not re.findall(r'(?:src|href)="(?:https?:)?//', html)
    assert "<link" not in html
    response = api.get("/api/docs/websocket/")
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_the_websocket_page_is_read_only(api):
    assert api.post("/api/docs/websocket/").status_code == 405
