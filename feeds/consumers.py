"""`/ws/stream/`: the caller's home timeline and notifications, live, with resume.

The consumer only keeps per-connection state and moves frames; what to send
and what to read is decided in `feeds.live`.

When the channel layer (Redis) or the database fails, the socket is closed with
4503 by `novosphere.ws_guard` (every socket of the process, for the layer): the
client reconnects a moment later with `?after=<last activity id>` and misses
nothing, since activities live in the database, not in the layer. Database work runs with
thread_sensitive=False: each hop takes any thread of the pool (each with its
own persistent connection) instead of queueing behind every other socket on
one shared thread.

The socket has no layer channel of its own: its groups are joined through the
process's hub (`feeds.hub`), which receives each wake-up once per process and
hands it to each of its sockets, in order: `settle_now` and `send_frame` straight
away, or through the socket's mailbox (its handlers below, in turn).
"""

import json
import logging
import time
from urllib.parse import parse_qs

from autobahn.exception import Disconnected
from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.utils import await_many_dispatch
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_noop

from feeds import hub, live
from feeds.sweep import sweeper
from moderation.selectors import blocked_ids
from novosphere.api.parsers import loads_bounded
from novosphere.api.throttling import hit
from novosphere.errors import error_body
from novosphere.unavailable import REDIS_DOWN
from novosphere.ws_auth import group_for_user, still_authorized
from profiles.selectors import viewer_actor

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_TOO_MANY_FRAMES = 4429
PAGE = 100


def db(function):
    """Run `function` in the thread pool, not on the one shared sync thread.

    Safe here: these are reads, each thread has its own connection, and
    channels' wrapper closes connections past CONN_MAX_AGE around each call."""
    return database_sync_to_async(function, thread_sensitive=False)


