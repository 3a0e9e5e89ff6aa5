"""After-commit work of the project itself: telling a user's open sockets that something changed."""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from novosphere.publisher import handles, publish_on_commit

# What a user's sockets can be told (each a handler of the consumer).
AUTH_CHECK = "auth.check"  # credentials may have ended: check them again
FOLLOWS_CHANGED = "follows.changed"  # re-read the home streams
BLOCKS_CHANGED = "blocks.changed"  # re-read whom the reader blocks
USER_EVENTS = (AUTH_CHECK, FOLLOWS_CHANGED, BLOCKS_CHANGED)


def tell_user_sockets_on_commit(user_id: int, event: str) -> None:
    """After commit, send `event` to every open socket of the user."""
    if event not in USER_EVENTS:
        raise ValueError(f"unknown socket event {event!r}")
    publish_on_commit("sockets.user", {"user": user_id, "event": event})


# No retry: with the layer down, the sockets it would reach were closed (4503) by
# the same outage and read everything afresh when they reconnect.
@handles("sockets.user", retry=False)
def send_user_event(payload: dict) -> None:
    from novosphere.ws_auth import group_for_user

    layer = get_channel_layer()
    if layer is not None:
        group = group_for_user(payload["user"])
        # The group is named in the message: each process's hub (feeds/hub.py) routes by it.
        async_to_sync(layer.group_send)(group, {"type": payload["event"], "group": group})
