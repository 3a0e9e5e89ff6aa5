"""Websockets when a service they need fails: a clear close code, never a dead socket.

Every websocket app is wrapped by `closes_when_unavailable`. When the database
or the channel layer (Redis) fails under a connection, at connect or later, the
socket is closed with 4503 (`CLOSE_UNAVAILABLE`): the client waits a moment and
reconnects with `?after=<last activity id>` (or sends `resume`), and gets
everything it missed from the database, exactly once, in order.

A channel-layer failure closes every open socket of the process, not only the
one whose receive loop saw it: a socket that stays open across a Redis restart
would stay subscribed to groups the fresh Redis has forgotten and hear nothing
again, silently. Closing them all makes every client resume once Redis is back.
"""

import logging

from novosphere.unavailable import log_unavailable, unavailable_cause

logger = logging.getLogger(__name__)

CLOSE_UNAVAILABLE = 4503


class _Connection:
    """What the guard knows of one socket: whether it is accepted or closed yet."""

    def __init__(self, send):
        self._send = send
        self.accepted = False
        self.closed = False

    async def send(self, message: dict) -> None:
        if message["type"] == "websocket.accept":
            self.accepted = True
        elif message["type"] == "websocket.close":
            self.closed = True
        await self._send(message)

    async def close_unavailable(self) -> None:
        if self.closed:
            return
        if not self.accepted:
            # A close code needs an accepted socket (before it, a close is a bare HTTP 403).
            await self.send({"type": "websocket.accept"})
        await self.send({"type": "websocket.close", "code": CLOSE_UNAVAILABLE})


_open: set[_Connection] = set()


def closes_when_unavailable(app):
    async def guarded(scope, receive, send):
        connection = _Connection(send)
        _open.add(connection)
        try:
            await app(scope, receive, connection.send)
        except Exception as error:
            cause = unavailable_cause(error)
            if cause is None:
                raise
            if connection.closed:  # already closed by another socket's failure: nothing new to say
                logger.debug("closed socket ended on %s", cause)
                return
            log_unavailable(cause, error, "websocket")
            await connection.close_unavailable()
            if cause == "redis":
                await close_all_open()
        finally:
            _open.discard(connection)

    return guarded


async def close_all_open() -> None:
    """Close every open socket of the process with 4503 (also the live hub's, `feeds.hub`)."""
    others = [connection for connection in _open if not connection.closed]
    if others:
        logger.warning("channel layer down: closing %d open sockets close=%s", len(others), CLOSE_UNAVAILABLE)
    for connection in others:
        try:
            await connection.close_unavailable()
        except Exception:  # already gone on the client side: nothing to tell it
            logger.debug("socket already gone", exc_info=True)
