"""GET /api/v1/projects/{slug}/ answers what `ProjectSerializer` gives, in few queries, for each viewer."""

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext

from profiles.models import Actor
from projects.models import Project
from projects.serializers import ProjectSerializer
from projects.views import projects_for
from tests.conftest import client_for, make_admin, make_org, make_person
from tests.projects.helpers import add_member, create_project

pytestmark = pytest.mark.django_db


def drf_answer(project: dict, user) -> dict:
    """The answer as the serializer of lists and writes gives it, for `user`."""
    fresh = projects_for(SimpleNamespace(user=user)).get(slug=project["slug"])
    return dict(ProjectSerializer(fresh).data)


@pytest.fixture
def world(alice, bob, rennes):
    alice_api = client_for(alice)
    carol = make_person("carol", rennes)
    lab = make_org("lab", rennes)
    make_admin(alice, lab)
    projects = SimpleNamespace(
        public=create_project(alice_api, title="Capteurs", city="rennes"),
        members=create_project(alice_api, title="Entre nous", visibility="members", sectors=[], needs={}),
        private=create_project(alice_api, title="Secret", visibility="private", owner="lab"),
    )
    add_member(alice_api, projects.private["slug"], "carol")
    Project.objects.filter(slug=projects.private["slug"]).update(city=None)  # a project of no city
    assert client_for(bob).post(f"/api/v1/projects/{projects.public['slug']}/follow/").status_code == 200
    return SimpleNamespace(alice=alice, bob=bob, carol=carol, projects=projects)


def viewers(api, world):
    return {
        "anonymous": (api, AnonymousUser()), "alice": (client_for(world.alice), world.alice.user),
        "bob": (client_for(world.bob), world.bob.user), "carol": (client_for(world.carol), world.carol.user),
    }


def test_each_viewer_gets_what_the_serializer_gives_or_a_404(api, world):
    seen = {
        "public": {"anonymous", "alice", "bob", "carol"}, "members": {"alice", "bob", "carol"},
        "private": {"alice", "carol"},
    }
    for name, project in vars(world.projects).items():
        for viewer, (client, user) in viewers(api, world).items():
            response = client.get(f"/api/v1/projects/{project['slug']}/")
            if viewer not in seen[name]:
                assert response.status_code == 404 and "detail" in response.json(), (name, viewer)
                continue
            assert response.status_code == 200, (name, viewer)
            assert response.json() == drf_answer(project, user), (name, viewer)
            assert list(response.json()) == ProjectSerializer.Meta.fields


def test_tags_owner_and_follows_come_out_per_viewer(api, world):
    slug = world.projects.public["slug"]
    body = client_for(world.bob).get(f"/api/v1/projects/{slug.upper()}/").json()
    assert body["sectors"] == ["sante", "smart-city"] and body["needs"]["skills"] == ["iot", "python"]
    assert body["owner"] == "alice" and body["city"] == "rennes" and body["is_following"] is True
    assert client_for(world.carol).get(f"/api/v1/projects/{slug}/").json()["is_following"] is False
    assert api.get(f"/api/v1/projects/{slug}/").json()["is_following"] is False
    private = client_for(world.carol).get(f"/api/v1/projects/{world.projects.private['slug']}/").json()
    assert private["owner"] == "lab" and private["city"] is None


def test_hidden_projects_and_suspended_owners_are_unknown(api, world):
    Project.objects.filter(slug=world.projects.members["slug"]).update(hidden=True)
    Actor.objects.filter(handle="lab").update(suspended=True)
    for client, _user in viewers(api, world).values():
        for slug in (world.projects.members["slug"], world.projects.private["slug"], "nothing-here"):
            assert client.get(f"/api/v1/projects/{slug}/").status_code == 404


def test_the_page_reads_the_project_then_its_tags(api, world):
    slug = world.projects.public["slug"]
    bob_api = client_for(world.bob)
    for client in (bob_api, api):
        client.get(f"/api/v1/projects/{slug}/")
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/api/v1/projects/{slug}/").status_code == 200
        # The caller's token (signed-in only), the project with its owner, city and follow, its tags.
        reads = [q["sql"] for q in queries.captured_queries if q["sql"].lstrip("( ").upper().startswith("SELECT")]
        assert len(reads) == (3 if client is bob_api else 2), reads
