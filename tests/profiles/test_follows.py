import pytest

from feeds.models import Follow, Notification
from tests.conftest import client_for, make_person

pytestmark = pytest.mark.django_db


def test_follow_is_idempotent_and_counts(alice_api, alice, bob):
    first = alice_api.post("/api/v1/actors/bob/follow/")
    again = alice_api.post("/api/v1/actors/bob/follow/")
    assert first.status_code == again.status_code == 200
    assert again.json() == {"is_following": True, "followers_count": 1}
    bob_view = alice_api.get("/api/v1/actors/bob/").json()
    assert bob_view["followers_count"] == 1 and bob_view["is_following"] is True
    assert alice_api.get("/api/v1/actors/alice/").json()["following_count"] == 1
    assert Follow.objects.count() == 1


def test_unfollow_is_idempotent(alice_api, alice, bob):
    alice_api.post("/api/v1/actors/bob/follow/")
    assert alice_api.delete("/api/v1/actors/bob/follow/").json() == {"is_following": False, "followers_count": 0}
    assert alice_api.delete("/api/v1/actors/bob/follow/").json() == {"is_following": False, "followers_count": 0}
    assert alice_api.get("/api/v1/actors/alice/").json()["following_count"] == 0


def test_following_a_person_notifies_them(alice_api, bob):
    alice_api.post("/api/v1/actors/bob/follow/")
    notification = Notification.objects.get(recipient=bob)
    assert notification.reason == "followed"
    assert notification.activity.type == "Follow"


def test_cannot_follow_oneself(alice_api):
    response = alice_api.post("/api/v1/actors/alice/follow/")
    assert response.status_code == 400
    assert not Follow.objects.exists()


def test_followers_and_following_are_paginated_newest_first(api, rennes, alice):
    people = [make_person(f"fan{index:02d}", rennes) for index in range(23)]
    for person in people:
        client_for(person).post("/api/v1/actors/alice/follow/")
    page = api.get("/api/v1/actors/alice/followers/").json()
    assert page["count"] == 23
    assert page["results"][0]["handle"] == "fan22"
    rest = api.get(page["next"]).json()["results"]
    assert {p["handle"] for p in page["results"] + rest} == {p.handle for p in people}
    assert [a["handle"] for a in api.get("/api/v1/actors/fan00/following/").json()["results"]] == ["alice"]


def test_follow_unknown_actor_is_404(alice_api):
    assert alice_api.post("/api/v1/actors/ghost/follow/").status_code == 404


def test_is_following_is_per_caller(alice_api, bob_api, rennes):
    alice_api.post("/api/v1/actors/rennes/follow/")
    assert alice_api.get("/api/v1/cities/rennes/").json()["is_following"] is True
    assert bob_api.get("/api/v1/cities/rennes/").json()["is_following"] is False
    listed = {a["handle"]: a["is_following"] for a in alice_api.get("/api/v1/actors/?kind=city").json()["results"]}
    assert listed == {"rennes": True}
