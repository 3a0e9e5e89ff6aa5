"""Daphne, with one shortcut for the live stream's frames: run as `python -m novosphere.wsserver`.

Same arguments as the `daphne` command (`manage.py serve`, `make run` and the
end-to-end tests start it). It differs in one thing: each websocket scope gets
an ASGI extension, `scope["extensions"][EXTENSION]["send_text"]`, a function
that writes one text frame to that connection's socket at once. The hub
(`feeds.hub`) fans one activity out to thousands of sockets of the process with
it: the frame's bytes are built once per text (`_prepared`), not per socket,
and each socket then costs one `send` instead of Daphne's ASGI send chain, the
framing and Twisted's buffered write (which arms and disarms the socket in
epoll for every frame). Elsewhere (plain `daphne`, channels' test
communicator) there is no extension and `StreamConsumer.send_frame` sends as
usual.

`WS_PERMESSAGE_DEFLATE=true` accepts clients' permessage-deflate offers
(Daphne accepts none): each frame is then compressed per socket by autobahn,
so the shortcut only saves the ASGI hop on those sockets.
"""

import functools
import sys

# daphne.server first: it installs Twisted's asyncio reactor, which must come before any other.
from daphne.server import Server  # isort:skip
from autobahn.websocket.compress import PerMessageDeflateOffer, PerMessageDeflateOfferAccept
from autobahn.websocket.protocol import PreparedMessage, WebSocketProtocol
from daphne.cli import CommandLineInterface
from django.conf import settings
from twisted.internet import tcp

# feeds/consumers.py names it too (it must not import this module, which installs a reactor).
EXTENSION = "novosphere.frames"


@functools.lru_cache(maxsize=64)
def _prepared(text: str) -> PreparedMessage:
    """The unmasked, uncompressed frame of `text`, once per text: the hub sends the
    same str object to every socket, so a lookup here is a hash already computed."""
    return PreparedMessage(text.encode("utf-8"), isBinary=False, applyMask=False, doNotCompress=False)


def send_text(server: Server, protocol: WebSocketProtocol, text: str) -> None:
    """What `send({"type": "websocket.send", "text": text})` does through Daphne and autobahn,
    without their per-call work, for an accepted, open socket.

    A socket that is gone or closing gets nothing and nothing raises (autobahn's
    `sendMessage` would raise `Disconnected` on a closing one, into the hub's
    loop). One that is not accepted yet, compresses, or would exceed the size
    limit takes Daphne's own `serverSend`, which accepts, compresses or refuses
    as it always did."""
    details = server.connections.get(protocol)
    if details is None or "disconnected" in details:
        return  # Daphne's handle_reply drops it the same way
    state = protocol.state
    if state == WebSocketProtocol.STATE_CLOSING or state == WebSocketProtocol.STATE_CLOSED:
        return
    message = _prepared(text)
    if (state != WebSocketProtocol.STATE_OPEN or protocol._perMessageCompress is not None
            or protocol.send_state != WebSocketProtocol.SEND_STATE_GROUND
            or 0 < protocol.maxMessagePayloadSize < len(message.payload)):
        protocol.serverSend(text, False)
        return
    if protocol.send_queue:
        protocol.sendData(message.payloadHybi)  # behind autobahn's own queue, in order
        return
    write_now(protocol.transport, message.payloadHybi)


def write_now(transport, data: bytes) -> None:
    """`transport.write(data)`, but with one `send` straight away when Twisted has nothing
    buffered for this socket: no `startWriting`/`stopWriting` pair (two epoll_ctl calls and
    a reactor turn) per frame. What the kernel does not take now (a partial write, EAGAIN,
    an error) goes to `transport.write`, behind nothing, so bytes stay whole and in order;
    a broken connection is then found and closed by Twisted as usual."""
    if (not isinstance(transport, tcp.Connection) or transport.TLS or not transport.connected or transport.disconnecting
            or transport._writeDisconnecting or transport._writeDisconnected
            or transport._tempDataLen or len(transport.dataBuffer) > transport.offset):
        transport.write(data)  # TLS, half-closed, or bytes already waiting: Twisted's way
        return
    try:
        sent = transport.socket.send(data)
    except OSError:
        sent = 0  # EAGAIN, or a reset that Twisted's own write will find and report
    if sent < len(data):
        transport.write(data[sent:])


def _accept_deflate(offers):
    for offer in offers:
        if isinstance(offer, PerMessageDeflateOffer):
            return PerMessageDeflateOfferAccept(offer)
    return None


class FramesServer(Server):
    """Daphne's server; websocket scopes get the `send_text` extension (see the module)."""

    def create_application(self, protocol, scope):
        if scope.get("type") == "websocket":
            scope.setdefault("extensions", {})[EXTENSION] = {
                "send_text": functools.partial(send_text, self, protocol),
            }
            if settings.WS_PERMESSAGE_DEFLATE:
                # Read by autobahn once the application accepts, after this.
                protocol.perMessageCompressionAccept = _accept_deflate
        return super().create_application(protocol, scope)


class FramesCommandLineInterface(CommandLineInterface):
    server_class = FramesServer


def main(argv=None) -> None:
    FramesCommandLineInterface().run(sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    main()
