"""Reads and pushes for the live stream (`/ws/stream/`).

Pushes through the channel layer are only wake-ups naming a stream: each
connection then reads what it has not sent yet, after its own cursor, with
the reader's visibility applied at that moment. Activity ids are allocated in
commit order (see `feeds.services.next_activity_id`), so reading "after my
cursor" can neither skip nor repeat an activity, and a permission change
takes effect on the very next read.
"""

import logging
import re

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db.models import Q, QuerySet

from feeds.models import Activity, Follow, Notification, StreamEntry
from profiles.models import Actor
from profiles.selectors import stream_key, visible_actors
from projects.selectors import visible_projects

logger = logging.getLogger(__name__)

STREAM_KEY = re.compile(r"^(actor|city|project):([-a-zA-Z0-9_]{1,80})$")
CURSOR = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")


def group_for_stream(key: str) -> str:
    return "stream." + key.replace(":", ".")


def group_for_inbox(actor_id: int) -> str:
    return f"inbox.{actor_id}"


def visible_activities(user) -> QuerySet[Activity]:
    """Activities `user` may see: none by suspended actors, none of projects hidden from them."""
    return Activity.objects.filter(actor__suspended=False).filter(
        Q(project__isnull=True) | Q(project__in=visible_projects(user))
    )


def home_stream_keys(actor: Actor) -> list[str]:
    """The streams whose activity lands in `actor`'s home timeline: its own and those it follows."""
    keys = [stream_key(actor)]
    for kind, handle, slug in Follow.objects.filter(follower=actor).values_list(
        "target_actor__kind", "target_actor__handle", "target_project__slug"
    ):
        if slug:
            keys.append(f"project:{slug}")
        else:
            keys.append(f"{'city' if kind == Actor.Kind.CITY else 'actor'}:{handle}")
    return keys


def activities_after(*, user, streams: list[str], after: str, limit: int) -> list[Activity]:
    """Visible activities published on `streams` after the cursor `after`, oldest first."""
    on_streams = StreamEntry.objects.filter(stream__in=streams, activity_id__gt=after).values("activity_id")
    return list(
        visible_activities(user)
        .filter(id__in=on_streams)
        .select_related("actor")
        .order_by("id")[:limit]
    )


def latest_activity_id(streams: list[str]) -> str:
    """The newest activity id on `streams` (visible or not: it is only a starting cursor)."""
    latest = StreamEntry.objects.filter(stream__in=streams).order_by("-activity_id").values_list(
        "activity_id", flat=True
    ).first()
    return latest or "0" * 26


def notifications_after(*, user, actor: Actor, after: int, limit: int = 100) -> list[Notification]:
    return list(
        Notification.objects.filter(recipient=actor, id__gt=after, activity__in=visible_activities(user))
        .select_related("activity__actor")
        .order_by("id")[:limit]
    )


def latest_notification_id(actor: Actor) -> int:
    return Notification.objects.filter(recipient=actor).order_by("-id").values_list("id", flat=True).first() or 0


def stream_is_visible(*, user, key: str) -> bool:
    """Whether `user` may subscribe to `key`; unknown and hidden streams look the same."""
    match = STREAM_KEY.match(key)
    if not match:
        return False
    kind, handle = match.groups()
    if kind == "project":
        return visible_projects(user).filter(slug=handle).exists()
    actors = visible_actors(user).filter(handle=handle)
    if kind == "city":
        return actors.filter(kind=Actor.Kind.CITY).exists()
    return actors.exclude(kind=Actor.Kind.CITY).exists()


def push_activity(activity_id: str) -> None:
    """Wake the connections listening to the streams of one committed activity."""
    layer = get_channel_layer()
    if layer is None:
        return
    streams = list(StreamEntry.objects.filter(activity_id=activity_id).values_list("stream", flat=True))
    recipients = list(Notification.objects.filter(activity_id=activity_id).values_list("recipient_id", flat=True))
    send = async_to_sync(_send_all)
    send(layer, streams, recipients, activity_id)


async def _send_all(layer, streams: list[str], recipients: list[int], activity_id: str) -> None:
    for key in streams:
        await layer.group_send(group_for_stream(key), {"type": "stream.activity", "stream": key, "id": activity_id})
    for recipient in recipients:
        await layer.group_send(group_for_inbox(recipient), {"type": "inbox.notify"})


def activity_payload(activity: Activity) -> dict:
    """The activity as API.md shapes it (shared with the REST feed's serializer)."""
    from feeds.serializers import ActivitySerializer

    return ActivitySerializer(activity).data


def notification_payload(notification: Notification) -> dict:
    from feeds.serializers import NotificationSerializer

    return NotificationSerializer(notification).data
