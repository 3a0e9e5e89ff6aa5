"""Property 6, the parts tests/profiles/test_sessions.py leaves open: a session key that
exists on the server (an attacker's own anonymous session, planted in a victim's browser)
is replaced at login, and a cookie-authenticated write without the CSRF token changes nothing."""

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def test_login_replaces_a_planted_session_that_exists(alice):
    planted = SessionStore()
    planted["set_by"] = "attacker"
    planted.create()
    browser = APIClient(enforce_csrf_checks=True)
    browser.cookies["sessionid"] = planted.session_key
    response = browser.post("/api/v1/auth/session/", {"username": "alice", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    assert browser.cookies["sessionid"].value != planted.session_key
    # The attacker's copy of the key opens nothing: that session is gone.
    assert not Session.objects.filter(session_key=planted.session_key).exists()
    attacker = APIClient()
    attacker.cookies["sessionid"] = planted.session_key
    assert attacker.get("/api/v1/me/").status_code in (401, 403)


@pytest.mark.parametrize("method,path,body", [
    ("patch", "/api/v1/me/", {"headline": "forged"}),
    ("post", "/api/v1/projects/", {"title": "forged"}),
    ("post", "/api/v1/actors/bob/follow/", None),
    ("delete", "/api/v1/auth/session/", None),
])
def test_cookie_writes_without_the_csrf_token_are_refused_and_change_nothing(alice, bob, method, path, body):
    from feeds.models import Follow
    from projects.models import Project

    browser = APIClient(enforce_csrf_checks=True)
    assert browser.post("/api/v1/auth/session/", {"username": "alice", "password": PASSWORD},
                        format="json").status_code == 200
    refused = getattr(browser, method)(path, body, format="json")
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    alice.refresh_from_db()
    assert alice.headline != "forged" and not Project.objects.exists() and not Follow.objects.exists()
    assert browser.get("/api/v1/me/").status_code == 200  # still signed in: the logout was refused too
