"""Erasing an account closes its open sockets: a real Daphne, a real websocket client."""

import asyncio
import json

import pytest
from websockets.asyncio.client import connect

from tests.e2e.test_websocket import close_code, receive, run

pytestmark = pytest.mark.e2e

PASSWORD = "a long enough passphrase"  # what tests/e2e/server.py registers people with


@pytest.fixture(scope="module")
def daphne():
    from tests.e2e.server import Daphne, Database

    database = Database()
    server = Daphne(database)
    yield server
    server.stop()
    database.drop()


def test_erasing_the_account_closes_its_sockets_and_not_others(daphne):
    token, other_token = daphne.register("leaving"), daphne.register("staying")

    async def scenario():
        async with connect(daphne.ws + f"?token={token}") as ws, connect(daphne.ws + f"?token={other_token}") as other:
            for socket in (ws, other):
                await socket.send(json.dumps({"type": "subscribe", "stream": "actor:staying"}))
                assert (await receive(socket))["type"] == "subscribed"
            status, _answer = await asyncio.to_thread(
                daphne.request, "DELETE", "/api/v1/me/", {"password": PASSWORD}, token
            )
            assert status == 204
            assert await close_code(ws, timeout=10) == 4401
            await other.send(json.dumps({"type": "subscribe", "stream": "actor:staying"}))
            assert (await receive(other))["type"] == "subscribed"

    run(scenario())
