"""GET /api/v1/actors/{handle}/ answers what `ActorSerializer` gives, in few queries, for each viewer."""

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext

from feeds import services as follows
from profiles.serializers import ActorSerializer
from profiles.views import actors_for
from tests.conftest import client_for, link_cities, make_city, make_org, make_person

pytestmark = pytest.mark.django_db


def drf_answer(actor, user) -> dict:
    """The answer as the serializer of lists and writes gives it, for `user`."""
    fresh = actors_for(SimpleNamespace(user=user)).get(pk=actor.pk)
    return dict(ActorSerializer(fresh).data)


@pytest.fixture
def world(rennes, quebec):
    alice = make_person("alice", rennes, headline="Data", bio="Bio")
    for kind, slugs in (("skills", ["python", "django"]), ("sectors", ["sante"]), ("interests", ["velo", "art"])):
        for slug in slugs:
            getattr(alice, kind).get_or_create(slug=slug)
    bob = make_person("bob", quebec)
    cantine = make_org("cantine", organization_type="lab", latitude=48.11, longitude=-1.67)
    cantine.country = ""  # an actor with no country and no city
    cantine.save()
    nantes, brest = make_city("nantes", "Nantes"), make_city("brest", "Brest")
    link_cities(rennes, quebec)
    link_cities(nantes, rennes)
    link_cities(rennes, brest, accepted=False)
    lyon = make_city("lyon", "Lyon")
    link_cities(lyon, rennes)
    lyon.suspended = True
    lyon.save()
    follows.follow(follower=bob, target=alice)
    follows.follow(follower=bob, target=rennes)
    return SimpleNamespace(alice=alice, bob=bob, cantine=cantine, rennes=rennes, quebec=quebec)


def test_each_viewer_gets_what_the_serializer_gives(api, world):
    viewers = [(api, AnonymousUser()), (client_for(world.bob), world.bob.user), (client_for(world.alice), world.alice.user)]
    for actor in (world.alice, world.bob, world.cantine, world.rennes, world.quebec):
        for client, user in viewers:
            response = client.get(f"/api/v1/actors/{actor.handle}/")
            assert response.status_code == 200
            assert response.json() == drf_answer(actor, user), (actor.handle, user)
            assert list(response.json()) == ActorSerializer.Meta.fields


def test_tags_peers_and_follows_come_out_per_actor_and_viewer(api, world):
    bob_api, alice_api = client_for(world.bob), client_for(world.alice)
    alice = bob_api.get("/api/v1/actors/alice/").json()
    assert (alice["skills"], alice["sectors"], alice["interests"]) == (["django", "python"], ["sante"], ["art", "velo"])
    assert alice["peers"] == [] and alice["is_following"] is True and alice["city"] == "rennes"
    assert alice_api.get("/api/v1/actors/alice/").json()["is_following"] is False
    rennes = alice_api.get("/api/v1/actors/Rennes/").json()
    # Accepted links either way; not the pending one, nor the suspended city's.
    assert rennes["peers"] == ["nantes", "quebec"] and rennes["is_following"] is False and rennes["verified"] is False
    assert bob_api.get("/api/v1/actors/rennes/").json()["is_following"] is True
    assert api.get("/api/v1/actors/rennes/").json()["is_following"] is False
    assert bob_api.get("/api/v1/actors/cantine/").json()["skills"] == []


def test_hidden_actors_are_unknown_to_the_page(api, world):
    world.alice.suspended = True
    world.alice.save()
    for client in (api, client_for(world.bob)):
        assert client.get("/api/v1/actors/alice/").status_code == 404
        assert client.get("/api/v1/actors/lyon/").status_code == 404
        assert client.get("/api/v1/actors/nobody/").status_code == 404


def test_the_page_reads_the_actor_then_its_tags_and_peers(api, world):
    bob_api = client_for(world.bob)
    bob_api.get("/api/v1/actors/alice/")
    for client in (bob_api, api):
        for handle in ("alice", "rennes"):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(f"/api/v1/actors/{handle}/").status_code == 200
            # The caller's token (signed-in only), the actor with its city and follow, its tags and peers.
            reads = [q["sql"] for q in queries.captured_queries if q["sql"].lstrip("( ").upper().startswith("SELECT")]
            assert len(reads) == (3 if client is bob_api else 2), reads
