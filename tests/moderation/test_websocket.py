"""Moderation on the live stream, end to end: a real Daphne, real websocket clients, writes over HTTP."""

import asyncio
import json
import subprocess
import sys

import pytest
from websockets.asyncio.client import connect

from tests.e2e.server import ROOT, Daphne, Database

pytestmark = pytest.mark.e2e

PASSWORD = "a long enough passphrase"


@pytest.fixture(scope="module")
def server():
    database = Database()
    daphne = Daphne(database)
    yield daphne
    daphne.stop()
    database.drop()


def moderator_token(server) -> str:
    """A staff account made in the server's own database, and its token."""
    create = (
        "from profiles.models import User; "
        f"User.objects.filter(username='modo').exists() or User.objects.create_user('modo', password='{PASSWORD}', is_staff=True)"
    )
    subprocess.run([sys.executable, "manage.py", "shell", "-c", create], cwd=ROOT, env=server.env, check=True)
    status, answer = server.request("POST", "/api/v1/auth/token/", {"username": "modo", "password": PASSWORD})
    assert status == 200, answer
    return answer["token"]


def run(coroutine):
    return asyncio.run(asyncio.wait_for(coroutine, timeout=90))


async def frames_until(ws, predicate, timeout: float = 20.0) -> list[dict]:
    """Frames up to and including the first one `predicate` accepts."""
    frames = []
    while True:
        frames.append(json.loads(await asyncio.wait_for(ws.recv(), timeout)))
        if predicate(frames[-1]):
            return frames


def create_project(server, token: str, title: str) -> str:
    status, answer = server.request("POST", "/api/v1/projects/", {"title": title}, token=token)
    assert status == 201, answer
    return answer["slug"]


def post_update(server, token: str, slug: str, body: str) -> str:
    status, answer = server.request("POST", f"/api/v1/projects/{slug}/updates/", {"body": body}, token=token)
    assert status == 201, answer
    return str(answer["id"])


def is_update(update_id: str):
    return lambda frame: frame["type"] == "activity" and frame["activity"]["object"]["id"] == update_id


def test_a_blocked_authors_live_frames_do_not_reach_the_blocker_nor_come_back_on_resume(server):
    alice, bob, carol = (server.register(name) for name in ("alice", "bob", "carol"))
    slug = create_project(server, carol, "Atelier vélo")
    assert server.request("POST", f"/api/v1/projects/{slug}/follow/", token=alice)[0] == 200
    status, feed = server.request("GET", "/api/v1/feed/", token=alice)
    cursor = feed["results"][0]["id"]

    async def scenario():
        async with connect(server.ws + f"?token={alice}") as ws:
            await asyncio.sleep(0.2)
            # Blocked while the socket is open: the connection must learn of it.
            assert server.request("POST", "/api/v1/actors/bob/block/", token=alice)[0] == 200
            await asyncio.sleep(0.3)
            # bob's follow of the project lands on its stream, which alice's home reads; then carol posts.
            assert server.request("POST", f"/api/v1/projects/{slug}/follow/", token=bob)[0] == 200
            update = post_update(server, carol, slug, "Réparation samedi")
            live = await frames_until(ws, is_update(update))
        async with connect(server.ws + f"?token={alice}") as ws:
            await ws.send(json.dumps({"type": "resume", "after": cursor}))
            resumed = await frames_until(ws, lambda frame: frame["type"] == "resumed")
        return live, resumed

    live, resumed = run(scenario())
    for frames in (live, resumed):
        authors = [f["activity"]["actor"]["handle"] for f in frames if f["type"] == "activity"]
        assert "carol" in authors
        assert "bob" not in authors
    # carol, who blocks nobody, does see bob's follow live on her project's stream.
    status, page = server.request("GET", f"/api/v1/projects/{slug}/activity/", token=carol)
    assert "bob" in [a["actor"]["handle"] for a in page["results"]]


def test_a_hidden_projects_activity_is_not_resumed(server):
    moderator = moderator_token(server)
    dora, erwan = server.register("dora"), server.register("erwan")
    hidden_slug = create_project(server, erwan, "Atelier douteux")
    kept_slug = create_project(server, erwan, "Atelier sérieux")
    for slug in (hidden_slug, kept_slug):
        assert server.request("POST", f"/api/v1/projects/{slug}/follow/", token=dora)[0] == 200
    status, feed = server.request("GET", "/api/v1/feed/", token=dora)
    cursor = feed["results"][0]["id"]
    doubtful = post_update(server, erwan, hidden_slug, "Achetez nos montres")
    status, answer = server.request("POST", f"/api/v1/moderation/projects/{hidden_slug}/hide/",
                                    {"reason": "spam"}, token=moderator)
    assert status == 200 and answer["changed"], answer
    serious = post_update(server, erwan, kept_slug, "Ouverture lundi")

    async def scenario():
        async with connect(server.ws + f"?token={dora}") as ws:
            await ws.send(json.dumps({"type": "resume", "after": cursor}))
            return await frames_until(ws, lambda frame: frame["type"] == "resumed")

    frames = run(scenario())
    objects = [f["activity"]["object"]["id"] for f in frames if f["type"] == "activity"]
    assert serious in objects
    assert doubtful not in objects
    assert hidden_slug not in objects  # nor the project's creation or dora's follow of it


def test_a_blocked_person_cannot_subscribe_to_the_blocker_and_deep_frames_are_an_error(server):
    dan, eve = server.register("dan"), server.register("eve")
    assert server.request("POST", "/api/v1/actors/eve/block/", token=dan)[0] == 200
    # Like the follow: refused, with a reason, rather than pretending to deliver.
    assert server.request("POST", "/api/v1/actors/dan/follow/", token=eve)[0] == 403

    async def scenario():
        async with connect(server.ws + f"?token={eve}") as ws:
            await ws.send(json.dumps({"type": "subscribe", "stream": "actor:dan"}))
            refused = json.loads(await asyncio.wait_for(ws.recv(), 20))
            # A frame nested 1,000 deep (2,000 bytes) is an error frame, not a 1011 close.
            await ws.send("[" * 1000 + "]" * 1000)
            deep = json.loads(await asyncio.wait_for(ws.recv(), 20))
            await ws.send(json.dumps({"type": "subscribe", "stream": "actor:eve"}))
            still_up = json.loads(await asyncio.wait_for(ws.recv(), 20))
        async with connect(server.ws + f"?token={dan}") as ws:
            await ws.send(json.dumps({"type": "subscribe", "stream": "actor:eve"}))
            blocker_may = json.loads(await asyncio.wait_for(ws.recv(), 20))
        return refused, deep, still_up, blocker_may

    refused, deep, still_up, blocker_may = run(scenario())
    assert (refused["type"], refused["code"]) == ("error", "blocked")
    assert (deep["type"], deep["code"]) == ("error", "bad_json")
    assert still_up == {"type": "subscribed", "stream": "actor:eve"}
    assert blocker_may == {"type": "subscribed", "stream": "actor:eve"}
