"""Websocket frames come in the socket's language: French by default, English on request."""

import asyncio
import json

import pytest
from websockets.asyncio.client import connect

from tests.i18n.english import english_words

pytestmark = pytest.mark.e2e

BAD_FRAMES = [
    "pas du json",
    json.dumps(["une", "liste"]),
    json.dumps({"type": "danser"}),
    json.dumps({"type": "resume", "after": "hier"}),
    json.dumps({"type": "subscribe", "stream": "city:nulle-part"}),
    json.dumps({"type": "unsubscribe", "stream": "city:nulle-part"}),
]


async def errors_for(url: str) -> list[str]:
    async with connect(url) as ws:
        messages = []
        for frame in BAD_FRAMES:
            await ws.send(frame)
            answer = json.loads(await asyncio.wait_for(ws.recv(), 20))
            assert answer["type"] == "error", answer
            messages.append(answer["message"])
        return messages


def test_error_frames_are_in_the_sockets_language(server, unique):
    token = server.register(unique("lea"))
    french = asyncio.run(errors_for(f"{server.ws}?token={token}"))
    english = asyncio.run(errors_for(f"{server.ws}?token={token}&lang=en"))
    leaked = [(message, english_words(message)) for message in french if english_words(message)]
    assert not leaked, leaked
    assert "Cette trame n'est pas du JSON valide (ou s'imbrique trop profondément)." in french
    assert "This frame is not valid JSON (or nests too deeply)." in english
    assert all(english_words(message) for message in english)
