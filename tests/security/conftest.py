"""A shared world of hidden things for the security properties.

Everything is made through the HTTP API with after-commit work run, so the
activities, notifications, timelines and search index hold what a real
deployment would hold; the properties then check that nothing hidden shows.
"""

from dataclasses import dataclass, field

import pytest
from rest_framework.test import APIClient

from profiles.models import Actor, Membership
from tests.conftest import (
    client_for,
    invite_and_accept,
    make_admin,
    make_city,
    make_org,
    make_person,
)

# A word that appears only in hidden things: if a surface shows it to someone
# without access, that surface leaks.
SECRET = "zephyrine"
# A word that appears only in members-only things: signed-in people see it, anonymous callers do not.
MEMBERS_ONLY = "quillon"
# A word in every project's summary, to compare counts and facets.
SHARED = "capteurs"


@dataclass
class World:
    owner: Actor
    member: Actor
    outsider: Actor
    clients: dict = field(default_factory=dict)  # "anonymous", "outsider", "member" -> APIClient
    private_project: str = ""
    members_project: str = ""
    private_request: int = 0
    private_event: str = ""
    members_event: str = ""
    suspended: str = ""
    suspended_city: str = ""
    public_project: str = ""


def _ok(response, code=201):
    assert response.status_code == code, response.content
    return response.json()


@pytest.fixture
def world(db, django_capture_on_commit_callbacks, rennes) -> World:
    cantine = make_org("cantine", rennes)
    owner = make_person("alice", rennes)
    member = make_person("dora", rennes)
    outsider = make_person("eve", rennes)
    make_admin(owner, cantine)
    Membership.objects.create(person=member, group=cantine, role=Membership.Role.MEMBER)
    owner_api, member_api, outsider_api = client_for(owner), client_for(member), client_for(outsider)

    with django_capture_on_commit_callbacks(execute=True):
        # The outsider follows everyone involved, so a leak would reach their feed.
        for target in ("alice", "rennes", "cantine", "dora"):
            _ok(outsider_api.post(f"/api/v1/actors/{target}/follow/"), 200)
        _ok(member_api.post("/api/v1/actors/alice/follow/"), 200)

    def project(title, visibility, word):
        with django_capture_on_commit_callbacks(execute=True):
            body = {"title": title, "summary": f"{word} {SHARED}", "stage": "idea", "city": "rennes",
                    "visibility": visibility, "sectors": ["sante"], "needs": {"skills": ["iot"], "text": ""}}
            slug = _ok(owner_api.post("/api/v1/projects/", body, format="json"))["slug"]
            _ok(invite_and_accept(owner_api, f"/api/v1/projects/{slug}/members/", "dora", "contributor"))
            _ok(owner_api.post(f"/api/v1/projects/{slug}/updates/", {"body": f"{word} news"}, format="json"))
        return slug

    def event(title, visibility, day, word):
        with django_capture_on_commit_callbacks(execute=True):
            body = {
                "title": title, "description": f"{word} agenda", "kind": "meetup", "organizers": ["cantine"],
                "city": "rennes", "visibility": visibility,
                "venue": {"name": "Cantine", "address": "1 rue", "latitude": 48.11, "longitude": -1.68},
                "start": f"2027-03-0{day}T19:00:00+01:00", "end": f"2027-03-0{day}T21:00:00+01:00",
                "timezone": "Europe/Paris", "sectors": ["sante"],
            }
            return _ok(owner_api.post("/api/v1/events/", body, format="json"))["slug"]

    world = World(owner=owner, member=member, outsider=outsider)
    world.private_project = project(f"{SECRET} privé", "private", SECRET)
    world.members_project = project(f"{MEMBERS_ONLY} membres", "members", MEMBERS_ONLY)
    world.public_project = project("Atelier ouvert", "public", "ouvert")
    with django_capture_on_commit_callbacks(execute=True):
        world.private_request = _ok(owner_api.post("/api/v1/collaborations/", {
            "title": f"{SECRET} demande", "message": "Confidentiel", "kind": "partnership",
            "from_project": world.private_project, "to_actor": "cantine",
            "needs": {"skills": ["iot"], "sectors": ["sante"]}, "deadline": "2030-01-01T00:00:00+00:00",
        }, format="json"))["id"]
    world.private_event = event(f"{SECRET} privé", "private", 4, SECRET)
    world.members_event = event(f"{MEMBERS_ONLY} membres", "members", 5, MEMBERS_ONLY)

    ghost = make_person("ghost", rennes, headline=SECRET, suspended=True)
    world.suspended = ghost.handle
    world.suspended_city = make_city("atlantis", SECRET, suspended=True).handle
    world.clients = {"anonymous": APIClient(), "outsider": outsider_api, "member": member_api, "owner": owner_api}
    return world


# --- The same properties over a real Daphne and real websockets ------------------

WS_CONNECTS_PER_DAY = 12  # low enough for a test to reach; no other test connects one person this often


@pytest.fixture(scope="package")
def daphne():
    """One Daphne for the websocket properties, on its own database, with a reachable connect limit."""
    from tests.e2e.server import Daphne, Database

    database = Database()
    server = Daphne(database, env={"TEST_RATE_LIMIT_WS_CONNECT": f"{WS_CONNECTS_PER_DAY}/day"})
    yield server
    server.stop()
    database.drop()
