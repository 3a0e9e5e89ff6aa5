"""When the sweep makes up a wake-up: only once the layer shows it is not merely slow."""

import time

from feeds.sweep import LAYER_EXPIRY, Sweeper


def sweeper_with(pending_streams, pending_inboxes=None, seen="", woken_ago=0.0) -> Sweeper:
    sweeper = Sweeper()
    now = time.monotonic()
    sweeper.pending_streams = {stream: (activity_id, now - age) for stream, (activity_id, age) in pending_streams.items()}
    sweeper.pending_inboxes = {
        recipient: (notification_id, activity_id, now - age)
        for recipient, (notification_id, activity_id, age) in (pending_inboxes or {}).items()
    }
    sweeper.seen = seen
    sweeper.last_wake = now - woken_ago
    return sweeper


def test_a_busy_layer_that_has_not_reached_an_entry_yet_is_waited_for():
    sweeper = sweeper_with({"city:rennes": ("B", 6)}, {7: (70, "B", 6)}, seen="A", woken_ago=0.1)
    assert sweeper._due(interval=5) == ({}, {})
    assert "city:rennes" in sweeper.pending_streams and 7 in sweeper.pending_inboxes  # still watched


def test_an_entry_the_layer_went_past_was_dropped():
    sweeper = sweeper_with({"city:rennes": ("B", 6), "actor:bob": ("D", 6)}, {7: (70, "B", 6)}, seen="C", woken_ago=0.1)
    assert sweeper._due(interval=5) == ({"city:rennes": "B"}, {7: 70})
    assert list(sweeper.pending_streams) == ["actor:bob"]


def test_an_idle_layer_is_not_bringing_anything():
    sweeper = sweeper_with({"actor:bob": ("D", 6)}, seen="A", woken_ago=5.5)
    assert sweeper._due(interval=5) == ({"actor:bob": "D"}, {})


def test_past_the_layers_expiry_a_wake_up_cannot_come():
    sweeper = sweeper_with({"actor:bob": ("D", LAYER_EXPIRY + 1)}, seen="A", woken_ago=0.1)
    assert sweeper._due(interval=5) == ({"actor:bob": "D"}, {})


def test_being_woken_moves_what_the_process_has_seen():
    sweeper = Sweeper()
    sweeper.saw("B")
    sweeper.saw("A")
    assert sweeper.seen == "B"
    assert time.monotonic() - sweeper.last_wake < 1
