"""A tiny ASGI application for tests/e2e/test_frames.py: it sends the frames a client asks for,
through the server's `send_text` shortcut (novosphere/wsserver.py) or the ASGI send, mixed.

The live stream's own frames are a few KiB at most; this lets the tests reach the shortcut's
edges (hundreds of KiB, a reader that stops reading, a socket closing) in a real server.

A text frame from the client is a JSON command:
- `{"frames": [[n, size, "shortcut" | "asgi"], ...]}`: one frame per entry, `text(n, size)`;
- `{"close_then_send": n}`: a close frame, then `n` sends through the shortcut while the socket
  is closing, and `n` more once it is gone; it prints `after-close sends returned` on stderr.
The first frame the application sends says whether the server has the shortcut.
"""

import asyncio
import json
import sys

EXTENSION = "novosphere.frames"
FRENCH = "Réunion à l'hôtel de ville : ça avance, « vraiment » — 3 € œuvre "


def text(n: int, size: int) -> str:
    """Frame `n`, about `size` characters, French, its number and length in the text itself."""
    head = f'{{"n": {n}, "size": {size}, "body": "'
    body = (FRENCH * (size // len(FRENCH) + 1))[: max(size - len(head) - 2, 0)]
    return head + body + '"}'


async def application(scope, receive, send):
    if scope["type"] == "http":
        await receive()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"ok"})
        return
    if scope["type"] != "websocket":
        return
    shortcut = (scope.get("extensions") or {}).get(EXTENSION)
    send_text = shortcut["send_text"] if shortcut else None
    await receive()  # websocket.connect
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.send", "text": json.dumps({"shortcut": send_text is not None})})
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            return
        command = json.loads(message["text"])
        for n, size, way in command.get("frames", ()):
            if way == "shortcut":
                send_text(text(n, size))
            else:
                await send({"type": "websocket.send", "text": text(n, size)})
        if "close_then_send" in command:
            count = command["close_then_send"]
            await send({"type": "websocket.close", "code": 4000})
            for n in range(count):
                send_text(text(n, 100))  # closing: the client has not answered the close yet
            while (await receive())["type"] != "websocket.disconnect":
                pass
            for n in range(count):
                send_text(text(n, 100))  # gone
            print("after-close sends returned", file=sys.stderr, flush=True)
            await asyncio.sleep(0)
            return
