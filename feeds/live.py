"""Reads and pushes for the live stream (`/ws/stream/`).

The work that is the same for every reader is done once per activity, in the
writer's process right after commit (`push_activity`): load the activity,
read its stored audience, serialize the frame in each language, and find,
for each of its streams, the activity just before it on that stream (`prev`).
Each connection then decides without the database in the common case: if it
has handled its stream up to `prev`, nothing is missing and the pre-serialized
frame goes out as is; if not (a lost or reordered wake-up, a layer outage), it
falls back to reading the stream after its own cursor. Activity ids are
allocated in commit order (see `feeds.services.next_activity_id`), so both
"largest id below this one" and "everything after my cursor" are exact: no
activity can appear later below an id already seen.

Visibility is applied on every frame, by the rules of `feeds.selectors`:
suspended authors and activity naming them are never sent; an activity takes
its subject's stored audience, so `public` and `members` activity goes to
every socket (all are signed in), and `private` activity is checked against
its subject's kind (`novosphere.kinds`) for the reader at that moment, so a
removal takes effect on open sockets. Authors a reader blocks, and activity
about what a block hides, are skipped by that reader's connection, from a set
it keeps (see the consumer).
"""

import json
import logging
import re
from collections import deque
from urllib.parse import parse_qs

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.utils import translation
from django.utils.translation.trans_real import parse_accept_lang_header

from feeds.models import Activity, Notification, StreamEntry
from feeds.selectors import (  # noqa: F401 - the consumer reads them here
    ActivityRow,
    activity_shown,
    home_stream_keys,
    visible_activities,
    visible_after,
    visible_notifications,
)
from novosphere import kinds
from profiles.models import Actor

logger = logging.getLogger(__name__)

CURSOR = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")
ZERO = "0" * 26

# What a wake-up says about who may see its activity: its stored audience, or HIDDEN.
PUBLIC = kinds.Audience.EVERYONE
MEMBERS = kinds.Audience.SIGNED_IN  # any signed-in user: every socket is one
PRIVATE = kinds.Audience.SOME  # checked per reader against the subject's kind
HIDDEN = "hidden"  # a withdrawn author or an activity naming one: nobody


def group_for_stream(key: str) -> str:
    # Channel group names allow letters, digits, "-", "_" and "." only; local handles
    # never hold a ".", so ".." cannot name a local stream (remote: `actor:name@host:port`).
    return "stream." + key.replace(":", ".").replace("@", "..").replace("[", "-").replace("]", "-")


def group_for_inbox(actor_id: int) -> str:
    return f"inbox.{actor_id}"


def languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def language_of(scope: dict) -> str:
    """The socket's language, decided once at connect: `?lang=`, else Accept-Language, else the default."""
    query = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("lang", [])
    header = b""
    for name, value in scope.get("headers", []):
        if name == b"accept-language":
            header = value
    candidates = query[:1] + [code for code, _q in parse_accept_lang_header(header.decode("latin-1")[:500])]
    for candidate in candidates:
        try:
            return translation.get_supported_language_variant(candidate)
        except LookupError:
            continue
    return settings.LANGUAGE_CODE


def activities_after(*, user, streams: list[str], after: str, limit: int) -> list[ActivityRow]:
    """Visible activities published on `streams` after the cursor `after`, oldest first
    (the rule of a page: `feeds.selectors.visible_after`)."""
    return visible_after(viewer=user, streams=streams, after=after, limit=limit)


def activity_frames_after(*, user, streams: list[str], after: str, limit: int, language: str) -> list[tuple[str, str]]:
    """`activities_after` as (id, activity JSON) pairs, serialized in the same thread hop."""
    activities = activities_after(user=user, streams=streams, after=after, limit=limit)
    with translation.override(language):
        return [(activity.id, payload_json(activity)) for activity in activities]


def latest_activity_id(streams: list[str]) -> str:
    """The newest activity id on `streams` (visible or not: it is only a starting cursor)."""
    latest = StreamEntry.objects.filter(stream__in=streams).order_by("-activity_id").values_list(
        "activity_id", flat=True
    ).first()
    return latest or ZERO


def global_latest_activity_id() -> str:
    """The newest committed activity id. Ids are allocated in commit order, so every
    activity at or below it is committed and every later one will be pushed."""
    return Activity.objects.order_by("-id").values_list("id", flat=True).first() or ZERO


def resume_read(*, user, streams: list[str], after: str, limit: int, language: str) -> tuple[str, list[tuple[str, str]]]:
    """(the global latest id taken BEFORE the read, the frames after `after`).

    Taking the bound first is what makes it a safe cursor afterwards: everything
    at or below it was committed before the read began, so the read saw it.
    """
    bound = global_latest_activity_id()
    return bound, activity_frames_after(user=user, streams=streams, after=after, limit=limit, language=language)


