"""The frame shortcut of `python -m novosphere.wsserver` (what `manage.py serve` runs), end to end.

The hub's frames go straight to each socket, framed once per text (novosphere/wsserver.py);
these check, in real servers and with real clients, that they still arrive whole and in order
(big ones, French ones, to a reader that stops reading), that a socket that negotiated
permessage-deflate still gets frames it can read, that a closing or closed socket gets
nothing and breaks nothing, and that plain Daphne (no shortcut) still delivers.
"""

import asyncio
import base64
import json
import os
import struct

import pytest
from websockets.asyncio.client import connect

from tests.e2e.frames_app import FRENCH, text
from tests.e2e.server import PLAIN_DAPHNE, SERVER, Daphne
from tests.e2e.test_websocket import (
    private_project_with_member,
    receive,
    receive_until,
    run,
)

pytestmark = pytest.mark.e2e

FRAMES_APP = "tests.e2e.frames_app:application"


def serving(database, command: list[str], app: str, env: dict | None = None) -> Daphne:
    return Daphne(database, env=env, argv=lambda port: [*command, "-b", "127.0.0.1", "-p", str(port), app])


@pytest.fixture(scope="module")
def frames_server(e2e_database):
    server = serving(e2e_database, SERVER, FRAMES_APP)
    yield server
    server.stop()


