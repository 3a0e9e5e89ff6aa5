"""The map's per-city actor counts (`CityActorCount`) stay what a count of the actors would say.

`cluster=city` reads the counts; the same clusters with a sector filter still count the
actors one by one, which is the reference each test compares against after each write.
"""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db.models import Count

from accounts.services import erase_account
from events import map as event_map
from novosphere import kinds
from profiles.models import Actor, CityActorCount, User
from profiles.selectors import signed_in_stranger, visible_actors_per_city
from profiles.services import (
    create_group_actor,
    delete_actor,
    recount_cities,
    register_person,
    set_suspended,
    update_actor,
)
from tests.conftest import client_for, make_admin, make_city, make_org, make_person

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


@pytest.fixture
def moderator(db) -> User:
    return User.objects.create_user(username="modo", password=PASSWORD, is_staff=True)


def counted(client, query: str = "") -> dict[str, dict]:
    """{city handle: counts} of `cluster=city`, as a client reads it."""
    response = client.get(f"/api/v1/map/?cluster=city&type=actor{query}")
    assert response.status_code == 200, response.content
    return {f["properties"]["id"]: f["properties"]["counts"] for f in response.json()["features"]}


def scanned(viewer=None, kind: str | None = None) -> dict[str, dict]:
    """The same clusters from a count of the visible actors themselves (no counters)."""
    actors = event_map._filtered(
        "actor", event_map.actors_on_map(viewer or AnonymousUser()), kind=kind, sector=None, city_ids=None, bbox=None
    )
    found = dict(actors.order_by().values_list("map_city").annotate(n=Count("pk")))
    cities = Actor.objects.filter(pk__in=[pk for pk in found if pk is not None], latitude__isnull=False,
                                  longitude__isnull=False, suspended=False)
    return {city.handle: {"actor": found[city.pk]} for city in cities}


def assert_counts_right(api):
    assert counted(api) == scanned()
    assert counted(api, "&kind=organization") == scanned(kind="organization")


def test_counts_follow_creation_suspension_and_reinstatement(api, rennes, quebec, moderator):
    make_org("cantine", rennes)
    make_person("alice", rennes)
    assert counted(api) == {"rennes": {"actor": 3}, "quebec": {"actor": 1}} == scanned()
    _user, bob = register_person(username="bob", password=PASSWORD, email="bob@example.org", name="Bob", city=quebec)
    assert counted(api)["quebec"] == {"actor": 2}

    set_suspended(actors=[bob], suspended=True, moderator=moderator)
    assert counted(api)["quebec"] == {"actor": 1}
    assert_counts_right(api)
    set_suspended(actors=[bob], suspended=False, moderator=moderator)
    assert counted(api)["quebec"] == {"actor": 2}
    # A suspended city names no cluster (see below); reinstated, it counts its residents again.
    set_suspended(actors=[quebec], suspended=True, moderator=moderator)
    assert "quebec" not in counted(api)
    assert_counts_right(api)
    set_suspended(actors=[quebec], suspended=False, moderator=moderator)
    assert counted(api)["quebec"] == {"actor": 2} == scanned()["quebec"]


def test_counts_follow_a_move_to_another_city(api, rennes, quebec):
    alice = make_person("alice", rennes)
    cantine = make_org("cantine", rennes)
    make_admin(alice, cantine)
    update_actor(actor=alice, editor=alice.user, city=quebec)
    assert counted(api) == {"rennes": {"actor": 2}, "quebec": {"actor": 2}}
    update_actor(actor=cantine, editor=alice.user, city=quebec)
    assert counted(api) == {"rennes": {"actor": 1}, "quebec": {"actor": 3}}
    update_actor(actor=cantine, editor=alice.user, city=None)
    assert counted(api) == {"rennes": {"actor": 1}, "quebec": {"actor": 2}}
    assert_counts_right(api)


def test_counts_follow_erasure_and_deletion(api, rennes):
    alice = make_person("alice", rennes)
    carol = make_person("carol", rennes)
    cantine = create_group_actor(creator=carol.user, kind="organization", handle="cantine", name="Cantine",
                                 city=rennes)
    assert counted(api) == {"rennes": {"actor": 4}}
    erase_account(user=alice.user, password=PASSWORD)
    assert counted(api) == {"rennes": {"actor": 3}}
    delete_actor(actor=cantine, editor=carol.user)
    assert counted(api) == {"rennes": {"actor": 2}}
    assert_counts_right(api)


def test_a_new_city_counts_itself_and_a_deleted_one_takes_its_counts(api, rennes):
    alice = make_person("alice", rennes)
    nantes = create_group_actor(creator=alice.user, kind="city", handle="nantes", name="Nantes",
                                latitude=47.218, longitude=-1.553)
    assert counted(api)["nantes"] == {"actor": 1}
    make_org("stereolux", nantes)
    assert counted(api)["nantes"] == {"actor": 2}
    delete_actor(actor=nantes, editor=alice.user)
    assert "nantes" not in counted(api)
    assert not CityActorCount.objects.filter(city_id=nantes.pk).exists()
    assert_counts_right(api)


def test_recounting_everything_matches_a_count(api, rennes, quebec):
    for index in range(5):
        make_org(f"org-{index}", rennes if index % 2 else quebec)
    CityActorCount.objects.all().delete()
    recount_cities()
    assert counted(api) == scanned() == {"rennes": {"actor": 3}, "quebec": {"actor": 4}}


def test_every_viewer_sees_the_same_counts(api, rennes, quebec):
    """The counts are kept once for everyone: the actor kind says its rule is the same for every
    viewer, and it is (anonymous, a signed-in stranger, a person, a staff member)."""
    alice = make_person("alice", rennes)
    staff = make_person("staff", quebec)
    staff.user.is_staff = True
    staff.user.save()
    actor_kind = kinds.kind_named("actor")
    assert actor_kind.same_for_every_viewer
    everyone = set(actor_kind.visible_to(AnonymousUser()).values_list("pk", flat=True))
    for viewer in (signed_in_stranger(), alice.user, staff.user):
        assert set(actor_kind.visible_to(viewer).values_list("pk", flat=True)) == everyone
    assert counted(client_for(alice)) == counted(client_for(staff)) == counted(api) == scanned(alice.user)


def test_counted_clusters_keep_their_filters(api, rennes, quebec):
    make_org("cantine", rennes)
    make_person("alice", quebec)
    assert visible_actors_per_city(city_ids={rennes.pk}) == {rennes.pk: (2, "rennes", "Rennes", -1.6778, 48.1173)}
    assert counted(api, "&city=quebec") == {"quebec": {"actor": 2}}
    assert counted(api, "&kind=person") == {"quebec": {"actor": 1}}
    assert counted(api, "&kind=meetup") == {}


def test_a_city_without_coordinates_has_no_cluster(api):
    nowhere = make_city("nowhere")
    make_org("lost", nowhere)
    assert counted(api) == {} == scanned()


def test_a_suspended_city_names_no_cluster_though_its_residents_stay_visible(api, rennes, quebec, moderator):
    make_person("dora", rennes)
    make_person("eve", quebec)
    assert set(counted(api)) == {"rennes", "quebec"}
    set_suspended(actors=[rennes], suspended=True, moderator=moderator, reason="test")
    for query in ("", "&kind=person", "&sector=numerique"):
        assert "rennes" not in counted(api, query)
    assert "quebec" in counted(api)
    body = api.get("/api/v1/map/?cluster=city").content.decode()
    assert "Rennes" not in body and "rennes" not in body
    assert_counts_right(api)
