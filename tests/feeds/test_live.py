"""What the live push puts on the channel layer, and how a connection's cursors read it."""

import json

from feeds import live, services
from novosphere.ws_auth import group_for_user
from projects.services import create_project
from tests.channel_layer import listen, received
from tests.feeds.conftest import post_update


def test_a_push_carries_the_previous_id_on_the_stream_and_a_frame_per_language(committed, layer, alice):
    channel = listen(layer, live.group_for_stream("actor:alice"))
    first = committed(post_update, alice)
    second = committed(post_update, alice)
    events = received(layer, channel)
    assert [event["id"] for event in events] == [first.id, second.id]
    assert events[1]["prev"] == first.id
    assert events[0]["prev"] is None or events[0]["prev"] < first.id
    assert events[1]["visibility"] == live.PUBLIC and events[1]["subject_kind"] == "actor"
    assert set(events[1]["frames"]) == {"fr", "en"}
    english, french = (json.loads(events[1]["frames"][language]) for language in ("en", "fr"))
    assert english["id"] == french["id"] == second.id
    assert english["summary"] != french["summary"]


def test_private_projects_are_checked_per_reader_and_suspended_authors_never_sent(committed, layer, alice):
    channel = listen(layer, live.group_for_stream("actor:alice"))
    project = committed(create_project, creator=alice.user, title="Atelier fermé", visibility="private")
    (created,) = received(layer, channel)
    assert created["visibility"] == live.PRIVATE
    assert (created["subject_kind"], created["subject_id"]) == ("project", str(project.pk))
    alice.suspended = True
    alice.save(update_fields=["suspended"])
    hidden = committed(post_update, alice)
    (event,) = received(layer, channel)
    # Still announced, so readers advance their cursor rather than read; but nothing to send.
    assert event["id"] == hidden.id and event["visibility"] == live.HIDDEN and event["frames"] == {}


def test_an_activity_naming_a_suspended_actor_is_never_sent(committed, layer, alice, bob):
    channel = listen(layer, live.group_for_stream("actor:alice"))
    bob.suspended = True
    bob.save(update_fields=["suspended"])
    committed(services.follow, follower=alice, target=bob)  # "Alice follows Bob" names Bob
    (event,) = [event for event in received(layer, channel) if event["type"] == "stream.activity"]
    assert event["visibility"] == live.HIDDEN and event["frames"] == {}


def test_follow_and_unfollow_tell_the_followers_open_sockets(committed, layer, alice, bob):
    group = group_for_user(alice.user_id)
    channel = listen(layer, group)
    committed(services.follow, follower=alice, target=bob)
    # The group is named: each process's hub (feeds.hub) routes by it.
    assert received(layer, channel) == [{"type": "follows.changed", "group": group}]
    committed(services.follow, follower=alice, target=bob)  # already following: nothing changed
    assert received(layer, channel) == []
    committed(services.unfollow, follower=alice, target=bob)
    assert received(layer, channel) == [{"type": "follows.changed", "group": group}]


def event(stream: str, activity_id: str, prev: str | None) -> dict:
    return {"stream": stream, "id": activity_id, "prev": prev}


def test_cursors_send_fresh_wake_ups_and_read_on_gaps():
    a, b, c, d = (f"{n:026d}" for n in (1, 2, 3, 4))
    cursors = live.Cursors(base=b)
    assert cursors.classify(event("actor:x", a, None)) == live.IGNORE  # at or below the base
    assert cursors.classify(event("actor:x", c, b)) == live.FRESH
    assert cursors.classify(event("actor:x", c, None)) == live.FRESH
    assert cursors.classify(event("actor:x", d, c)) == live.GAP  # c's wake-up is missing
    cursors.advance("actor:x", c)
    assert cursors.classify(event("actor:x", d, c)) == live.FRESH
    assert cursors.classify(event("actor:x", c, b)) == live.IGNORE  # late or repeated
    assert cursors.classify(event("actor:y", c, b)) == live.FRESH  # cursors are per stream
    assert cursors.mark_sent(c) and not cursors.mark_sent(c)


def test_a_notification_whose_activity_the_reader_may_no_longer_see_is_never_sent(committed, alice, bob):
    # What a socket sends after a wake-up is read by notification_frames_after: "Bob followed
    # you" reaches Alice, until a moderator suspends Bob; then it is gone, as on REST.
    committed(services.follow, follower=bob, target=alice)
    sent = live.notification_frames_after(user=alice.user, actor=alice, after=0, language="fr")
    assert len(sent) == 1 and "Bob" in sent[0][1]
    bob.suspended = True
    bob.save(update_fields=["suspended"])
    assert live.notification_frames_after(user=alice.user, actor=alice, after=0, language="fr") == []