class RawClient:
    """A websocket client on a bare TCP connection: it sees the server's frames byte for byte
    and answers nothing on its own (no pong, no reply to a close)."""

    async def open(self, url: str, extensions: str | None = None) -> "RawClient":
        host_port, _, path = url.removeprefix("ws://").partition("/")
        host, port = host_port.split(":")
        self.reader, self.writer = await asyncio.open_connection(host, int(port))
        key = base64.b64encode(os.urandom(16)).decode()
        headers = [f"GET /{path} HTTP/1.1", f"Host: {host_port}", "Upgrade: websocket", "Connection: Upgrade",
                   f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
        if extensions:
            headers.append(f"Sec-WebSocket-Extensions: {extensions}")
        self.writer.write(("\r\n".join(headers) + "\r\n\r\n").encode())
        response = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), 20)
        assert response.startswith(b"HTTP/1.1 101"), response
        self.handshake = response.decode("latin-1").lower()
        return self

    async def frame(self, timeout: float = 20) -> tuple[int, int, bool, bytes]:
        """(first byte, second byte, masked, payload) of the next frame."""
        head = await asyncio.wait_for(self.reader.readexactly(2), timeout)
        length = head[1] & 0x7F
        if length == 126:
            length = struct.unpack("!H", await self.reader.readexactly(2))[0]
        elif length == 127:
            length = struct.unpack("!Q", await self.reader.readexactly(8))[0]
        masked = bool(head[1] & 0x80)
        mask = await self.reader.readexactly(4) if masked else b""
        payload = await self.reader.readexactly(length)
        if masked:
            payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        return head[0], head[1], masked, payload

    async def text(self, timeout: float = 20) -> str:
        first, _, masked, payload = await self.frame(timeout)
        assert first == 0x81 and not masked, (hex(first), masked)  # FIN, text, no RSV bit: one plain frame
        return payload.decode("utf-8")

    def send_text(self, value: str) -> None:
        """A masked text frame, as clients must send."""
        payload, mask = value.encode(), os.urandom(4)
        length = len(payload)
        head = bytes([0x81]) + (bytes([0x80 | length]) if length < 126 else bytes([0x80 | 126]) + struct.pack("!H", length))
        self.writer.write(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    async def at_end(self, timeout: float = 10) -> bytes:
        """What the server still sends before it drops the connection (closed or reset)."""
        received = b""
        try:
            while chunk := await asyncio.wait_for(self.reader.read(65536), timeout):
                received += chunk
        except ConnectionResetError:
            pass
        return received

    def close(self) -> None:
        self.writer.close()


def mix(sizes: list[int]) -> list[list]:
    """One command entry per size, alternating the shortcut and the ASGI send."""
    return [[n, size, "shortcut" if n % 3 else "asgi"] for n, size in enumerate(sizes)]


SIZES = [10, 125, 126, 2_000, 65_535, 65_536, 70_000, 300_000, 800_000, 40, 3]  # bytes: up to 0.9 MiB (the limit is 1)


def test_frames_arrive_whole_and_in_order_byte_for_byte(frames_server):
    async def scenario():
        client = await RawClient().open(frames_server.ws)
        assert json.loads(await client.text()) == {"shortcut": True}
        client.send_text(json.dumps({"frames": mix(SIZES)}))
        for n, size in enumerate(SIZES):
            got = await client.text()  # unmasked, unfragmented, uncompressed
            assert got == text(n, size), (n, size, len(got))
        client.close()

    run(scenario())
    assert "Traceback" not in frames_server.logs()


def test_a_reader_that_stops_reading_still_gets_everything_in_order(frames_server):
    """Megabytes while the client reads nothing: the kernel's buffer fills, the shortcut's
    sends go short or would block, and the rest waits in Twisted's buffer, in order."""
    sizes = [200_000, 5, 300_000, 1_000] * 12  # about 6 MB

    async def scenario():
        async with connect(frames_server.ws, max_size=None, compression=None, max_queue=None) as ws:
            assert json.loads(await ws.recv()) == {"shortcut": True}
            ws.transport.pause_reading()
            await ws.send(json.dumps({"frames": mix(sizes)}))
            await asyncio.sleep(1.5)
            ws.transport.resume_reading()
            for n, size in enumerate(sizes):
                assert await asyncio.wait_for(ws.recv(), 20) == text(n, size), (n, size)

    run(scenario())


def test_a_socket_that_negotiated_permessage_deflate_gets_frames_it_can_read(e2e_database):
    server = serving(e2e_database, SERVER, FRAMES_APP, env={"WS_PERMESSAGE_DEFLATE": "true"})
    try:
        async def scenario():
            async with connect(server.ws, max_size=None) as ws:  # offers permessage-deflate
                assert [type(e).__name__ for e in ws.protocol.extensions] == ["PerMessageDeflate"]
                assert json.loads(await ws.recv()) == {"shortcut": True}
                await ws.send(json.dumps({"frames": mix(SIZES)}))
                for n, size in enumerate(SIZES):
                    assert await asyncio.wait_for(ws.recv(), 20) == text(n, size), (n, size)
            # Byte for byte: compressed frames (RSV1 set), never the plain prepared bytes.
            client = await RawClient().open(server.ws, extensions="permessage-deflate")
            assert "permessage-deflate" in client.handshake
            await client.frame()
            client.send_text(json.dumps({"frames": [[0, 5_000, "shortcut"]]}))
            first, _, _, payload = await client.frame()
            assert first == 0xC1 and len(payload) < 5_000, hex(first)
            client.close()

        run(scenario())
        assert "Traceback" not in server.logs()
    finally:
        server.stop()


def test_a_closing_or_closed_socket_gets_nothing_and_nothing_raises(frames_server):
    async def scenario():
        client = await RawClient().open(frames_server.ws)
        await client.text()
        client.send_text(json.dumps({"close_then_send": 5}))
        first, _, _, payload = await client.frame()
        assert first == 0x88 and struct.unpack("!H", payload[:2])[0] == 4000  # the close frame
        # We never answer it: the server waits for us, then drops the connection.
        assert await client.at_end() == b""
        client.close()

    run(scenario())
    for _ in range(50):
        if "after-close sends returned" in frames_server.logs():
            break
        run(asyncio.sleep(0.1))
    logs = frames_server.logs()
    assert "after-close sends returned" in logs and "Traceback" not in logs, logs[-3000:]


def test_without_the_shortcut_the_asgi_send_delivers(e2e_database):
    server = serving(e2e_database, PLAIN_DAPHNE, FRAMES_APP)
    try:
        async def scenario():
            async with connect(server.ws, max_size=None) as ws:
                assert json.loads(await ws.recv()) == {"shortcut": False}
                sizes = [100, 70_000, 7]
                await ws.send(json.dumps({"frames": [[n, size, "asgi"] for n, size in enumerate(sizes)]}))
                for n, size in enumerate(sizes):
                    assert await asyncio.wait_for(ws.recv(), 20) == text(n, size)

        run(scenario())
    finally:
        server.stop()


# --- the live stream itself ----------------------------------------------------------


def stream_frames_in_french(server, unique) -> None:
    """A member's socket and a follower's socket each get a French update and a follow, intact, in order."""
    owner, owner_token, member_token, _outsider_token, slug = private_project_with_member(server, unique, "Atelier ")
    follower_token = server.register(unique("suiveuse"))
    assert server.request("POST", f"/api/v1/actors/{owner}/follow/", token=follower_token)[0] == 200
    assert server.request("POST", f"/api/v1/actors/{owner}/follow/", token=member_token)[0] == 200
    target = unique("cible")
    server.register(target)
    body = FRENCH * 3

    async def scenario():
        async with connect(server.ws + f"?token={member_token}") as member_ws, \
                connect(server.ws + f"?token={follower_token}") as follower_ws:
            await asyncio.sleep(0.3)
            status, _ = server.request("POST", f"/api/v1/projects/{slug}/updates/", {"body": body}, token=owner_token)
            assert status == 201
            assert server.request("POST", f"/api/v1/actors/{target}/follow/", token=owner_token)[0] == 200
            frames = await receive_until(member_ws, lambda f: f["type"] == "activity"
                                         and f["activity"]["object"]["id"] == target)
            activities = [f["activity"] for f in frames if f["type"] == "activity"]
            assert len(activities) == 2 and activities[0]["id"] < activities[1]["id"], frames
            assert FRENCH.strip() in activities[0]["object"]["content"], activities[0]  # the private update, intact
            # The follower may not see the private update: only the follow.
            frame = await receive(follower_ws)
            assert frame["type"] == "activity" and frame["activity"]["object"]["id"] == target, frame

    run(scenario())


def test_live_stream_frames_arrive_intact_through_the_shortcut(server, unique):
    stream_frames_in_french(server, unique)


def test_live_stream_on_compressed_sockets(e2e_database, unique):
    server = Daphne(e2e_database, env={"WS_PERMESSAGE_DEFLATE": "true"})
    try:
        stream_frames_in_french(server, unique)
    finally:
        server.stop()


def test_live_stream_on_plain_daphne(e2e_database, unique):
    server = serving(e2e_database, PLAIN_DAPHNE, "novosphere.asgi:application")
    try:
        stream_frames_in_french(server, unique)
    finally:
        server.stop()


@pytest.fixture
def plain_daphne(e2e_database):
    """The session server's settings, on plain Daphne: no shortcut."""
    server = serving(e2e_database, PLAIN_DAPHNE, "novosphere.asgi:application",
                     env={"WS_FRAME_BURST": "20", "WS_FRAMES_PER_SECOND": "5"})
    yield server
    server.stop()


@pytest.mark.parametrize("which", ["server", "plain_daphne"])
def test_a_frame_for_a_socket_the_server_is_closing_breaks_no_other(request, which, unique):
    """A socket closed 4429 by the server, whose client has not answered the close yet, is
    still in the hub when the next activity of its stream comes: it gets nothing, and the
    hub goes on with the others (a send that raised there ended every socket of the process)."""
    server = request.getfixturevalue(which)
    writer, reader_a, reader_b = unique("ecrivaine"), unique("lectrice"), unique("lecteur")
    writer_token, a_token, b_token = server.register(writer), server.register(reader_a), server.register(reader_b)
    for token in (a_token, b_token):
        assert server.request("POST", f"/api/v1/actors/{writer}/follow/", token=token)[0] == 200
    target = unique("cible")
    server.register(target)

    async def scenario():
        async with connect(server.ws + f"?token={b_token}") as other:
            flooder = await RawClient().open(server.ws + f"?token={a_token}")
            for n in range(40):  # past WS_FRAME_BURST=20
                flooder.send_text(json.dumps({"type": "unsubscribe", "stream": f"x{n}"}))
            while True:
                first, _, _, payload = await flooder.frame()
                if first == 0x88:
                    assert struct.unpack("!H", payload[:2])[0] == 4429
                    break
            # Within autobahn's one second for our close reply, which never comes.
            assert server.request("POST", f"/api/v1/actors/{target}/follow/", token=writer_token)[0] == 200
            assert await flooder.at_end() == b""  # nothing after the close frame
            flooder.close()
            frame = await receive(other)
            assert frame["type"] == "activity" and frame["activity"]["object"]["id"] == target, frame
            await asyncio.sleep(0.5)
            assert other.close_code is None  # still open: the hub did not fail

    run(scenario())
    assert "hub: layer receive failed" not in server.logs()

