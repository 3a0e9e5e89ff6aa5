import pytest
from django.test import override_settings

from feeds import live
from feeds.models import Activity, TimelineEntry
from tests.conftest import client_for, make_person
from tests.feeds.conftest import all_pages, feed, feed_ids, post_update

pytestmark = pytest.mark.django_db


def follow(committed, client, handle: str):
    response = committed(client.post, f"/api/v1/actors/{handle}/follow/")
    assert response.status_code == 200, response.content


def test_home_feed_holds_followed_streams_and_own_activity_newest_first(committed, alice, alice_api, bob, bob_api, carol, rennes):
    follow(committed, alice_api, "bob")
    follow(committed, bob_api, "rennes")
    own = committed(post_update, alice)
    stranger = committed(post_update, carol)
    bobs = committed(post_update, bob)

    results = feed(alice_api)["results"]
    summaries = [activity["summary"] for activity in results]
    assert summaries == [
        "Bob a mis à jour son profil",
        "Alice a mis à jour son profil",
        "Bob suit désormais Rennes",
        "Alice suit désormais Bob",
    ]
    ids = [activity["id"] for activity in results]
    assert ids == sorted(ids, reverse=True)
    assert bobs.id in ids and own.id in ids and stranger.id not in ids
    assert results[0] == {
        "id": bobs.id,
        "type": "Update",
        "actor": {"handle": "bob", "name": "Bob", "kind": "person"},
        "object": {"type": "person", "id": "bob", "name": "Bob", "content": "", "url": "/api/v1/actors/bob/"},
        "target": None,
        "published": results[0]["published"],
        "summary": "Bob a mis à jour son profil",
    }


def test_being_followed_is_in_my_home_feed_as_on_my_websocket(committed, alice, alice_api, bob, bob_api, carol):
    """"Alice follows Bob" is published on Bob's own stream: the websocket sends it to
    Bob, so his REST home timeline holds it too (a client refetching after a resync
    must not lose what it was shown live)."""
    follow(committed, alice_api, "bob")
    committed(post_update, carol, streams=[bob])  # another's action published on Bob's stream
    followed = Activity.objects.get(type="Follow", actor=alice)
    ids = feed_ids(bob_api)
    assert followed.id in ids
    assert len(ids) == 2

    # The socket's resume reads Bob's home streams: the same activities, oldest first.
    _bound, frames = live.resume_read(
        user=bob.user, streams=live.home_stream_keys(bob), after=live.ZERO, limit=100, language="fr"
    )
    assert [activity_id for activity_id, _frame in frames] == sorted(ids)


