"""The per-process hub (feeds/hub.py) end to end: several sockets in one real Daphne.

Each process is one member of a group, whatever the number of its sockets on it;
each socket still decides for itself what it may see, in order, exactly once.
"""

import asyncio
import json

import pytest
from websockets.asyncio.client import connect

from feeds.live import group_for_stream
from tests.e2e.server import Daphne, Database
from tests.e2e.test_websocket import (
    frames_for,
    nothing_more,
    private_project_with_member,
    receive_until,
    run,
)

pytestmark = pytest.mark.e2e


def activities(frames: list[dict], by: str | None = None) -> list[str]:
    """The objects of the activity frames (of those by `by`), in arrival order."""
    return [frame["activity"]["object"]["id"] for frame in frames if frame["type"] == "activity"
            and by in (None, frame["activity"]["actor"]["handle"])]


def follows(server, token: str, target: str) -> None:
    status, body = server.request("POST", f"/api/v1/actors/{target}/follow/", token=token)
    assert status == 200, body


def accounts(server, handles: list[str]) -> list[str]:
    """`handles` registered, for others to follow: each follow of one is an activity to watch for."""
    for handle in handles:
        server.register(handle)
    return handles


def test_two_sockets_on_one_stream_each_get_only_what_they_may_see(server, unique):
    owner, owner_token, member_token, outsider_token, slug = private_project_with_member(server, unique, "Cercle ")
    for token in (member_token, outsider_token):
        follows(server, token, owner)
    targets = accounts(server, [unique("t") for _ in range(3)])

    async def scenario():
        # Two sockets of the member and one of the outsider, all on the owner's stream in one process.
        async with connect(server.ws + f"?token={member_token}") as first, \
                connect(server.ws + f"?token={member_token}") as second, \
                connect(server.ws + f"?token={outsider_token}") as outsider_ws:
            follows(server, owner_token, targets[0])
            status, _ = server.request("POST", f"/api/v1/projects/{slug}/updates/", {"body": "Réservé"},
                                       token=owner_token)
            assert status == 201
            follows(server, owner_token, targets[1])
            follows(server, owner_token, targets[2])
            done = targets[2]
            for ws in (first, second):
                frames = await receive_until(ws, lambda f: f["type"] == "activity"
                                             and f["activity"]["object"]["id"] == done)
                ids = [frame["activity"]["id"] for frame in frames if frame["type"] == "activity"]
                assert len(ids) == len(set(ids)) == 4, frames  # the private update is among them, once
                assert ids == sorted(ids)  # in write order
                assert any(slug in json.dumps(frame) for frame in frames)
                assert await nothing_more(ws)
            frames = await receive_until(outsider_ws, lambda f: f["type"] == "activity"
                                         and f["activity"]["object"]["id"] == done)
            assert activities(frames) == targets, frames
            assert all(slug not in json.dumps(frame) for frame in frames)
            assert await nothing_more(outsider_ws)

    run(scenario())


def test_following_then_unfollowing_moves_one_socket_and_leaves_the_other(server, unique):
    alice, carol, bob = unique("alice"), unique("carol"), unique("bob")
    alice_token, carol_token, bob_token = server.register(alice), server.register(carol), server.register(bob)
    follows(server, carol_token, bob)
    targets = accounts(server, [unique("t") for _ in range(4)])

    async def scenario():
        async with connect(server.ws + f"?token={alice_token}") as alice_ws, \
                connect(server.ws + f"?token={carol_token}") as carol_ws:
            follows(server, alice_token, bob)
            await receive_until(alice_ws, lambda f: f["type"] == "activity")  # her own follow
            follows(server, bob_token, targets[0])
            assert activities(await receive_until(alice_ws, lambda f: f["type"] == "activity")) == targets[:1]
            assert server.request("DELETE", f"/api/v1/actors/{bob}/follow/", token=alice_token)[0] == 200
            follows(server, bob_token, targets[1])  # alice left bob's stream; carol is still on it
            follows(server, alice_token, bob)
            await receive_until(alice_ws, lambda f: f["type"] == "activity")  # her own follow again
            await asyncio.sleep(0.3)  # a follow is live once her socket has joined bob's stream
            follows(server, bob_token, targets[2])
            assert activities(await receive_until(alice_ws, lambda f: f["type"] == "activity")) == targets[2:3]
            assert await nothing_more(alice_ws)
            frames = await frames_for(carol_ws, 10, until=lambda fs: len(activities(fs, by=bob)) >= 3)
            assert activities(frames, by=bob) == targets[:3], frames  # the whole time, each once, in order

    run(scenario())


@pytest.mark.redis
def test_many_sockets_in_one_daphne_are_one_group_member_and_get_each_frame_once(redis_url):
    """A real Daphne on the Redis layer: N sockets, one Redis group member, every frame exactly once."""
    import redis

    database = Database()
    server = Daphne(database, env={"REDIS_URL": redis_url, "WS_FRAME_BURST": "100", "WS_FRAMES_PER_SECOND": "100"})
    client = redis.Redis.from_url(redis_url)
    try:
        writer = "hubwriter"
        writer_token = server.register(writer)
        readers = [server.register(f"hubreader{n}") for n in range(6)]
        for token in readers:
            follows(server, token, writer)
        targets = accounts(server, [f"hubtarget{n}" for n in range(8)])
        group_key = f"asgi:group:{group_for_stream('actor:' + writer)}"

        async def scenario():
            sockets = [await connect(server.ws + f"?token={token}") for token in readers]
            try:
                await asyncio.sleep(0.3)
                assert client.zcard(group_key) == 1  # the process, not each socket
                for target in targets:
                    follows(server, writer_token, target)

                async def each_frame_once(ws):
                    frames = await frames_for(ws, 20, until=lambda fs: len(activities(fs)) >= len(targets))
                    assert activities(frames) == targets, frames
                    assert await nothing_more(ws)

                await asyncio.gather(*map(each_frame_once, sockets))  # the sockets' waits side by side
            finally:
                for ws in sockets:
                    await ws.close()
            await asyncio.sleep(0.5)
            assert client.zcard(group_key) == 0  # the last socket gone, the process left the group

        run(scenario())
        assert "Traceback" not in server.logs(), server.logs()[-3000:]
    finally:
        client.close()
        server.stop()
        database.drop()
