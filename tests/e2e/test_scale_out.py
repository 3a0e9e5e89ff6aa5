"""Two Daphne processes sharing Redis: a write on one reaches a client of the other."""

import asyncio
import json

import pytest
from websockets.asyncio.client import connect

from tests.e2e.server import Daphne, Database
from tests.e2e.test_websocket import receive, run

pytestmark = pytest.mark.e2e


@pytest.fixture
def two_servers(redis_url):
    database = Database()
    env = {"REDIS_URL": redis_url}
    first = Daphne(database, env=env)
    second = Daphne(database, env=env, migrate=False)
    yield first, second
    first.stop()
    second.stop()
    database.drop()


def test_a_write_on_one_daphne_reaches_a_client_on_the_other(two_servers):
    writer_server, reader_server = two_servers
    assert writer_server.request("GET", "/api/health/")[1]["channel_layer"]["backend"] == "RedisChannelLayer"
    alice_token = reader_server.register("alice")
    bob_token = writer_server.register("bob")
    writer_server.register("carol")
    reader_server.request("POST", "/api/v1/actors/bob/follow/", token=alice_token)

    async def scenario():
        async with connect(reader_server.ws + f"?token={alice_token}") as ws:
            await asyncio.sleep(0.3)
            status, _body = writer_server.request("POST", "/api/v1/actors/carol/follow/", token=bob_token)
            assert status == 200
            frame = await receive(ws)
            assert frame["type"] == "activity"
            assert (frame["activity"]["actor"]["handle"], frame["activity"]["object"]["id"]) == ("bob", "carol")
            await ws.send(json.dumps({"type": "subscribe", "stream": "actor:carol"}))
            assert (await receive(ws))["type"] == "subscribed"

    run(scenario())