class TokenBucket:
    """`rate` frames a second on average, bursts up to `burst`."""

    def __init__(self, rate: float, burst: int):
        self.rate, self.burst = rate, burst
        self.tokens = float(burst)
        self.stamp = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class StreamConsumer(AsyncWebsocketConsumer):
    mailbox = None
    send_text = None  # the server's frame shortcut, if any (set in __call__)

    async def __call__(self, scope, receive, send):
        """Channels' AsyncConsumer.__call__, with the hub's mailbox for a layer channel."""
        # Handlers run one at a time; the sweeper's catch-ups and the hub take their turn through it.
        self.turn = hub.Turn()
        self.scope = scope
        self.channel_layer = None  # every layer message comes through the hub
        self.hub = hub.local()
        self.mailbox = hub.Mailbox(self)
        self.base_send = send
        # The server's shortcut for frames, when it has one (novosphere/wsserver.py: EXTENSION).
        frames = (scope.get("extensions") or {}).get("novosphere.frames")
        self.send_text = frames["send_text"] if frames else None
        try:
            await await_many_dispatch([receive, self.mailbox.get], self.dispatch)
        except StopConsumer:
            pass
        finally:
            sweeper.leave(self)
            # Also when the layer failed under us and `disconnect` never ran.
            self.hub.forget(self)

    async def dispatch(self, message):
        """Channels' dispatch, without its `aclose_old_connections()` before every handler.

        That is a hop to the one shared sync thread per message: 2,000 of them per
        activity at 2,000 sockets, queued ahead of every HTTP request the process
        serves. These handlers reach the database only through `db()`, which closes
        stale connections in its own thread, before and after each call.
        """
        if message["type"] == "hub.message":
            try:
                await self.dispatch(message["message"])
            finally:
                self.mailbox.done()
            return
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        async with self.turn:
            await handler(message)

    async def connect(self):
        self.user = self.scope.get("user")
        self.actor = None
        if self.user is None or not self.user.is_authenticated:
            logger.info("ws refused reason=unauthenticated close=%s", CLOSE_UNAUTHENTICATED)
            await self._refuse(CLOSE_UNAUTHENTICATED)
            return
        self.actor = await db(viewer_actor)(self.user)
        if self.actor is None or self.actor.suspended:
            await self._refuse(CLOSE_UNAUTHENTICATED)
            return
        if await db(hit)("ws_connect", f"user{self.user.pk}") is not None:
            logger.info("ws refused actor=%s reason=too_many_connects close=%s", self.actor.handle, CLOSE_TOO_MANY_FRAMES)
            self.actor = None  # nothing joined yet: disconnect has nothing to leave
            await self._refuse(CLOSE_TOO_MANY_FRAMES)
            return
        self.language = live.language_of(self.scope)
        self.bucket = TokenBucket(settings.WS_FRAMES_PER_SECOND, settings.WS_FRAME_BURST)
        self.home_keys: set[str] = set()
        self.subscriptions: set[str] = set()
        # Join the groups first, then take the base cursor: an activity committed
        # in between is either at or below the cursor, or wakes us up afterwards.
        await self.hub.join(live.group_for_inbox(self.actor.pk), self)
        await self.hub.join(group_for_user(self.user.pk), self)
        keys = await db(live.home_stream_keys)(self.actor)
        for key in keys:
            await self.hub.join(live.group_for_stream(key), self)
        self.home_keys = set(keys)
        self.blocked = await db(blocked_ids)(self.actor)
        self.cursors = live.Cursors(await db(live.global_latest_activity_id)())
        self.notification_cursor = await db(live.latest_notification_id)(self.actor)
        sweeper.join(self, self.cursors.base, self.notification_cursor)
        # Accepted only now: once the client's handshake completes, anything it
        # writes comes after the cursors, so it is delivered live.
        await self.accept()
        logger.info("ws connect actor=%s by=%s", self.actor.handle, self.scope.get("auth_by"))
        after = parse_qs(self.scope.get("query_string", b"").decode("latin-1")).get("after")
        if after:
            # Resuming in the URL comes before any live push: strictly oldest first.
            await self._resume({"type": "resume", "after": after[0]})

    async def _refuse(self, code: int) -> None:
        # A close code needs an accepted socket; nothing else is sent before it.
        await self.accept()
        await self.close(code=code)

    async def disconnect(self, code):
        sweeper.leave(self)
        if self.actor is not None:
            try:
                await self.hub.leave_all(self)
            except REDIS_DOWN:
                pass  # the layer is down: its groups expire on their own (group_expiry)
        logger.info("ws disconnect actor=%s code=%s", getattr(self.actor, "handle", "-"), code)

    # --- frames from the client ---------------------------------------------

    async def receive(self, text_data=None, bytes_data=None):
        if self.actor is None:
            return
        if not self.bucket.take():
            logger.info("ws close actor=%s reason=flood close=%s", self.actor.handle, CLOSE_TOO_MANY_FRAMES)
            await self.close(code=CLOSE_TOO_MANY_FRAMES)
            return
        if text_data is None or len(text_data) > settings.WS_MAX_FRAME_BYTES:
            await self._error("bad_frame", gettext_noop("Frames are JSON text of at most %(bytes)s bytes."), bytes=settings.WS_MAX_FRAME_BYTES)
            return
        try:
            frame = loads_bounded(text_data)
        except ValueError:
            await self._error("bad_json", gettext_noop("This frame is not valid JSON (or nests too deeply)."))
            return
        if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
            await self._error("bad_frame", gettext_noop("A frame is a JSON object with a string `type`."))
            return
        handler = {"resume": self._resume, "subscribe": self._subscribe, "unsubscribe": self._unsubscribe}.get(
            frame["type"]
        )
        if handler is None:
            await self._error("unknown_type", gettext_noop("Unknown frame type; use resume, subscribe or unsubscribe."))
            return
        await handler(frame)

    async def _resume(self, frame: dict) -> None:
        after = frame.get("after")
        if not isinstance(after, str) or not live.CURSOR.match(after):
            await self._error("bad_cursor", gettext_noop("`after` must be an activity id."), frame)
            return
        limit = settings.WS_RESUME_LIMIT
        keys = sorted(self.home_keys)
        bound, missed = await db(live.resume_read)(
            user=self.user, streams=keys, after=after, limit=limit + 1, language=self.language
        )
        if len(missed) > limit:
            # Too far behind: the client refetches over REST; live delivery goes on from now.
            cursor = await db(live.latest_activity_id)(keys)
            for key in keys:
                self.cursors.advance(key, max(bound, cursor))
            await self._send_json({"type": "resync", "reason": "too_many_missed", "cursor": cursor})
            return
        cursor = after
        for activity_id, payload in missed:
            if self.cursors.mark_sent(activity_id):
                await self.send(text_data=live.activity_frame(payload))
            cursor = max(cursor, activity_id)
        # Everything at or below `bound` on the home streams was in that read.
        for key in keys:
            self.cursors.advance(key, bound)
        await self._send_json({"type": "resumed", "cursor": cursor})

    async def _subscribe(self, frame: dict) -> None:
        key = frame.get("stream")
        if not isinstance(key, str) or not await db(live.stream_is_visible)(user=self.user, key=key):
            await self._error("unknown_stream", gettext_noop("No such stream."), frame)
            return
        if await db(live.blocked_from_stream)(user=self.user, key=key):
            await self._error("blocked", gettext_noop("You cannot follow this account."), frame)
            return
        if key not in self.subscriptions and len(self.subscriptions) >= settings.WS_MAX_SUBSCRIPTIONS:
            await self._error("too_many_subscriptions", gettext_noop("Too many subscriptions on this connection."), frame)
            return
        if key not in self.subscriptions and key not in self.home_keys:
            await self.hub.join(live.group_for_stream(key), self)
            self.cursors.start(key, await db(live.global_latest_activity_id)())
        self.subscriptions.add(key)
        await self._send_json({"type": "subscribed", "stream": key})

    async def _unsubscribe(self, frame: dict) -> None:
        key = frame.get("stream")
        if not isinstance(key, str) or key not in self.subscriptions:
            await self._error("not_subscribed", gettext_noop("Not subscribed to this stream."), frame)
            return
        self.subscriptions.discard(key)
        if key not in self.home_keys:
            await self.hub.leave(live.group_for_stream(key), self)
            self.cursors.forget(key)
        await self._send_json({"type": "unsubscribed", "stream": key})

    # --- wake-ups from the channel layer ------------------------------------

    async def send_frame(self, text: str) -> None:
        """`send(text_data=...)` for the hub's frames: under `python -m novosphere.wsserver`,
        straight to the socket, framed once per text for the whole process (see there);
        elsewhere through the ASGI send, without channels' two wrappers around it."""
        if self.send_text is not None:
            self.send_text(text)
            return
        try:
            await self.base_send({"type": "websocket.send", "text": text})
        except Disconnected:
            # Plain Daphne: the socket is closing (its close frame is out, the client's reply
            # is not in). It gets nothing; raised into the hub, this would end every socket.
            pass

    def settle_now(self, event: dict) -> str | None:
        """What `stream_activity` does with `event`, when it needs no database: the frame
        to send ("" for none), with the cursors moved; None, touching nothing, when only
        `stream_activity` can tell (a gap to read, a private activity to check), and for
        any other message (they all read the database)."""
        if event["type"] != "stream.activity":
            return None
        sweeper.saw(event["id"])
        key = event["stream"]
        if key in self.home_keys:
            stream = None
        elif key in self.subscriptions:
            stream = key
        else:
            return ""  # a stream we just left
        verdict = self.cursors.classify(event)
        if verdict == live.IGNORE:
            return ""
        if verdict == live.GAP:
            return None
        activity_id = event["id"]
        text = ""
        if not self.cursors.was_sent(activity_id):
            seen = self._may_see_now(event)
            if seen is None:
                return None
            if seen:
                self.cursors.mark_sent(activity_id)
                text = live.rendered_frame(event, self.language, stream)
        self.cursors.advance(key, activity_id)
        return text

    async def stream_activity(self, event: dict) -> None:
        text = self.settle_now(event)
        if text is None:
            text = await self._settle_with_database(event)
        if text:
            await self.send_frame(text)

    async def _settle_with_database(self, event: dict) -> str:
        """What `settle_now` leaves: a gap (read the stream) or a private activity (check it)."""
        key, activity_id = event["stream"], event["id"]
        stream = None if key in self.home_keys else key  # frames of subscriptions say which stream
        if self.cursors.classify(event) == live.GAP:
            await self._catch_up(key, stream, activity_id)
            return ""
        text = ""
        if await self._may_see(event):
            self.cursors.mark_sent(activity_id)
            text = live.rendered_frame(event, self.language, stream)
        self.cursors.advance(key, activity_id)
        return text

    def _may_see_now(self, event: dict) -> bool | None:
        """`_may_see` without the database: None when it needs a look (a private activity)."""
        if event.get("actor_id") in self.blocked or not self.blocked.isdisjoint(event.get("blocked_with") or ()):
            return False  # an author this reader blocks, or what is about them or theirs
        if live.shown_without_check(event):
            return True
        if live.needs_subject_check(event):
            return None
        return False  # hidden

    async def _may_see(self, event: dict) -> bool:
        seen = self._may_see_now(event)
        if seen is not None:
            return seen
        if live.needs_subject_check(event):
            return await db(live.may_see_subject)(
                user=self.user, subject_kind=event["subject_kind"], subject_id=event["subject_id"]
            )
        return False  # hidden

    async def _catch_up(self, key: str, stream: str | None, up_to: str) -> None:
        """A wake-up was lost or overtaken: read the stream after our cursor, oldest first."""
        while True:
            frames = await db(live.activity_frames_after)(
                user=self.user, streams=[key], after=self.cursors.handled(key), limit=PAGE, language=self.language
            )
            for activity_id, payload in frames:
                if self.cursors.mark_sent(activity_id):
                    await self.send(text_data=live.activity_frame(payload, stream))
                self.cursors.advance(key, activity_id)
            if len(frames) < PAGE:
                break
        # The read began after `up_to` was committed: it is handled, sent or not visible.
        self.cursors.advance(key, up_to)

    async def sweep(self, streams: dict[str, str], inboxes: dict[int, int]) -> int:
        """The sweeper saw these newest ids committed a while ago (`feeds.sweep`): catch up
        on any this socket has not handled, as for a gap. 1 if it was behind, else 0."""
        if self.actor is None:
            return 0
        behind = 0
        async with self.turn:
            if self not in sweeper.sockets:
                return 0  # closed while waiting for its turn
            for key in sorted(self.home_keys | self.subscriptions):
                newest = streams.get(key)
                if newest is not None and newest > self.cursors.handled(key):
                    await self._catch_up(key, None if key in self.home_keys else key, newest)
                    behind = 1
            newest_notification = inboxes.get(self.actor.pk)
            if newest_notification is not None and newest_notification > self.notification_cursor:
                await self._send_new_notifications()
                behind = 1
        return behind

    async def follows_changed(self, event: dict) -> None:
        """This user followed or unfollowed: re-read the home streams and move groups."""
        keys = set(await db(live.home_stream_keys)(self.actor))
        added, removed = keys - self.home_keys, self.home_keys - keys
        for key in added - self.subscriptions:
            await self.hub.join(live.group_for_stream(key), self)
        for key in removed - self.subscriptions:
            await self.hub.leave(live.group_for_stream(key), self)
            self.cursors.forget(key)
        self.home_keys = keys
        if added - self.subscriptions:
            # Joined first, cursor second: what comes after it wakes us up.
            latest = await db(live.global_latest_activity_id)()
            for key in added - self.subscriptions:
                self.cursors.start(key, latest)

    async def blocks_changed(self, event: dict) -> None:
        """This user blocked or unblocked someone: re-read whom, before the next frame."""
        self.blocked = await db(blocked_ids)(self.actor)

    async def inbox_notify(self, event: dict) -> None:
        sweeper.woken()
        await self._send_new_notifications()

    async def _send_new_notifications(self) -> None:
        while True:
            notifications = await db(live.notification_frames_after)(
                user=self.user, actor=self.actor, after=self.notification_cursor, language=self.language, limit=PAGE
            )
            for notification_id, payload in notifications:
                await self.send(text_data=live.notification_frame(payload))
                self.notification_cursor = notification_id
            if len(notifications) < PAGE:
                return

    async def auth_check(self, event: dict) -> None:
        """Logout, token revoked, password changed, account suspended: the socket ends too."""
        if not await db(still_authorized)(self.scope):
            logger.info("ws close actor=%s reason=credentials_ended close=%s", self.actor.handle, CLOSE_UNAUTHENTICATED)
            await self.close(code=CLOSE_UNAUTHENTICATED)

    # --- sending ------------------------------------------------------------

    async def _error(self, code: str, message: str, frame: dict | None = None, **values) -> None:
        """An error frame; `message` (marked with gettext_noop) is translated into the socket's language."""
        with translation.override(self.language):
            text = translation.gettext(message) % values if values else translation.gettext(message)
        await self._send_json({"type": "error", **error_body(code, text)})

    async def _send_json(self, payload: dict) -> None:
        await self.send(text_data=json.dumps(payload, ensure_ascii=False))
