"""A person blocks another person or an organization: nothing of theirs reaches the blocker, on any path."""

import pytest

from feeds.models import Activity, Follow, Notification
from feeds.selectors import MANY_BLOCKS
from moderation.models import Block
from novosphere.models import AuditEntry
from profiles.models import Actor
from tests.conftest import indexed, make_org
from tests.moderation.conftest import (
    feed_ids,
    notification_reasons,
    post,
    published_project,
    published_request,
)
from tests.projects.helpers import respond_to

pytestmark = pytest.mark.django_db


def block(client, handle: str):
    return post(client, f"/api/v1/actors/{handle}/block/")


def stream_actors(client, path: str) -> list[str]:
    response = client.get(path)
    assert response.status_code == 200, response.content
    return [a["actor"]["handle"] for a in response.json()["results"]]


def test_block_and_unblock_are_harmless_to_repeat_listed_and_audited(committed, alice, alice_api, bob):
    assert committed(block, alice_api, "bob").json() == {"actor": "bob", "is_blocked": True}
    assert committed(block, alice_api, "bob").json() == {"actor": "bob", "is_blocked": True}
    assert Block.objects.count() == 1
    assert AuditEntry.objects.filter(action="actor.block", user=alice.user, subject="actor:bob").count() == 1
    listed = alice_api.get("/api/v1/me/blocks/").json()
    assert [item["actor"]["handle"] for item in listed["results"]] == ["bob"]
    for _ in range(2):
        answer = committed(alice_api.delete, "/api/v1/actors/bob/block/")
        assert answer.json() == {"actor": "bob", "is_blocked": False}
    assert not Block.objects.exists()
    assert AuditEntry.objects.filter(action="actor.unblock").count() == 1


def test_blocking_oneself_or_a_city_is_a_400_unknown_is_404_anonymous_401(alice_api, api, bob):
    assert block(alice_api, "alice").status_code == 400
    assert block(alice_api, "rennes").status_code == 400
    assert block(alice_api, "nobody").status_code == 404
    assert block(api, "bob").status_code == 401
    assert not Block.objects.exists()


def test_blocking_ends_follows_both_ways_and_neither_can_follow_again(committed, alice, alice_api, bob, bob_api):
    committed(post, alice_api, "/api/v1/actors/bob/follow/")
    committed(post, bob_api, "/api/v1/actors/alice/follow/")
    committed(block, alice_api, "bob")
    assert not Follow.objects.filter(follower__in=[alice, bob], target_actor__in=[alice, bob]).exists()
    assert {a.handle: (a.followers_count, a.following_count) for a in Actor.objects.filter(pk__in=[alice.pk, bob.pk])} == {
        "alice": (0, 0), "bob": (0, 0)
    }
    refused = post(bob_api, "/api/v1/actors/alice/follow/")
    assert refused.status_code == 403
    assert post(alice_api, "/api/v1/actors/bob/follow/").status_code == 403
    assert not Follow.objects.filter(target_actor__in=[alice, bob]).exists()


@pytest.mark.parametrize("others_blocked", [0, MANY_BLOCKS], ids=["one block", "past the list of blocks"])
def test_the_blocked_persons_activity_leaves_the_blockers_feed_streams_and_notifications(
    committed, alice, alice_api, bob, bob_api, carol_api, others_blocked
):
    # Past MANY_BLOCKS, the rule asks the blocks by subquery instead of listing them.
    others = Actor.objects.bulk_create(
        Actor(handle=f"other{n}", name=f"Other {n}", kind=Actor.Kind.PERSON) for n in range(others_blocked)
    )
    Block.objects.bulk_create(Block(blocker=alice, blocked=other) for other in others)
    committed(post, alice_api, "/api/v1/actors/rennes/follow/")
    committed(post, carol_api, "/api/v1/actors/rennes/follow/")
    committed(post, bob_api, "/api/v1/actors/alice/follow/")  # alice is notified
    published_project(committed, bob_api, title="Fablab de bob")  # on bob's stream and the city's
    assert "bob" in stream_actors(alice_api, "/api/v1/cities/rennes/activity/")
    assert ("followed", "bob") in notification_reasons(alice_api)
    bob_activities = set(Activity.objects.filter(actor=bob).values_list("id", flat=True))
    assert bob_activities & set(feed_ids(alice_api))

    committed(block, alice_api, "bob")
    published_project(committed, bob_api, title="Encore un projet de bob")
    bob_activities = set(Activity.objects.filter(actor=bob).values_list("id", flat=True))
    assert not bob_activities & set(feed_ids(alice_api))
    assert "bob" not in stream_actors(alice_api, "/api/v1/cities/rennes/activity/")
    assert stream_actors(alice_api, "/api/v1/actors/bob/activity/") == []
    assert ("followed", "bob") not in notification_reasons(alice_api)
    # Others still see bob.
    assert bob_activities & set(feed_ids(carol_api))
    assert "bob" in stream_actors(carol_api, "/api/v1/cities/rennes/activity/")