def may_see_subject(*, user, subject_kind: str, subject_id: str) -> bool:
    """For `private` activity: whether `user` may see its subject now (its kind's rule)."""
    return kinds.kind_named(subject_kind).visible_to(user).filter(pk=subject_id).exists()


def may_see(*, user, event: dict) -> bool:
    """What a connection decides for one wake-up, blocks aside (the consumer keeps those)."""
    if shown_without_check(event):
        return True
    if needs_subject_check(event):
        return may_see_subject(user=user, subject_kind=event["subject_kind"], subject_id=event["subject_id"])
    return False  # hidden


def notifications_after(*, user, actor: Actor, after: int, limit: int = 100) -> list[Notification]:
    mine = Notification.objects.filter(recipient=actor, id__gt=after)
    return list(visible_notifications(user, mine).select_related("activity__actor").order_by("id")[:limit])


def notification_frames_after(*, user, actor: Actor, after: int, language: str, limit: int = 100) -> list[tuple[int, str]]:
    """`notifications_after` as (id, notification JSON) pairs, serialized in the same thread hop."""
    notifications = notifications_after(user=user, actor=actor, after=after, limit=limit)
    with translation.override(language):
        return [(notification.pk, _dumps(notification_payload(notification))) for notification in notifications]


def latest_notification_id(actor: Actor) -> int:
    return Notification.objects.filter(recipient=actor).order_by("-id").values_list("id", flat=True).first() or 0


def stream_is_visible(*, user, key: str) -> bool:
    """Whether `user` may subscribe to `key`; unknown and hidden streams look the same."""
    return kinds.stream_is_visible(user, key)


def blocked_from_stream(*, user, key: str) -> bool:
    """Whether the owner of the actor stream `key` blocks `user`: the subscribe is refused
    as their follow is (the stream exists; nothing pretends to be delivered)."""
    from moderation.selectors import blocks

    match = kinds.STREAM_KEY.match(key)
    if not match or match.group(1) != "actor":
        return False
    owner = Actor.objects.filter(handle=match.group(2)).first()
    return blocks(blocker=owner, blocked=getattr(user, "actor", None))


# --- the push: once per activity, after commit ---------------------------------


def visibility_of(activity: Activity) -> str:
    """Who may see `activity` now, as far as it is the same for every signed-in reader:
    HIDDEN when no reader may (`feeds.selectors.activity_shown`), else its stored audience.
    Reads `activity.shown` when `with_shown` annotated it."""
    shown = getattr(activity, "shown", None)
    if shown is None:
        shown = Activity.objects.filter(pk=activity.pk).filter(activity_shown()).exists()
    return activity.audience if shown else HIDDEN


def with_shown(activities: QuerySet[Activity]) -> QuerySet[Activity]:
    """`activities`, each told whether any reader may see it (`shown`), in the same query."""
    return activities.annotate(shown=Exists(Activity.objects.filter(activity_shown(), pk=OuterRef("pk"))))


def subject_blocked_with(activity: Activity) -> list[int]:
    """The actors whose block hides this activity's subject from the blocker."""
    if not activity.subject_kind:
        return []
    return kinds.kind_named(activity.subject_kind).blocked_with(activity.subject_id)


def streams_with_previous(activity_id: str) -> list[tuple[str, str | None]]:
    """(stream, previous id) of each stream the activity is on: the largest activity id on
    that stream below this one, in one query (an indexed look-up per stream).

    At push time every smaller id is committed (commit-ordered ids), so a reader
    that has handled the stream up to that id is missing nothing before `activity_id`."""
    previous = (
        StreamEntry.objects.filter(stream=OuterRef("stream"), activity_id__lt=OuterRef("activity_id"))
        .order_by("-activity_id")
        .values("activity_id")[:1]
    )
    return list(
        StreamEntry.objects.filter(activity_id=activity_id).order_by("stream")
        .annotate(previous=Subquery(previous)).values_list("stream", "previous")
    )


def push_activity(activity_id: str) -> None:
    """Wake the connections listening to the streams of one committed activity.

    Each wake-up carries everything a connection needs to send the frame without
    the database. A hidden activity is still announced, without frames, so readers
    advance their cursors instead of taking its absence for a gap and reading.
    """
    layer = get_channel_layer()
    if layer is None:
        return
    activity = with_shown(Activity.objects.select_related("actor").filter(pk=activity_id)).first()
    if activity is None:
        return  # deleted since
    visibility = visibility_of(activity)
    blocked_with = subject_blocked_with(activity)
    frames = {}
    if visibility != HIDDEN:
        for language in languages():
            with translation.override(language):
                frames[language] = payload_json(activity)
    events = [
        {
            "type": "stream.activity",
            "stream": key,
            "id": activity_id,
            "prev": previous,
            "subject_kind": activity.subject_kind,
            "subject_id": activity.subject_id,
            # Readers who block one of these skip it: the author, and whoever a block
            # of hides the subject (`novosphere.kinds.Kind.blocked_through`).
            "actor_id": activity.actor_id,
            "blocked_with": blocked_with,
            "visibility": visibility,
            "frames": frames,
        }
        for key, previous in streams_with_previous(activity_id)
    ]
    recipients = list(Notification.objects.filter(activity_id=activity_id).values_list("recipient_id", flat=True))
    async_to_sync(_send_all)(layer, events, recipients)


