"""The live stream's safety net: wake-ups a channel layer dropped are made up from the database.

A channel layer may lose a wake-up without telling anyone: channels_redis drops
group messages past a channel's `capacity` or older than its `expiry`, which an
overloaded process reaches. A socket would then miss an activity until the
next wake-up on the same stream, which on a quiet stream may never come.

So each process that holds sockets looks at the database every
`WS_SWEEP_SECONDS`: which stream entries and notifications were committed
since its last look (ids are allocated in commit order, so "after the last id
seen" misses nothing). One interval later — time enough for a wake-up that is
merely slow — every local socket still behind on one of them reads its gap
from the database, exactly as it does for a wake-up that reveals a gap. In the
common case that is two small indexed queries per interval per process, and
no socket reads anything.
"""

import asyncio
import logging

from channels.db import database_sync_to_async
from django.conf import settings

from feeds.models import Notification, StreamEntry

logger = logging.getLogger(__name__)

# Entries read per look; a larger backlog is read over the next looks.
BATCH = 5000


def committed_since(activity_mark: str, notification_mark: int) -> tuple[list[tuple[str, str]], list[tuple[int, int]]]:
    """Stream entries `(stream, activity id)` and notifications `(recipient id, id)` after the marks."""
    entries = list(
        StreamEntry.objects.filter(activity_id__gt=activity_mark)
        .order_by("activity_id")
        .values_list("stream", "activity_id")[:BATCH]
    )
    notifications = list(
        Notification.objects.filter(id__gt=notification_mark).order_by("id").values_list("recipient_id", "id")[:BATCH]
    )
    return entries, notifications


class Sweeper:
    """One per process: the sockets it holds, and the ticker that nudges the ones left behind."""

    def __init__(self):
        self.sockets: set = set()
        self.task: asyncio.Task | None = None
        self.marks: tuple[str, int] | None = None
        # What the previous look found: {stream: newest id}, {recipient id: newest id}.
        self.pending: tuple[dict[str, str], dict[int, int]] = ({}, {})

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
            self.pending = ({}, {})
            self.task = loop.create_task(self._run())

    def leave(self, socket) -> None:
        self.sockets.discard(socket)

    async def _run(self) -> None:
        read = database_sync_to_async(committed_since, thread_sensitive=False)
        while self.sockets:
            try:
                await asyncio.sleep(settings.WS_SWEEP_SECONDS)
                await self._nudge(*self.pending)
                looked_from = self.marks
                entries, notifications = await read(*looked_from)
            except Exception:  # a database outage: the sockets are closed 4503 elsewhere; look again later
                logger.warning("ws sweep failed; retrying in %ss", settings.WS_SWEEP_SECONDS, exc_info=True)
                await asyncio.sleep(settings.WS_SWEEP_SECONDS)
                continue
            streams: dict[str, str] = {}
            for stream, activity_id in entries:
                streams[stream] = activity_id
            inboxes: dict[int, int] = {}
            for recipient_id, notification_id in notifications:
                inboxes[recipient_id] = notification_id
            self.pending = (streams, inboxes)
            marks = (
                entries[-1][1] if entries else looked_from[0],
                notifications[-1][1] if notifications else looked_from[1],
            )
            if self.marks is not looked_from:  # a socket joined during the read, from older cursors
                marks = (min(marks[0], self.marks[0]), min(marks[1], self.marks[1]))
            self.marks = marks
        self.task, self.marks = None, None

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
            logger.info("ws sweep caught up streams=%s sockets_behind=%s", len(streams), behind)


sweeper = Sweeper()
