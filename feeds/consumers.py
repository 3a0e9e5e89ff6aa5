"""`/ws/stream/`: the caller's home timeline and notifications, live, with resume."""

import json
import logging
import time
from collections import deque
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from feeds import live
from novosphere.api.throttling import hit
from novosphere.ws_auth import group_for_user, still_authorized
from profiles.selectors import viewer_actor

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_TOO_MANY_FRAMES = 4429
PAGE = 100


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
    async def connect(self):
        self.user = self.scope.get("user")
        self.actor = None
        await self.accept()
        if self.user is None or not self.user.is_authenticated:
            logger.info("ws refused reason=unauthenticated close=%s", CLOSE_UNAUTHENTICATED)
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.actor = await database_sync_to_async(viewer_actor)(self.user)
        if self.actor is None or self.actor.suspended:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        if await database_sync_to_async(hit)("ws_connect", f"user{self.user.pk}") is not None:
            logger.info("ws refused actor=%s reason=too_many_connects close=%s", self.actor.handle, CLOSE_TOO_MANY_FRAMES)
            self.actor = None  # nothing joined yet: disconnect has nothing to leave
            await self.close(code=CLOSE_TOO_MANY_FRAMES)
            return
        self.bucket = TokenBucket(settings.WS_FRAMES_PER_SECOND, settings.WS_FRAME_BURST)
        self.sent_ids: deque[str] = deque(maxlen=2000)
        self.sent_set: set[str] = set()
        self.home_groups: set[str] = set()
        self.subscriptions: dict[str, str] = {}
        # Join the groups first, then take the cursors: an activity committed in
        # between is either at or before the cursor, or wakes us up afterwards.
        await self.channel_layer.group_add(live.group_for_inbox(self.actor.pk), self.channel_name)
        await self.channel_layer.group_add(group_for_user(self.user.pk), self.channel_name)
        keys = await self._refresh_home_groups()
        self.home_cursor = await database_sync_to_async(live.latest_activity_id)(keys)
        self.notification_cursor = await database_sync_to_async(live.latest_notification_id)(self.actor)
        logger.info("ws connect actor=%s by=%s", self.actor.handle, self.scope.get("auth_by"))
        after = parse_qs(self.scope.get("query_string", b"").decode("latin-1")).get("after")
        if after:
            # Resuming in the URL comes before any live push: strictly oldest first.
            await self._resume({"type": "resume", "after": after[0]})

    async def disconnect(self, code):
        if self.actor is not None:
            groups = {live.group_for_inbox(self.actor.pk), group_for_user(self.user.pk), *self.home_groups,
                      *(live.group_for_stream(key) for key in getattr(self, "subscriptions", {}))}
            for group in groups:
                await self.channel_layer.group_discard(group, self.channel_name)
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
            await self._error("bad_frame", f"Frames are JSON text of at most {settings.WS_MAX_FRAME_BYTES} bytes.")
            return
        try:
            frame = json.loads(text_data)
        except ValueError:
            await self._error("bad_json", "This frame is not valid JSON.")
            return
        if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
            await self._error("bad_frame", "A frame is a JSON object with a string `type`.")
            return
        handler = {"resume": self._resume, "subscribe": self._subscribe, "unsubscribe": self._unsubscribe}.get(
            frame["type"]
        )
        if handler is None:
            await self._error("unknown_type", "Unknown frame type; use resume, subscribe or unsubscribe.")
            return
        await handler(frame)

    async def _resume(self, frame: dict) -> None:
        after = frame.get("after")
        if not isinstance(after, str) or not live.CURSOR.match(after):
            await self._error("bad_cursor", "`after` must be an activity id.", frame)
            return
        limit = settings.WS_RESUME_LIMIT
        keys = await self._refresh_home_groups()
        missed = await database_sync_to_async(live.activities_after)(
            user=self.user, streams=keys, after=after, limit=limit + 1
        )
        if len(missed) > limit:
            # Too far behind: the client refetches over REST; live delivery goes on from now.
            self.home_cursor = await database_sync_to_async(live.latest_activity_id)(keys)
            await self._send_json({"type": "resync", "reason": "too_many_missed", "cursor": self.home_cursor})
            return
        self.home_cursor = after
        await self._drain_home()
        await self._send_json({"type": "resumed", "cursor": self.home_cursor})

    async def _subscribe(self, frame: dict) -> None:
        key = frame.get("stream")
        if not isinstance(key, str) or not await database_sync_to_async(live.stream_is_visible)(user=self.user, key=key):
            await self._error("unknown_stream", "No such stream.", frame)
            return
        if key not in self.subscriptions and len(self.subscriptions) >= settings.WS_MAX_SUBSCRIPTIONS:
            await self._error("too_many_subscriptions", "Too many subscriptions on this connection.", frame)
            return
        await self.channel_layer.group_add(live.group_for_stream(key), self.channel_name)
        self.subscriptions[key] = await database_sync_to_async(live.latest_activity_id)([key])
        await self._send_json({"type": "subscribed", "stream": key})

    async def _unsubscribe(self, frame: dict) -> None:
        key = frame.get("stream")
        if not isinstance(key, str) or key not in self.subscriptions:
            await self._error("not_subscribed", "Not subscribed to this stream.", frame)
            return
        del self.subscriptions[key]
        if live.group_for_stream(key) not in self.home_groups:
            await self.channel_layer.group_discard(live.group_for_stream(key), self.channel_name)
        await self._send_json({"type": "unsubscribed", "stream": key})

    # --- wake-ups from the channel layer ------------------------------------

    async def stream_activity(self, event: dict) -> None:
        key = event["stream"]
        if live.group_for_stream(key) in self.home_groups:
            await self._drain_home()
        if key in self.subscriptions:
            await self._drain_subscription(key)

    async def inbox_notify(self, event: dict) -> None:
        while True:
            notifications = await database_sync_to_async(live.notifications_after)(
                user=self.user, actor=self.actor, after=self.notification_cursor
            )
            for notification in notifications:
                payload = await database_sync_to_async(live.notification_payload)(notification)
                await self._send_json({"type": "notification", "notification": payload})
                self.notification_cursor = notification.pk
            if len(notifications) < PAGE:
                return

    async def auth_check(self, event: dict) -> None:
        """Logout, token revoked, password changed, account suspended: the socket ends too."""
        if not await database_sync_to_async(still_authorized)(self.scope):
            logger.info("ws close actor=%s reason=credentials_ended close=%s", self.actor.handle, CLOSE_UNAUTHENTICATED)
            await self.close(code=CLOSE_UNAUTHENTICATED)

    # --- reading and sending ------------------------------------------------

    async def _refresh_home_groups(self) -> list[str]:
        """Follow the follow graph as it is now: new follows join, unfollows leave."""
        keys = await database_sync_to_async(live.home_stream_keys)(self.actor)
        groups = {live.group_for_stream(key) for key in keys}
        subscribed = {live.group_for_stream(key) for key in self.subscriptions}
        for group in groups - self.home_groups:
            await self.channel_layer.group_add(group, self.channel_name)
        for group in self.home_groups - groups - subscribed:
            await self.channel_layer.group_discard(group, self.channel_name)
        self.home_groups = groups
        return keys

    async def _drain_home(self) -> None:
        keys = await self._refresh_home_groups()
        while True:
            activities = await database_sync_to_async(live.activities_after)(
                user=self.user, streams=keys, after=self.home_cursor, limit=PAGE
            )
            for activity in activities:
                await self._send_activity(activity)
                self.home_cursor = activity.id
            if len(activities) < PAGE:
                return

    async def _drain_subscription(self, key: str) -> None:
        while key in self.subscriptions:
            activities = await database_sync_to_async(live.activities_after)(
                user=self.user, streams=[key], after=self.subscriptions[key], limit=PAGE
            )
            for activity in activities:
                await self._send_activity(activity, stream=key)
                self.subscriptions[key] = activity.id
            if len(activities) < PAGE:
                return

    async def _send_activity(self, activity, stream: str | None = None) -> None:
        if activity.id in self.sent_set:
            return  # once per connection, even if it is on several of our streams
        if len(self.sent_ids) == self.sent_ids.maxlen:
            self.sent_set.discard(self.sent_ids[0])
        self.sent_ids.append(activity.id)
        self.sent_set.add(activity.id)
        frame = {"type": "activity", "activity": await database_sync_to_async(live.activity_payload)(activity)}
        if stream:
            frame["stream"] = stream
        await self._send_json(frame)

    async def _error(self, code: str, message: str, frame: dict | None = None) -> None:
        await self._send_json({"type": "error", "code": code, "message": message})

    async def _send_json(self, payload: dict) -> None:
        await self.send(text_data=json.dumps(payload, ensure_ascii=False))