async def _send_all(layer, events: list[dict], recipients: list[int]) -> None:
    from feeds.hub import addressed

    # Each process's hub receives a wake-up once, and routes it by the group it names.
    for event in events:
        group = group_for_stream(event["stream"])
        await layer.group_send(group, addressed(group, event))
    for recipient in recipients:
        group = group_for_inbox(recipient)
        await layer.group_send(group, addressed(group, {"type": "inbox.notify"}))


# --- per-connection state -------------------------------------------------------

IGNORE, GAP, FRESH = "ignore", "gap", "fresh"


class Cursors:
    """Which activity a connection has handled, per stream, and which it has sent.

    `handled(key)` is the id up to which every activity on `key` was sent or
    found invisible; streams without their own entry use `base` (the global
    latest id when the connection started, or after a resume).
    """

    def __init__(self, base: str, remember: int = 2000):
        self.base = base
        self.handled_up_to: dict[str, str] = {}
        self._sent_ids: deque[str] = deque(maxlen=remember)
        self._sent: set[str] = set()

    def handled(self, key: str) -> str:
        return self.handled_up_to.get(key, self.base)

    def advance(self, key: str, activity_id: str) -> None:
        if activity_id > self.handled(key):
            self.handled_up_to[key] = activity_id

    def start(self, key: str, activity_id: str) -> None:
        """A stream newly listened to: only what comes after `activity_id` is live."""
        self.handled_up_to[key] = max(activity_id, self.handled_up_to.get(key, ZERO))

    def forget(self, key: str) -> None:
        self.handled_up_to.pop(key, None)

    def classify(self, event: dict) -> str:
        """IGNORE: already handled; FRESH: nothing missing before it; GAP: read the stream."""
        key, activity_id, prev = event["stream"], event["id"], event["prev"]
        handled = self.handled(key)
        if activity_id <= handled:
            return IGNORE
        if prev is None or prev <= handled:
            return FRESH
        return GAP

    def was_sent(self, activity_id: str) -> bool:
        return activity_id in self._sent

    def mark_sent(self, activity_id: str) -> bool:
        """Record a send; False if it was already sent on this connection (once per connection)."""
        if activity_id in self._sent:
            return False
        if len(self._sent_ids) == self._sent_ids.maxlen:
            self._sent.discard(self._sent_ids[0])
        self._sent_ids.append(activity_id)
        self._sent.add(activity_id)
        return True


def needs_subject_check(event: dict) -> bool:
    return event["visibility"] == PRIVATE


def shown_without_check(event: dict) -> bool:
    """Public and members-only activity is for every socket: all are signed in."""
    return event["visibility"] in (None, PUBLIC, MEMBERS)


def activity_frame(payload: str, stream: str | None = None) -> str:
    """The `activity` frame around a pre-serialized payload; `stream` for subscriptions."""
    if stream is None:
        return '{"type": "activity", "activity": ' + payload + "}"
    return '{"type": "activity", "stream": ' + _dumps(stream) + ', "activity": ' + payload + "}"


def rendered_frame(event: dict, language: str, stream: str | None = None) -> str:
    """`activity_frame` for a wake-up, made once per (language, stream) and kept on the event:
    the hub (`feeds.hub`) hands the same event to every socket of the process."""
    cache = event.get("_rendered")
    if cache is None:
        cache = event["_rendered"] = {}
    text = cache.get((language, stream))
    if text is None:
        text = cache[(language, stream)] = activity_frame(event["frames"][language], stream)
    return text


def notification_frame(payload: str) -> str:
    return '{"type": "notification", "notification": ' + payload + "}"


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def payload_json(activity: Activity) -> str:
    """The activity as API.md shapes it, as JSON, in the active language."""
    return _dumps(activity_payload(activity))


def activity_payload(activity: Activity) -> dict:
    """The activity as API.md shapes it (shared with the REST feed's serializer)."""
    from feeds.serializers import activity_json

    return activity_json(activity)


def notification_payload(notification: Notification) -> dict:
    from feeds.serializers import NotificationSerializer

    return NotificationSerializer(notification).data