def test_the_blocked_persons_requests_reach_the_blocker_by_no_path_and_notify_nobody(committed, alice, alice_api, bob_api, bob):
    committed(block, alice_api, "bob")
    request = published_request(committed, bob_api, to_actor="alice")
    assert not Notification.objects.filter(recipient=alice).exists()
    incoming = alice_api.get("/api/v1/collaborations/?incoming=1").json()["results"]
    assert request["id"] not in [r["id"] for r in incoming]
    assert alice_api.get(f"/api/v1/collaborations/{request['id']}/").status_code == 404
    # bob still sees his own request: nothing tells him of the block.
    assert bob_api.get(f"/api/v1/collaborations/{request['id']}/").status_code == 200
    assert not Notification.objects.filter(recipient=bob).exists()


def test_a_blocked_persons_responses_are_not_shown_and_new_ones_refused(committed, alice, alice_api, bob_api, carol_api):
    request = published_request(committed, alice_api, title="Cherche testeurs", to_city="rennes")
    committed(respond_to, bob_api, request["id"], message="Moi !")
    committed(respond_to, carol_api, request["id"], message="Moi aussi")
    responses = f"/api/v1/collaborations/{request['id']}/responses/"
    assert sorted(r["responder"]["handle"] for r in alice_api.get(responses).json()["results"]) == ["bob", "carol"]

    committed(block, alice_api, "bob")
    shown = [r["responder"]["handle"] for r in alice_api.get(responses).json()["results"]]
    assert shown == ["carol"]
    assert ("response", "bob") not in notification_reasons(alice_api)
    second = published_request(committed, alice_api, title="Cherche encore", to_city="rennes")
    refused = post(bob_api, f"/api/v1/collaborations/{second['id']}/responses/", {"message": "Et moi ?"})
    assert refused.status_code == 403
    assert not second_request_responses(second["id"])


def second_request_responses(request_id: int) -> list:
    from projects.models import CollaborationResponse

    return list(CollaborationResponse.objects.filter(request_id=request_id))


def test_a_blocked_organization_is_not_suggested_as_a_partner(committed, alice, alice_api, rennes):
    from profiles.models import Tag

    org = make_org("capteurs-sa", rennes)
    org.skills.set([Tag.objects.get_or_create(slug="iot")[0]])
    request = published_request(committed, alice_api, to_city="rennes", needs={"skills": ["iot"], "sectors": []})
    suggestions = f"/api/v1/collaborations/{request['id']}/suggestions/"
    assert "capteurs-sa" in [s["actor"]["handle"] for s in alice_api.get(suggestions).json()["results"]]
    committed(block, alice_api, "capteurs-sa")
    assert "capteurs-sa" not in [s["actor"]["handle"] for s in alice_api.get(suggestions).json()["results"]]


def test_the_blocked_one_is_not_told(committed, alice_api, bob, bob_api):
    before = set(Activity.objects.values_list("id", flat=True))
    committed(block, alice_api, "bob")
    assert set(Activity.objects.values_list("id", flat=True)) == before
    assert not Notification.objects.filter(recipient=bob).exists()
    assert bob_api.get("/api/v1/actors/alice/").status_code == 200


def search(client, q: str, path: str = "/api/v1/search/"):
    response = client.get(path, {"q": q})
    assert response.status_code == 200, response.content
    return response.json()


def test_search_leaves_out_the_blocked_persons_profile_and_requests_for_the_blocker(
        committed, alice_api, bob, bob_api, carol_api):
    bob.name = "Bob Zanzibar"
    bob.save(update_fields=["name"])
    committed(indexed, bob)  # indexed for search, as a service would
    request = published_request(committed, bob_api, title="Capteurs Zanzibar", to_city="rennes")

    def found(client):
        body = search(client, "zanzibar")
        suggested = search(client, "zanzi", "/api/v1/search/suggest/")
        return (
            body["count"],
            sorted((r["type"], str(r["id"])) for r in body["results"]),
            sorted((s["type"], str(s["id"])) for s in suggested["results"]),
        )

    everything = (2, sorted([("actor", "bob"), ("collaboration", str(request["id"]))]),
                  sorted([("actor", "bob"), ("collaboration", str(request["id"]))]))
    assert found(alice_api) == everything
    committed(block, alice_api, "bob")
    assert found(alice_api) == (0, [], [])
    assert found(carol_api) == everything  # only the blocker's view changes
