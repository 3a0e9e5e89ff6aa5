"""One process's sockets on the channel layer: one membership per group, fanned out here.

Without it every socket is a layer channel of its own and a member of each of
its groups: a wake-up for a stream that N local sockets follow is N layer
messages, each received through channels_redis' per-channel receive machinery
(a lock and buffer dance whose cost grows with the number of waiting channels).

With it, the process has one layer channel (`Hub.channel`), a member of each
group that at least one local socket needs, counted by local members and left
when the last one leaves. Each wake-up arrives once, and is handed here to every
local member in arrival order:

- straight away (`Mailbox.offer`), while the socket is idle and has nothing
  queued: the socket decides without waiting (`settle_now`: cursors, blocks,
  audience) and its frame text, rendered once per (activity, language, stream)
  for the whole process, is written from this one task (`send_frame`); the
  common case, and the one that must cost microseconds per socket;
- otherwise queued on the socket's own mailbox, which its receive loop takes
  one at a time with its other handlers (a gap to read, a private activity to
  check against the database, a notification, a follow or block changed), so
  per-socket order is what the layer delivered, as with a channel per socket.

It works on any channel layer (the in-memory one of the embedded default, or
channels_redis): no direct Redis pub/sub, so the layer's delivery rules, its
capacity and expiry (which `feeds.sweep` makes up for), and its outage errors
stay what they were. Senders name the group in the message (`"group"`) since
a layer does not tell a receiver which group a message came through.
"""

import asyncio
import contextlib
import logging

from channels.layers import get_channel_layer
from django.conf import settings

from novosphere import ws_guard
from novosphere.unavailable import log_unavailable, unavailable_cause

logger = logging.getLogger(__name__)

# Sockets handed a message between two turns of the event loop.
YIELD_EVERY = 500


def addressed(group: str, message: dict) -> dict:
    """`message` as sent to `group`: with the group named, for the hubs that receive it."""
    return {**message, "group": group}


class Turn:
    """A socket's handlers run one at a time: an asyncio.Lock that also tells whether
    anyone waits for it, so the hub cuts in only when that takes nothing from anyone."""

    def __init__(self):
        self._lock = asyncio.Lock()
        self._waiting = 0

    async def __aenter__(self):
        self._waiting += 1
        try:
            await self._lock.acquire()
        finally:
            self._waiting -= 1

    async def __aexit__(self, *exc_info):
        self._lock.release()

    def free(self) -> bool:
        """Nobody holds it or waits for it: taking it now does not yield."""
        return not self._waiting and not self._lock.locked()


class Mailbox:
    """What the hub has for one socket and could not hand over at once, oldest first.

    The socket's receive loop takes from it (`get`) like from its own layer
    channel. `pending` counts messages queued or being handled: while it is
    non-zero, later ones queue too, so none overtakes another."""

    def __init__(self, socket):
        self.socket = socket
        self.queue: asyncio.Queue = asyncio.Queue()
        self.pending = 0

    def offer_now(self, message: dict) -> bool:
        """`offer` without a coroutine, when the server writes frames synchronously
        (`send_text`, under `novosphere.wsserver`) and the socket is idle: the hub's
        loop over ten thousand sockets then costs one call each. False, touching
        nothing, when `offer` must do it."""
        socket = self.socket
        if self.pending or socket.send_text is None or not socket.turn.free():
            return False
        text = socket.settle_now(message)
        if text is None:
            return False
        if text:
            socket.send_text(text)
        return True

    async def offer(self, message: dict) -> None:
        """What `offer_now` could not do: straight away through the ASGI send when the server
        has no synchronous one, else queued."""
        socket = self.socket
        if socket.send_text is None and not self.pending and socket.turn.free():
            # Taken without yielding, and held across the send in case a server's send yields.
            async with socket.turn:
                text = socket.settle_now(message)
                if text:
                    await socket.send_frame(text)
            if text is not None:
                return
        self.pending += 1
        self.queue.put_nowait(message)

    async def get(self) -> dict:
        message = await self.queue.get()
        # The envelope tells the socket's dispatch to call `done` once it is handled.
        return {"type": "hub.message", "message": message}

    def done(self) -> None:
        self.pending -= 1


