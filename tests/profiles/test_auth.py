import pytest

from profiles.models import Actor, User
from tests.conftest import fields_of

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "une-phrase-de-passe-solide"


def register(api, **overrides):
    body = {"username": "lea", "password": GOOD_PASSWORD, "email": "lea@example.org", "name": "Léa Martin"}
    body.update(overrides)
    return api.post("/api/v1/auth/register/", body, format="json")


def test_register_creates_account_person_and_working_token(api, rennes):
    response = register(api, city="rennes")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["actor"]["handle"] == "lea"
    assert body["actor"]["kind"] == "person"
    assert body["actor"]["city"] == "rennes"
    api.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
    me = api.get("/api/v1/me/")
    assert me.status_code == 200
    assert me.json()["name"] == "Léa Martin"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"password": "123"}, "password"),
        ({"password": "password"}, "password"),
        ({"email": "not-an-email"}, "email"),
        ({"username": "a b"}, "username"),
        ({"username": "x" * 51}, "username"),
        ({"name": "n" * 121}, "name"),
        ({"city": "atlantis"}, "city"),
        ({"name": ["a list"]}, "name"),
    ],
)
def test_register_refuses_bad_input_naming_the_field_and_writes_nothing(api, rennes, overrides, field):
    response = register(api, **overrides)
    assert response.status_code == 400
    assert field in fields_of(response.json())
    assert not User.objects.exists()
    assert not Actor.objects.filter(kind="person").exists()


def test_register_refuses_a_taken_username_or_handle(api, rennes):
    assert register(api).status_code == 201
    again = register(api, username="LEA")
    assert again.status_code == 400 and "username" in fields_of(again.json())
    taken_by_city = register(api, username="rennes")
    assert taken_by_city.status_code == 400 and "username" in fields_of(taken_by_city.json())
    assert User.objects.count() == 1


def test_malformed_json_is_a_400_with_a_message(api):
    response = api.post("/api/v1/auth/register/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert "detail" in response.json()


def test_login_gives_several_tokens_and_logout_kills_only_that_one(api, alice):
    first = api.post("/api/v1/auth/token/", {"username": "alice", "password": "correct horse battery staple"}, format="json")
    second = api.post("/api/v1/auth/token/", {"username": "alice", "password": "correct horse battery staple"}, format="json")
    assert first.status_code == second.status_code == 200
    token_one, token_two = first.json()["token"], second.json()["token"]
    assert token_one != token_two

    api.credentials(HTTP_AUTHORIZATION=f"Token {token_one}")
    assert api.delete("/api/v1/auth/token/").status_code == 204
    assert api.get("/api/v1/me/").status_code == 401

    api.credentials(HTTP_AUTHORIZATION=f"Token {token_two}")
    assert api.get("/api/v1/me/").status_code == 200


def test_tokens_are_hashed_at_rest(api, alice):
    from knox.models import AuthToken

    token = api.post("/api/v1/auth/token/", {"username": "alice", "password": "correct horse battery staple"}, format="json").json()["token"]
    stored = AuthToken.objects.get(user=alice.user)
    assert token not in (stored.digest, stored.token_key)


def test_wrong_password_is_refused(api, alice):
    response = api.post("/api/v1/auth/token/", {"username": "alice", "password": "nope"}, format="json")
    assert response.status_code in (400, 401)
    assert "detail" in response.json()


def test_me_needs_a_token(api):
    assert api.get("/api/v1/me/").status_code == 401
    assert api.patch("/api/v1/me/", {"name": "x"}, format="json").status_code == 401


def test_patch_me_edits_profile_and_tags(alice_api, quebec):
    response = alice_api.patch(
        "/api/v1/me/",
        {"headline": "Designer", "skills": ["design-ux", "python"], "city": "quebec", "country": "CA"},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = alice_api.get("/api/v1/me/").json()
    assert body["headline"] == "Designer"
    assert body["skills"] == ["design-ux", "python"]
    assert body["city"] == "quebec"
    assert body["country"] == "CA"


@pytest.mark.parametrize(
    "body",
    [{"country": "XX"}, {"skills": "python"}, {"skills": ["not a slug!"]}, {"headline": "h" * 201}, {"organization_type": "startup"}],
)
def test_patch_me_refuses_bad_input_and_changes_nothing(alice_api, alice, body):
    response = alice_api.patch("/api/v1/me/", body, format="json")
    assert response.status_code == 400
    assert set(body) & fields_of(response.json())
    alice.refresh_from_db()
    assert alice.headline == "" and alice.country == "FR" and not alice.skills.exists()


def test_errors_speak_english_when_asked_and_french_by_default(api):
    french = api.get("/api/v1/me/")
    english = api.get("/api/v1/me/", HTTP_ACCEPT_LANGUAGE="en")
    assert "authentification" in french.json()["detail"].lower()
    assert "authentication" in english.json()["detail"].lower()


def test_our_own_messages_are_translated(alice_api, bob):
    from tests.conftest import client_for

    french = client_for(bob).patch("/api/v1/actors/alice/", {"bio": "x"}, format="json")
    english = client_for(bob).patch("/api/v1/actors/alice/", {"bio": "x"}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert french.json()["detail"] == "Vous ne pouvez pas modifier ce profil."
    assert english.json()["detail"] == "You may not edit this profile."


def test_an_expired_token_is_refused_and_removed(api, alice):
    from datetime import timedelta

    from django.utils import timezone
    from knox.models import AuthToken

    instance, token = AuthToken.objects.create(alice.user, expiry=timedelta(hours=1))
    AuthToken.objects.filter(pk=instance.pk).update(expiry=timezone.now() - timedelta(seconds=1))
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/v1/me/").status_code == 401
    assert not AuthToken.objects.filter(pk=instance.pk).exists()


@pytest.mark.parametrize("token", ["x" * 64, "é" * 10, "\x7f" * 70, "0" * 8])
def test_a_token_that_is_not_one_of_ours_is_a_401(api, alice, token):
    from tests.conftest import token_for

    token_for(alice)  # a real token exists, so the key lookup has something to compare against
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = api.get("/api/v1/me/")
    assert response.status_code == 401
    assert "detail" in response.json()


def test_a_token_request_loads_user_and_actor_in_one_query(alice):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from novosphere.api.authentication import TokenAuthentication
    from tests.conftest import token_for

    token = token_for(alice)
    for _other in range(3):
        token_for(alice)  # knox's own check reads all of them on every request
    with CaptureQueriesContext(connection) as queries:
        user, _auth_token = TokenAuthentication().authenticate_credentials(token.encode())
        assert user.actor.handle == "alice"
    assert len(queries) == 1, [q["sql"] for q in queries]


def test_the_schema_documents_the_token_scheme(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    scheme = schema["components"]["securitySchemes"]["knoxApiToken"]
    assert scheme["in"] == "header" and scheme["name"] == "Authorization"
    me = schema["paths"]["/api/v1/me/"]["get"]
    assert {"knoxApiToken": []} in me["security"]
