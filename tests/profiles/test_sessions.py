import pytest
from knox.models import AuthToken
from rest_framework.test import APIClient

from novosphere.models import AuditEntry
from tests.conftest import fields_of

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def test_session_login_rotates_the_key_and_writes_need_csrf(alice):
    browser = APIClient(enforce_csrf_checks=True)
    browser.cookies["sessionid"] = "planted-by-an-attacker"
    response = browser.post("/api/v1/auth/session/", {"username": "alice", "password": PASSWORD}, format="json")
    assert response.status_code == 200 and response.json()["handle"] == "alice"
    assert browser.cookies["sessionid"].value != "planted-by-an-attacker"
    assert browser.get("/api/v1/me/").status_code == 200
    refused = browser.patch("/api/v1/me/", {"headline": "csrf"}, format="json")
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    csrf = browser.cookies["csrftoken"].value
    allowed = browser.patch("/api/v1/me/", {"headline": "ok"}, format="json", HTTP_X_CSRFTOKEN=csrf)
    assert allowed.status_code == 200
    alice.refresh_from_db()
    assert alice.headline == "ok"


def test_password_change_ends_other_tokens_and_sessions(alice, alice_api):
    browser = APIClient()
    browser.post("/api/v1/auth/session/", {"username": "alice", "password": PASSWORD}, format="json")
    other = APIClient()
    other_token = other.post("/api/v1/auth/token/", {"username": "alice", "password": PASSWORD}, format="json").json()["token"]
    other.credentials(HTTP_AUTHORIZATION=f"Token {other_token}")

    changed = alice_api.post(
        "/api/v1/auth/password/", {"old_password": PASSWORD, "new_password": "a brand new passphrase"}, format="json"
    )
    assert changed.status_code == 200
    assert other.get("/api/v1/me/").status_code == 401
    assert alice_api.get("/api/v1/me/").status_code == 401
    assert browser.get("/api/v1/me/").status_code in (401, 403)
    fresh = APIClient()
    fresh.credentials(HTTP_AUTHORIZATION=f"Token {changed.json()['token']}")
    assert fresh.get("/api/v1/me/").status_code == 200
    assert AuthToken.objects.filter(user=alice.user).count() == 1
    assert AuditEntry.objects.filter(action="password.change").exists()


def test_password_change_refuses_a_wrong_old_password_or_a_weak_new_one(alice, alice_api):
    wrong = alice_api.post("/api/v1/auth/password/", {"old_password": "nope", "new_password": "a brand new passphrase"}, format="json")
    weak = alice_api.post("/api/v1/auth/password/", {"old_password": PASSWORD, "new_password": "123"}, format="json")
    assert wrong.status_code == 400 and "old_password" in fields_of(wrong.json())
    assert weak.status_code == 400 and "new_password" in fields_of(weak.json())
    alice.user.refresh_from_db()
    assert alice.user.check_password(PASSWORD)
    assert alice_api.get("/api/v1/me/").status_code == 200


def test_a_session_logout_ends_the_session_before_open_sockets_recheck_it(alice):
    # The sockets' recheck is asked for inside Django's user_logged_out, which Django sends
    # before it ends the session: a socket rechecking at once must already find it gone.
    from django.contrib.auth.signals import user_logged_out
    from django.contrib.sessions.models import Session

    seen = []

    def session_still_there(sender, request, user, **kwargs):
        seen.append(Session.objects.filter(session_key=browser.cookies["sessionid"].value).exists())

    browser = APIClient()
    browser.post("/api/v1/auth/session/", {"username": "alice", "password": PASSWORD}, format="json")
    user_logged_out.connect(session_still_there)  # after ours, which asks for the recheck
    try:
        assert browser.delete("/api/v1/auth/session/").status_code == 204
    finally:
        user_logged_out.disconnect(session_still_there)
    assert seen == [False]
