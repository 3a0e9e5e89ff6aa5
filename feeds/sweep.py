"""The live stream's safety net: wake-ups a channel layer dropped are made up from the database.

A channel layer may lose a wake-up without telling anyone: channels_redis drops
group messages past a channel's `capacity` or older than its `expiry`, which an
overloaded process reaches. A socket would then miss an activity until the
next wake-up on the same stream, which on a quiet stream may never come.

So each process that holds sockets looks at the database every
`WS_SWEEP_SECONDS`: which stream entries and notifications were committed
since its last look (ids are allocated in commit order, so "after the last id
seen" misses nothing). Once the layer shows that a wake-up is not merely slow
(see `Sweeper`), every local socket still behind on it reads its gap from the
database, exactly as it does for a wake-up that reveals a gap. In the common
case that is two small indexed queries per interval per process, and no
socket reads anything.
"""

import asyncio
import logging
import time

from channels.db import database_sync_to_async
from django.conf import settings

from feeds.models import Notification, StreamEntry

logger = logging.getLogger(__name__)

# Entries read per look; a larger backlog is read over the next looks.
BATCH = 5000
# channels_redis drops a queued message after this many seconds (its `expiry`).
LAYER_EXPIRY = 60


def committed_since(activity_mark: str, notification_mark: int) -> tuple[list[tuple[str, str]], list[tuple[int, int]]]:
    """Stream entries `(stream, activity id)` and notifications `(recipient id, id, activity id)`
    committed after the marks."""
    entries = list(
        StreamEntry.objects.filter(activity_id__gt=activity_mark)
        .order_by("activity_id")
        .values_list("stream", "activity_id")[:BATCH]
    )
    notifications = list(
        Notification.objects.filter(id__gt=notification_mark)
        .order_by("id")
        .values_list("recipient_id", "id", "activity_id")[:BATCH]
    )
    return entries, notifications


class Sweeper:
    """One per process: the sockets it holds, and the ticker that nudges the ones left behind.

    An entry found by a look is only made up for once the layer has shown it is
    not merely slow: the process has since been woken for a later activity (the
    layer's queue is first in, first out, so the wake-up was dropped), or it got
    no wake-up at all for a whole interval (the layer is idle, nothing is
    coming), or the layer's own expiry has passed. Under a backlog, sockets then
    keep taking their pre-rendered frames from the layer instead of all reading
    the database at once.
    """

    def __init__(self):
        self.sockets: set = set()
        self.task: asyncio.Task | None = None
        self.marks: tuple[str, int] | None = None
        self._reset()

    def _reset(self) -> None:
        # Found by a look, not made up for yet: {stream: (newest id, since)},
        # {recipient id: (newest notification id, its activity id, since)}.
        self.pending_streams: dict[str, tuple[str, float]] = {}
        self.pending_inboxes: dict[int, tuple[int, str, float]] = {}
        self.seen = ""  # the newest activity this process was woken for
        self.last_wake = time.monotonic()

    def join(self, socket, activity_cursor: str, notification_cursor: int) -> None:
        """Watch over `socket` from its starting cursors on: the next look reads from them
        if they are older than its marks, so nothing between the two goes unseen."""
        self.sockets.add(socket)
        if self.marks is None:
            self.marks = (activity_cursor, notification_cursor)
        else:
            self.marks = (min(self.marks[0], activity_cursor), min(self.marks[1], notification_cursor))
        loop = asyncio.get_running_loop()
        if self.task is None or self.task.done() or self.task.get_loop() is not loop:
            self._reset()
            self.task = loop.create_task(self._run())

    def leave(self, socket) -> None:
        self.sockets.discard(socket)

    def saw(self, activity_id: str) -> None:
        """A socket of this process was woken for `activity_id`."""
        if activity_id > self.seen:
            self.seen = activity_id
        self.last_wake = time.monotonic()

    def woken(self) -> None:
        self.last_wake = time.monotonic()

    async def _run(self) -> None:
        read = database_sync_to_async(committed_since, thread_sensitive=False)
        interval = settings.WS_SWEEP_SECONDS
        while self.sockets:
            try:
                await asyncio.sleep(interval)
                await self._nudge(*self._due(interval))
                looked_from = self.marks
                entries, notifications = await read(*looked_from)
            except Exception:  # a database outage: the sockets are closed 4503 elsewhere; look again later
                logger.warning("ws sweep failed; retrying in %ss", interval, exc_info=True)
                await asyncio.sleep(interval)
                continue
            now = time.monotonic()
            for stream, activity_id in entries:
                since = self.pending_streams.get(stream, (None, now))[1]
                self.pending_streams[stream] = (activity_id, since)
            for recipient_id, notification_id, activity_id in notifications:
                since = self.pending_inboxes.get(recipient_id, (None, None, now))[2]
                self.pending_inboxes[recipient_id] = (notification_id, activity_id, since)
            marks = (
                entries[-1][1] if entries else looked_from[0],
                notifications[-1][1] if notifications else looked_from[1],
            )
            if self.marks is not looked_from:  # a socket joined during the read, from older cursors
                marks = (min(marks[0], self.marks[0]), min(marks[1], self.marks[1]))
            self.marks = marks
        self.task, self.marks = None, None

    def _due(self, interval: float) -> tuple[dict[str, str], dict[int, int]]:
        """The pending entries whose wake-up is not coming, taken out of `pending`."""
        now = time.monotonic()
        idle = now - self.last_wake >= interval

        def due(activity_id: str, since: float) -> bool:
            return idle or activity_id <= self.seen or now - since >= LAYER_EXPIRY

        streams = {
            stream: activity_id for stream, (activity_id, since) in self.pending_streams.items() if due(activity_id, since)
        }
        inboxes = {
            recipient: notification_id
            for recipient, (notification_id, activity_id, since) in self.pending_inboxes.items()
            if due(activity_id, since)
        }
        for stream in streams:
            del self.pending_streams[stream]
        for recipient in inboxes:
            del self.pending_inboxes[recipient]
        return streams, inboxes

    async def _nudge(self, streams: dict[str, str], inboxes: dict[int, int]) -> None:
        if not streams and not inboxes:
            return
        behind = 0
        for socket in list(self.sockets):
            try:
                behind += await socket.sweep(streams, inboxes)
            except Exception:  # one socket's failure must not stop the others' catch-up
                logger.warning("ws sweep of one socket failed", exc_info=True)
        if behind:
            logger.info("ws sweep caught up streams=%s inboxes=%s sockets_behind=%s", len(streams), len(inboxes), behind)


sweeper = Sweeper()