def test_summaries_speak_french_by_default_and_english_when_asked(committed, rennes):
    lea = make_person("lea", rennes)
    lea.name = "Léa Martin"
    lea.save()
    lea_api = client_for(lea)
    follow(committed, lea_api, "rennes")
    assert feed(lea_api)["results"][0]["summary"] == "Léa Martin suit désormais Rennes"
    english = lea_api.get("/api/v1/feed/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["results"][0]["summary"] == "Léa Martin now follows Rennes"


def test_cursor_paging_skips_and_repeats_nothing_while_new_activity_arrives(committed, alice, alice_api, bob):
    follow(committed, alice_api, "bob")
    for _ in range(24):
        committed(post_update, bob)
    before_paging = all_pages(alice_api)
    assert len(before_paging) == 25  # 24 updates and alice's follow

    seen, cursor, arrived = [], None, []
    while True:
        body = feed(alice_api, limit=7, **({"before": cursor} if cursor else {}))
        seen += [activity["id"] for activity in body["results"]]
        arrived.append(committed(post_update, bob).id)  # new activity between pages
        cursor = body["next"]
        if cursor is None:
            break
    assert seen == before_paging
    assert len(set(seen)) == len(seen)

    # Catching up from the newest seen: exactly what arrived, newest first, in pages.
    caught_up, after = [], before_paging[0]
    while True:
        body = feed(alice_api, limit=2, after=after)
        if not body["results"]:
            break
        caught_up = [activity["id"] for activity in body["results"]] + caught_up
        after = body["newer"]
    assert caught_up == list(reversed(arrived))


def test_unfollow_stops_new_items(committed, alice_api, bob):
    follow(committed, alice_api, "bob")
    old = committed(post_update, bob)
    assert committed(alice_api.delete, "/api/v1/actors/bob/follow/").status_code == 200
    new = committed(post_update, bob)
    ids = feed_ids(alice_api)
    assert old.id in ids
    assert new.id not in ids


def build_network(committed, alice, bob, carol, rennes):
    """alice follows rennes and bob; carol follows rennes only; activity on every stream."""
    alice_api, carol_api = client_for(alice), client_for(carol)
    follow(committed, alice_api, "rennes")
    follow(committed, alice_api, "bob")
    follow(committed, carol_api, "rennes")
    committed(post_update, rennes)
    committed(post_update, bob, streams=[rennes])  # on two followed streams: shown once
    committed(post_update, carol)
    committed(post_update, alice)
    committed(post_update, rennes)
    return alice_api, carol_api


@pytest.mark.parametrize("threshold", [5000, 1])
def test_big_streams_merged_at_read_time_read_the_same_as_fanned_out(committed, alice, bob, carol, rennes, threshold):
    with override_settings(FEEDS_FANOUT_MAX_FOLLOWERS=threshold):
        alice_api, carol_api = build_network(committed, alice, bob, carol, rennes)
        alice_feed = [a["summary"] for a in feed(alice_api)["results"]]
        carol_feed = [a["summary"] for a in feed(carol_api)["results"]]
        paged = all_pages(alice_api, limit=2)
    assert alice_feed == [
        "Rennes a mis à jour son profil",
        "Alice a mis à jour son profil",
        "Bob a mis à jour son profil",
        "Rennes a mis à jour son profil",
        "Carol suit désormais Rennes",
        "Alice suit désormais Bob",
        "Alice suit désormais Rennes",
    ]
    assert carol_feed == [
        "Rennes a mis à jour son profil",
        "Carol a mis à jour son profil",
        "Bob a mis à jour son profil",
        "Rennes a mis à jour son profil",
        "Carol suit désormais Rennes",
    ]
    assert len(paged) == len(set(paged)) == len(alice_feed)
    # With the low threshold, rennes (2 followers) was never copied to its followers.
    copied = TimelineEntry.objects.filter(owner=carol, activity__actor=rennes).exists()
    assert copied is (threshold == 5000)


@pytest.mark.parametrize(
    "params",
    [{"limit": 101}, {"limit": 0}, {"limit": "ten"}, {"before": "not-a-cursor"}, {"after": "Z" * 26}],
)
def test_bad_paging_is_a_400_naming_the_parameter(alice_api, params):
    response = alice_api.get("/api/v1/feed/", params)
    assert response.status_code == 400
    assert set(params) <= set(response.json()["fields"])


def test_limit_caps_the_page_and_the_feed_needs_a_token(committed, api, alice, alice_api):
    for _ in range(3):
        committed(post_update, alice)
    body = feed(alice_api, limit=2)
    assert len(body["results"]) == 2 and body["next"] == body["results"][-1]["id"]
    assert len(feed(alice_api, limit=100)["results"]) == 3
    assert feed(alice_api, limit=100)["next"] is None
    assert api.get("/api/v1/feed/").status_code == 401


def test_actor_and_city_streams_show_what_was_published_there(committed, api, alice_api, bob, rennes):
    follow(committed, alice_api, "rennes")
    update = committed(post_update, bob, streams=[rennes])
    city = api.get("/api/v1/cities/rennes/activity/").json()
    assert [a["summary"] for a in city["results"]] == ["Bob a mis à jour son profil", "Alice suit désormais Rennes"]
    actor = api.get("/api/v1/actors/bob/activity/", {"limit": 1}).json()
    assert [a["id"] for a in actor["results"]] == [update.id] and actor["next"] is None
    assert api.get("/api/v1/actors/rennes/activity/").json()["results"] == city["results"]
    assert api.get("/api/v1/actors/nobody/activity/").status_code == 404
    assert api.get("/api/v1/cities/bob/activity/").status_code == 404
    assert api.get("/api/v1/actors/bob/activity/", {"limit": 500}).status_code == 400


def test_suspended_actors_disappear_from_feeds(committed, alice_api, bob):
    follow(committed, alice_api, "bob")
    update = committed(post_update, bob)
    bob.suspended = True
    bob.save()
    assert update.id not in feed_ids(alice_api)