class Hub:
    """The groups of one process's sockets, on one layer channel (see the module)."""

    def __init__(self, layer):
        self.layer = layer
        self.loop = asyncio.get_running_loop()
        self.channel: str | None = None
        self.reader: asyncio.Task | None = None
        self.rejoiner: asyncio.Task | None = None
        self.broken = False
        self.joined: set[str] = set()  # groups `channel` is a member of
        self.members: dict[str, dict] = {}  # group -> {socket: None}, in join order
        self.groups_of: dict = {}  # socket -> its groups
        self._locks: dict[str, list] = {}  # group -> [lock, users]: membership changes one at a time
        self._start = asyncio.Lock()

    # --- membership -------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def _exclusive(self, group: str):
        entry = self._locks.setdefault(group, [asyncio.Lock(), 0])
        entry[1] += 1
        try:
            async with entry[0]:
                yield
        finally:
            entry[1] -= 1
            if not entry[1]:
                del self._locks[group]

    async def join(self, group: str, socket) -> None:
        """`socket` gets `group`'s messages from now on. Once this returns the layer
        membership is in place: what is sent to the group afterwards reaches it."""
        async with self._exclusive(group):
            if group not in self.joined:
                await self._start_reader()
                await self.layer.group_add(group, self.channel)
                self.joined.add(group)
            self.members.setdefault(group, {})[socket] = None
            self.groups_of.setdefault(socket, set()).add(group)

    async def leave(self, group: str, socket) -> None:
        """`socket` gets nothing more from `group`; the last local member leaves the layer group."""
        self._drop(group, socket)
        if group in self.members:
            return
        async with self._exclusive(group):
            # Re-checked: a join may have come while we waited.
            if group not in self.members and group in self.joined and not self.broken:
                self.joined.discard(group)
                await self.layer.group_discard(group, self.channel)

    async def leave_all(self, socket) -> None:
        for group in sorted(self.groups_of.get(socket, ())):
            await self.leave(group, socket)

    def forget(self, socket) -> None:
        """`socket` is gone (maybe without `leave_all`, e.g. after an outage): deliver
        nothing more to it, and leave its last groups in the background."""
        groups = self.groups_of.pop(socket, set())
        for group in groups:
            self._drop(group, socket)
        emptied = [group for group in groups if group not in self.members]
        if emptied and not self.broken:
            task = self.loop.create_task(self._leave_emptied(emptied))
            _background.add(task)
            task.add_done_callback(_background.discard)

    async def _leave_emptied(self, groups: list[str]) -> None:
        for group in groups:
            async with self._exclusive(group):
                if group not in self.members and group in self.joined and not self.broken:
                    self.joined.discard(group)
                    try:
                        await self.layer.group_discard(group, self.channel)
                    except Exception:  # the layer is down: its groups expire on their own
                        logger.debug("hub: group_discard failed", exc_info=True)

    def _drop(self, group: str, socket) -> None:
        members = self.members.get(group)
        if members is not None:
            members.pop(socket, None)
            if not members:
                del self.members[group]
        groups = self.groups_of.get(socket)
        if groups is not None:
            groups.discard(group)

    # --- receiving --------------------------------------------------------------

    async def _start_reader(self) -> None:
        async with self._start:
            if self.channel is None:
                self.channel = await self.layer.new_channel()
                self.reader = self.loop.create_task(self._read())
                self.rejoiner = self.loop.create_task(self._rejoin())

    async def _read(self) -> None:
        try:
            while True:
                message = await self.layer.receive(self.channel)
                await self.route(message)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            await self._fail(error)

    async def route(self, message: dict) -> None:
        """Hand `message` to each local member of its group, in join order."""
        group = message.get("group")
        if group is None and message.get("type") == "stream.activity":
            from feeds.live import group_for_stream  # a writer that predates the hub

            group = group_for_stream(message["stream"])
        members = self.members.get(group)
        if not members:
            return  # its last socket just left
        for count, socket in enumerate(list(members), 1):
            mailbox = socket.mailbox
            if mailbox is not None and not mailbox.offer_now(message):
                await mailbox.offer(message)
            if not count % YIELD_EVERY:
                # Let the server flush the frames written so far, and serve its other work.
                await asyncio.sleep(0)

    async def _fail(self, error: Exception) -> None:
        """The layer failed under the one receive of this process: every socket here has lost
        its wake-ups, so all are closed 4503 (clients resume), and later sockets get a new hub."""
        self.broken = True
        cause = unavailable_cause(error)
        if cause is None:
            logger.error("hub: layer receive failed", exc_info=error)
        else:
            log_unavailable(cause, error, "websocket hub")
        if _hubs.get(self.layer) is self:
            del _hubs[self.layer]
        if self.rejoiner is not None:
            self.rejoiner.cancel()
        self.members.clear()
        await ws_guard.close_all_open()

    async def _rejoin(self) -> None:
        """Layers drop group members after `group_expiry`: the hub's channel joins again."""
        while True:
            await asyncio.sleep(settings.WS_GROUP_REJOIN_SECONDS)
            for group in list(self.joined):
                async with self._exclusive(group):
                    if group in self.joined:
                        try:
                            await self.layer.group_add(group, self.channel)
                        except Exception:  # an outage: the reader's failure closes the sockets
                            logger.warning("hub: rejoin of %s failed", group, exc_info=True)


_hubs: dict = {}
_background: set[asyncio.Task] = set()


def local() -> Hub:
    """This process's hub for the current channel layer and event loop."""
    layer = get_channel_layer()
    hub = _hubs.get(layer)
    if hub is None or hub.loop is not asyncio.get_running_loop():
        hub = _hubs[layer] = Hub(layer)
    return hub
