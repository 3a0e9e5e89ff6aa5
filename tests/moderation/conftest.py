"""Moderation fixtures: a moderator (a staff account), and writes whose after-commit work runs."""

import pytest

from profiles.models import User
from tests.conftest import client_for, make_person
from tests.projects.helpers import create_project, open_request


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run a write, then its after-commit work (fan-out, search sync, pushes), as a real request would."""

    def run(write, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return write(*args, **kwargs)

    return run


@pytest.fixture
def moderator(db) -> User:
    return User.objects.create_user(username="modo", password="correct horse battery staple", is_staff=True)


@pytest.fixture
def moderator_api(moderator):
    from knox.models import AuthToken
    from rest_framework.test import APIClient

    _instance, token = AuthToken.objects.create(moderator)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


@pytest.fixture
def carol(rennes):
    return make_person("carol", rennes)


@pytest.fixture
def carol_api(carol):
    return client_for(carol)


def post(client, path: str, body: dict | None = None):
    return client.post(path, body or {}, format="json")


def published_project(committed, client, **overrides) -> dict:
    return committed(create_project, client, **overrides)


def published_request(committed, client, **overrides) -> dict:
    return committed(open_request, client, **overrides)


def feed_ids(client) -> list[str]:
    response = client.get("/api/v1/feed/?limit=100")
    assert response.status_code == 200, response.content
    return [activity["id"] for activity in response.json()["results"]]


def feed_objects(client) -> list[tuple[str, str]]:
    response = client.get("/api/v1/feed/?limit=100")
    assert response.status_code == 200, response.content
    return [(a["object"]["type"], str(a["object"]["id"])) for a in response.json()["results"]]


def notification_reasons(client) -> list[tuple[str, str]]:
    """(reason, actor handle) of each notification the caller is shown."""
    response = client.get("/api/v1/notifications/")
    assert response.status_code == 200, response.content
    return [(n["reason"], n["activity"]["actor"]["handle"]) for n in response.json()["results"]]
