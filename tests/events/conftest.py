"""Fixtures for events: an organization administered by an organizer, and a way to post events."""

import pytest

from tests.conftest import client_for, make_admin, make_org, make_person


@pytest.fixture
def cantine(rennes):
    return make_org("cantine", rennes)


@pytest.fixture
def organizer(rennes, cantine):
    """A person who administers the Cantine."""
    person = make_person("orga", rennes)
    make_admin(person, cantine)
    return person


@pytest.fixture
def organizer_api(organizer):
    return client_for(organizer)


def event_body(**overrides) -> dict:
    body = {
        "title": "Apéro numérique",
        "description": "Venez **nombreux**",
        "kind": "meetup",
        "organizers": ["cantine"],
        "city": "rennes",
        "venue": {"name": "La Cantine", "address": "1 rue de Rennes", "latitude": 48.11, "longitude": -1.68},
        "start": "2027-03-04T19:00:00+01:00",
        "end": "2027-03-04T21:00:00+01:00",
        "timezone": "Europe/Paris",
        "sectors": ["numerique-responsable"],
    }
    body.update(overrides)
    return body


@pytest.fixture
def post_event(organizer_api):
    def post(client=None, expect=201, **overrides):
        response = (client or organizer_api).post("/api/v1/events/", event_body(**overrides), format="json")
        assert response.status_code == expect, response.content
        return response.json()

    return post
