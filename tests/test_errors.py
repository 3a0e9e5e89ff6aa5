"""One error shape: `{code, message, detail, fields?}` for every error the API answers,
whoever raised it (a serializer, a service, DRF, Django, a plain view, the 413/500
fallbacks), in the reader's language."""

import json
import re

import pytest

from projects.models import Project, ProjectMember
from tests.conftest import make_person

CODE = re.compile(r"^[a-z][a-z0-9_]*$")


def assert_shape(response, status: int, code: str, *, fields: bool = False) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = json.loads(response.content)
    assert set(body) == {"code", "message", "detail", *(["fields"] if fields else [])}, body
    assert body["code"] == code and CODE.match(body["code"])
    assert isinstance(body["message"], str) and body["message"] and body["detail"] == body["message"]
    return body


def test_a_serializer_error_names_its_fields_dotted_when_nested(alice_api):
    response = alice_api.post("/api/v1/projects/", {"title": "", "needs": {"skills": 3}}, format="json",
                              HTTP_ACCEPT_LANGUAGE="en")
    body = assert_shape(response, 400, "invalid", fields=True)
    assert set(body["fields"]) == {"title", "needs.skills"}
    assert all(isinstance(m, str) for messages in body["fields"].values() for m in messages)
    assert body["message"] == "Several fields are not valid."


def test_one_field_error_is_its_message_in_the_readers_language(alice_api):
    english = alice_api.post("/api/v1/projects/", {}, format="json", HTTP_ACCEPT_LANGUAGE="en").json()
    french = alice_api.post("/api/v1/projects/", {}, format="json", HTTP_ACCEPT_LANGUAGE="fr").json()
    assert english["fields"] == {"title": ["This field is required."]}
    assert english["message"] == "This field is required."
    assert french["message"] == "Ce champ est obligatoire." and french["fields"] == {"title": [french["message"]]}


def test_a_services_refusal_keeps_its_own_sentence_and_field(alice_api, alice, rennes):
    response = alice_api.post("/api/v1/actors/", {"kind": "organization", "handle": "rennes", "name": "Dup"},
                              format="json", HTTP_ACCEPT_LANGUAGE="en")
    body = assert_shape(response, 400, "invalid", fields=True)
    assert body["fields"] == {"handle": ["This handle is already taken."]}
    assert body["message"] == "This handle is already taken."


def test_forbidden_and_conflict_from_services(alice_api, alice, bob_api, rennes):
    project = Project.objects.create(slug="lab", title="Lab", owner=alice, city=rennes)
    ProjectMember.objects.create(project=project, actor=alice, role=ProjectMember.Role.OWNER)
    refused = bob_api.patch("/api/v1/projects/lab/", {"title": "Mine"}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert assert_shape(refused, 403, "permission_denied")["message"] == "Only owners and maintainers can edit this project."
    last_owner = alice_api.delete("/api/v1/projects/lab/members/alice/")
    assert_shape(last_owner, 409, "conflict")


def test_unknown_hidden_unauthenticated_and_bad_token(api, alice_api):
    assert_shape(api.get("/api/v1/projects/nothing-here/"), 404, "not_found")
    assert_shape(api.post("/api/v1/projects/", {"title": "x"}, format="json"), 401, "not_authenticated")
    api.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert_shape(api.get("/api/v1/actors/"), 401, "authentication_failed")


def test_method_media_type_and_json_errors(alice_api):
    assert_shape(alice_api.put("/api/v1/feed/", {}, format="json"), 405, "method_not_allowed")
    assert_shape(alice_api.post("/api/v1/projects/", "title=x", content_type="text/plain"),
                 415, "unsupported_media_type")
    assert_shape(alice_api.post("/api/v1/projects/", "{not json", content_type="application/json"),
                 400, "parse_error")


def test_a_wrong_password_and_a_rate_limit(api, alice, settings):
    wrong = api.post("/api/v1/auth/token/", {"username": "alice", "password": "nope"}, format="json")
    assert_shape(wrong, 400, "authentication_failed")
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "password_reset": "1/hour"}
    api.post("/api/v1/auth/password/reset/", {"email": "a@example.org"}, format="json")
    limited = api.post("/api/v1/auth/password/reset/", {"email": "a@example.org"}, format="json",
                       HTTP_ACCEPT_LANGUAGE="en")
    body = assert_shape(limited, 429, "throttled")
    assert int(limited["Retry-After"]) >= 1 and "try again in" in body["message"]


def test_the_fallbacks_outside_drf_use_the_shape(api, rf):
    from novosphere.api.fallback import server_error

    assert_shape(api.post("/api/v1/auth/token/", {"username": "a", "password": "x" * 1_100_000}, format="json"),
                 413, "too_large")
    assert_shape(server_error(rf.get("/api/v1/actors/")), 500, "server_error")


def test_federation_views_use_the_shape(api):
    assert_shape(api.get("/.well-known/webfinger"), 400, "invalid")
    assert_shape(api.get("/.well-known/webfinger?resource=acct:nobody@testserver"), 404, "not_found")


@pytest.mark.django_db
def test_the_schema_documents_the_shape_on_error_answers(api):
    schema = api.get("/api/schema/?format=json").json()
    error = schema["components"]["schemas"]["Error"]
    assert error["required"] == ["code", "message", "detail"] and "fields" in error["properties"]
    operation = schema["paths"]["/api/v1/projects/{slug}/"]["patch"]
    for status in ("400", "401", "403", "404"):
        assert operation["responses"][status]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Error"}


def test_a_person_made_by_hand_cannot_edit_anothers_profile(alice_api, rennes):
    make_person("carol", rennes)
    body = assert_shape(alice_api.patch("/api/v1/actors/carol/", {"name": "X"}, format="json"), 403,
                        "permission_denied")
    assert body["message"] == "Vous ne pouvez pas modifier ce profil."
