"""Helpers for the feeds tests: writes whose after-commit work really runs."""

import pytest

from feeds import services
from profiles.models import Actor
from tests.conftest import client_for, make_person


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run a write, then its after-commit work (the fan-out), as a real request would.

    Tests run inside a transaction that never commits; this runs the callbacks
    that the write registered when it ends.
    """

    def run(write, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return write(*args, **kwargs)

    return run


@pytest.fixture
def carol(rennes):
    return make_person("carol", rennes)


@pytest.fixture
def carol_api(carol):
    return client_for(carol)


def post_update(actor: Actor, **kwargs):
    """An activity on the actor's own stream (what any service's write would record)."""
    return services.record(actor=actor, type="Update", object=actor, **kwargs)


def feed(client, **params) -> dict:
    response = client.get("/api/v1/feed/", params)
    assert response.status_code == 200, response.content
    return response.json()


def feed_ids(client, **params) -> list[str]:
    return [activity["id"] for activity in feed(client, **params)["results"]]


def all_pages(client, path: str = "/api/v1/feed/", limit: int = 100) -> list[str]:
    ids, cursor = [], None
    while True:
        params = {"limit": limit, **({"before": cursor} if cursor else {})}
        body = client.get(path, params).json()
        ids += [activity["id"] for activity in body["results"]]
        cursor = body["next"]
        if cursor is None:
            return ids
