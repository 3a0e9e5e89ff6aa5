"""The live stream end to end: a real Daphne, real websocket clients, writes over HTTP."""

import asyncio
import json
import re
import subprocess
import sys
import time

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.e2e.server import ROOT, Daphne

pytestmark = pytest.mark.e2e


def run(coroutine):
    return asyncio.run(asyncio.wait_for(coroutine, timeout=60))


async def receive(ws, timeout: float = 20.0) -> dict:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def receive_until(ws, predicate, timeout: float = 20.0) -> list[dict]:
    """Frames up to and including the first one `predicate` accepts."""
    frames = []
    while True:
        frame = await receive(ws, timeout)
        frames.append(frame)
        if predicate(frame):
            return frames


async def frames_for(ws, seconds: float, until=None, quiet: float = 0.5) -> list[dict]:
    """Every frame that arrives within `seconds`; with `until`, stop early once
    `until(frames)` holds and nothing more came for `quiet` seconds (a loaded
    machine may be slow, but a finished exchange is not waited on)."""
    frames = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while (left := deadline - loop.time()) > 0:
        wait = min(left, quiet) if until is not None and until(frames) else left
        try:
            frames.append(json.loads(await asyncio.wait_for(ws.recv(), wait)))
        except TimeoutError:
            if until is None or until(frames):
                break
    return frames


async def nothing_more(ws, wait: float = 0.7) -> bool:
    try:
        frame = await asyncio.wait_for(ws.recv(), wait)
    except TimeoutError:
        return True
    raise AssertionError(f"unexpected frame {frame}")


async def close_code(ws, timeout: float = 20.0) -> int:
    try:
        while True:
            await asyncio.wait_for(ws.recv(), timeout)
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None


def reader_following_writer(server, unique) -> tuple[str, str, str, str]:
    """Two new people, alice following bob: (alice, her token, bob, his token)."""
    alice, bob = unique("alice"), unique("bob")
    alice_token, bob_token = server.register(alice), server.register(bob)
    assert server.request("POST", f"/api/v1/actors/{bob}/follow/", token=alice_token)[0] == 200
    return alice, alice_token, bob, bob_token


def private_project_with_member(server, unique, title: str) -> tuple[str, str, str, str, str]:
    """An owner's new private project with one accepted member, and an outsider: (the
    owner's handle, the owner's, the member's and the outsider's tokens, the project's slug)."""
    owner, member, outsider = unique("owner"), unique("member"), unique("outsider")
    owner_token, member_token, outsider_token = (server.register(owner), server.register(member),
                                                 server.register(outsider))
    status, project = server.request(
        "POST", "/api/v1/projects/", {"title": unique(title), "visibility": "private"}, token=owner_token
    )
    assert status == 201, project
    slug = project["slug"]
    assert server.request("POST", f"/api/v1/projects/{slug}/members/", {"actor": member, "role": "contributor"},
                          token=owner_token)[0] == 201
    assert server.request("POST", f"/api/v1/projects/{slug}/members/{member}/accept/", token=member_token)[0] == 200
    return owner, owner_token, member_token, outsider_token, slug


def test_no_token_or_bad_token_is_closed_4401_before_anything_is_sent(server):
    async def scenario():
        async with connect(server.ws) as ws:
            assert await close_code(ws) == 4401
        async with connect(server.ws + "?token=not-a-token") as ws:
            assert await close_code(ws) == 4401

    run(scenario())


def test_home_activity_and_notifications_are_pushed_once_in_order(server, unique):
    alice, bob, carol = unique("alice"), unique("bob"), unique("carol")
    alice_token, bob_token, carol_token = server.register(alice), server.register(bob), server.register(carol)
    assert server.request("POST", f"/api/v1/actors/{bob}/follow/", token=alice_token)[0] == 200

    async def scenario():
        async with connect(server.ws + f"?token={alice_token}") as alice_ws, \
                connect(server.ws + f"?token={carol_token}") as carol_ws:
            await asyncio.sleep(0.2)
            # bob follows carol: alice sees it in her home (she follows bob); carol is notified.
            server.request("POST", f"/api/v1/actors/{carol}/follow/", token=bob_token)
            server.request("POST", f"/api/v1/actors/{alice}/follow/", token=bob_token)
            first = await receive(alice_ws)
            assert first["type"] == "activity"
            assert first["activity"]["type"] == "Follow"
            assert first["activity"]["actor"]["handle"] == bob
            assert first["activity"]["object"]["id"] == carol
            frames = await receive_until(alice_ws, lambda f: f["type"] == "notification")
            home = [f for f in frames if f["type"] == "activity"]
            assert [f["activity"]["object"]["id"] for f in home] == [alice]
            assert home[0]["activity"]["id"] > first["activity"]["id"]
            carol_frames = await receive_until(carol_ws, lambda f: f["type"] == "notification")
            notified = carol_frames[-1]
            # Being followed is also on carol's own stream, so in her home once.
            assert [f["activity"]["object"]["id"] for f in carol_frames[:-1]] == [carol]
            assert notified["notification"]["reason"] == "followed"
            assert notified["notification"]["activity"]["actor"]["handle"] == bob
            assert await nothing_more(alice_ws)

    run(scenario())


def test_malformed_frames_get_an_error_and_the_connection_stays_up(server, unique):
    token = server.register(unique("malformed"))

    async def scenario():
        async with connect(server.ws + f"?token={token}") as ws:
            for bad in ["not json", "[]", '{"no": "type"}', '{"type": "dance"}',
                        '{"type": "resume", "after": "yesterday"}', '{"type": "subscribe", "stream": 42}',
                        '{"type": "unsubscribe", "stream": "city:nowhere"}', "x" * 5000]:
                await ws.send(bad)
                frame = await receive(ws)
                # The one error shape, as on REST: a machine code and the same sentence twice.
                assert set(frame) == {"type", "code", "message", "detail"}, frame
                assert frame["type"] == "error" and re.fullmatch(r"[a-z][a-z0-9_]*", frame["code"]), bad
                assert frame["message"] and frame["detail"] == frame["message"]
            await ws.send(json.dumps({"type": "resume", "after": "0" * 26}))
            frames = await receive_until(ws, lambda f: f["type"] == "resumed")
            assert frames[-1]["type"] == "resumed"

    run(scenario())


def test_a_flooding_client_is_closed_4429(server, unique):
    token = server.register(unique("flood"))

    async def scenario():
        async with connect(server.ws + f"?token={token}") as ws:
            for _ in range(60):
                try:
                    await ws.send('{"type": "dance"}')
                except ConnectionClosed:
                    break
            assert await close_code(ws) == 4429

    run(scenario())


def test_resume_after_a_disconnect_misses_nothing_and_repeats_nothing(server, unique):
    alice, alice_token, bob, bob_token = reader_following_writer(server, unique)
    targets = [unique("t") for _ in range(4)]
    for target in targets:
        server.register(target)

    async def scenario():
        async with connect(server.ws + f"?token={alice_token}") as ws:
            await asyncio.sleep(0.2)
            server.request("POST", f"/api/v1/actors/{targets[0]}/follow/", token=bob_token)
            last_seen = (await receive(ws))["activity"]["id"]
        # Written while alice is away.
        for target in targets[1:]:
            server.request("POST", f"/api/v1/actors/{target}/follow/", token=bob_token)
        async with connect(server.ws + f"?token={alice_token}") as ws:
            await ws.send(json.dumps({"type": "resume", "after": last_seen}))
            # A write racing the resume must arrive exactly once too.
            server.request("POST", f"/api/v1/actors/{alice}/follow/", token=bob_token)
            frames = await frames_for(
                ws, seconds=20,
                until=lambda got: sum(f["type"] == "activity" for f in got) >= 4
                and any(f["type"] == "resumed" for f in got) and any(f["type"] == "notification" for f in got),
            )
            activities = [f["activity"] for f in frames if f["type"] == "activity"]
            objects = [a["object"]["id"] for a in activities]
            # The backlog comes oldest first; the racing write may come before or after it.
            assert [o for o in objects if o != alice] == targets[1:]
            assert objects.count(alice) == 1
            assert len({a["id"] for a in activities}) == len(activities) == 4
            assert [f["type"] for f in frames].count("resumed") == 1
            resumed = next(f for f in frames if f["type"] == "resumed")
            assert resumed["cursor"] >= max(a["id"] for a in activities if a["object"]["id"] != alice)
            # Being followed also notifies alice, once.
            assert [f["notification"]["reason"] for f in frames if f["type"] == "notification"] == ["followed"]

    run(scenario())


def test_resume_too_far_back_asks_for_a_rest_refetch(server, unique):
    alice, alice_token, bob, bob_token = reader_following_writer(server, unique)
    for _ in range(25):  # over the server's WS_RESUME_LIMIT of 20
        target = unique("many")
        server.register(target)
        server.request("POST", f"/api/v1/actors/{target}/follow/", token=bob_token)

    async def scenario():
        async with connect(server.ws + f"?token={alice_token}") as ws:
            await ws.send(json.dumps({"type": "resume", "after": "0" * 26}))
            frame = await receive(ws)
            assert frame["type"] == "resync" and frame["reason"] == "too_many_missed" and frame["cursor"]

    run(scenario())


def test_subscribe_to_a_public_stream_and_unsubscribe(server, unique):
    mayor, fan, watcher = unique("mayor"), unique("fan"), unique("watcher")
    mayor_token, fan_token, watcher_token = server.register(mayor), server.register(fan), server.register(watcher)
    city = unique("city")
    status, _body = server.request(
        "POST", "/api/v1/actors/", {"kind": "city", "handle": city, "name": city.title(), "country": "FR"},
        token=mayor_token,
    )
    assert status == 201

    async def scenario():
        async with connect(server.ws + f"?token={watcher_token}") as ws:
            await ws.send(json.dumps({"type": "subscribe", "stream": f"city:{city}"}))
            assert await receive(ws) == {"type": "subscribed", "stream": f"city:{city}"}
            server.request("POST", f"/api/v1/actors/{city}/follow/", token=fan_token)
            frame = await receive(ws)
            assert frame["type"] == "activity" and frame["stream"] == f"city:{city}"
            assert frame["activity"]["actor"]["handle"] == fan
            # A hidden or unknown stream answers the same error.
            await ws.send(json.dumps({"type": "subscribe", "stream": "city:atlantis"}))
            unknown = await receive(ws)
            await ws.send(json.dumps({"type": "subscribe", "stream": f"city:{mayor}"}))  # a person, not a city
            wrong_kind = await receive(ws)
            assert unknown == wrong_kind and unknown["type"] == "error"
            await ws.send(json.dumps({"type": "unsubscribe", "stream": f"city:{city}"}))
            assert (await receive(ws))["type"] == "unsubscribed"
            server.request("DELETE", f"/api/v1/actors/{city}/follow/", token=fan_token)
            server.request("POST", f"/api/v1/actors/{city}/follow/", token=fan_token)
            assert await nothing_more(ws)

    run(scenario())


def test_connect_and_close_codes_are_logged_one_line_each(server, unique):
    token = server.register(unique("logged"))

    async def scenario():
        async with connect(server.ws + f"?token={token}"):
            pass
        async with connect(server.ws) as ws:
            await close_code(ws)

    run(scenario())
    for _ in range(100):  # the server writes its lines a moment after the client is gone
        logs = server.logs()
        if "ws disconnect actor=" in logs and "close=4401" in logs:
            break
        time.sleep(0.1)
    assert "ws connect actor=" in logs
    assert "ws disconnect actor=" in logs
    assert "ws refused reason=unauthenticated close=4401" in logs


def test_resume_on_connect_is_strictly_in_order(server, unique):
    alice, alice_token, bob, bob_token = reader_following_writer(server, unique)
    targets = [unique("t") for _ in range(3)]
    for target in targets:
        server.register(target)
    status, feed = server.request("GET", "/api/v1/feed/?limit=1", token=alice_token)
    last_seen = feed["results"][0]["id"]
    for target in targets:
        server.request("POST", f"/api/v1/actors/{target}/follow/", token=bob_token)

    async def scenario():
        async with connect(server.ws + f"?token={alice_token}&after={last_seen}") as ws:
            server.request("POST", f"/api/v1/actors/{alice}/follow/", token=bob_token)
            frames = await frames_for(
                ws, seconds=20,
                until=lambda got: any(f.get("activity", {}).get("object", {}).get("id") == alice for f in got),
            )
            objects = [f["activity"]["object"]["id"] for f in frames if f["type"] == "activity"]
            # The racing write comes after the backlog, whether the resume read it or it came live.
            assert objects == [*targets, alice]
            assert [f["type"] for f in frames].count("resumed") == 1

    run(scenario())


@pytest.mark.parametrize("ending", ["logout", "password_change"])
def test_ending_the_credentials_closes_the_socket(server, unique, ending):
    name = unique("ending")
    token = server.register(name)
    status, answer = server.request("POST", "/api/v1/auth/token/", {"username": name, "password": "a long enough passphrase"})
    other_token = answer["token"]

    async def scenario():
        async with connect(server.ws + f"?token={token}") as ws, connect(server.ws + f"?token={other_token}") as other:
            await asyncio.sleep(0.2)
            if ending == "logout":
                assert server.request("DELETE", "/api/v1/auth/token/", token=token)[0] == 204
                assert await close_code(ws) == 4401
                # The other token of the same account stays connected.
                await other.send(json.dumps({"type": "subscribe", "stream": f"actor:{name}"}))
                assert (await receive(other))["type"] == "subscribed"
            else:
                status, _body = server.request(
                    "POST", "/api/v1/auth/password/",
                    {"old_password": "a long enough passphrase", "new_password": "another long passphrase"}, token=token,
                )
                assert status == 200
                assert await close_code(ws) == 4401
                assert await close_code(other) == 4401

    run(scenario())


def test_removal_from_a_private_project_stops_its_activity_on_open_sockets(server, unique):
    owner, member = unique("owner"), unique("member")
    owner_token, member_token = server.register(owner), server.register(member)
    status, project = server.request(
        "POST", "/api/v1/projects/", {"title": unique("Projet secret "), "visibility": "private"}, token=owner_token
    )
    assert status == 201, project
    slug = project["slug"]
    assert server.request("POST", f"/api/v1/projects/{slug}/members/", {"actor": member, "role": "contributor"},
                          token=owner_token)[0] == 201
    assert server.request("POST", f"/api/v1/projects/{slug}/members/{member}/accept/", token=member_token)[0] == 200
    assert server.request("POST", f"/api/v1/projects/{slug}/follow/", token=member_token)[0] == 200

    async def scenario():
        async with connect(server.ws + f"?token={member_token}") as ws:
            await ws.send(json.dumps({"type": "subscribe", "stream": f"project:{slug}"}))
            assert (await receive(ws))["type"] == "subscribed"
            server.request("POST", f"/api/v1/projects/{slug}/updates/", {"body": "Première nouvelle"}, token=owner_token)
            seen = await receive_until(ws, lambda f: f["type"] == "activity")
            assert seen[-1]["activity"]["target"]["id"] == slug or seen[-1]["activity"]["object"]["id"]
            await frames_for(ws, 0.5)  # drain the rest of that update's frames
            assert server.request("DELETE", f"/api/v1/projects/{slug}/members/{member}/", token=owner_token)[0] == 204
            await frames_for(ws, 0.5)
            server.request("POST", f"/api/v1/projects/{slug}/updates/", {"body": "Nouvelle secrète"}, token=owner_token)
            after_removal = await frames_for(ws, 1.0)
            assert all(slug not in json.dumps(frame) for frame in after_removal), after_removal

    run(scenario())


def test_many_writes_in_a_row_on_one_stream_arrive_in_order_nothing_lost(server, unique):
    alice, alice_token, bob, bob_token = reader_following_writer(server, unique)
    targets = [unique("row") for _ in range(15)]
    for target in targets:
        server.register(target)

    async def scenario():
        async with connect(server.ws + f"?token={alice_token}") as ws:
            for target in targets:  # back to back, no waiting for frames
                assert server.request("POST", f"/api/v1/actors/{target}/follow/", token=bob_token)[0] == 200
            frames = await receive_until(
                ws, lambda f: f["type"] == "activity" and f["activity"]["object"]["id"] == targets[-1]
            )
            activities = [f["activity"] for f in frames if f["type"] == "activity"]
            assert [a["object"]["id"] for a in activities] == targets
            assert [a["id"] for a in activities] == sorted(a["id"] for a in activities)
            assert await nothing_more(ws)

    run(scenario())


def write_without_wake_up(server, code: str) -> None:
    """Run ORM code in a separate process on the server's database: its wake-ups go to
    that process's own in-memory layer, never to the server, like a lost wake-up."""
    subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, env=server.env, check=True,
                   capture_output=True, timeout=60)


def test_a_lost_wake_up_is_caught_up_from_the_database_before_the_next_one(server, unique):
    alice, bob, quiet, loud = unique("alice"), unique("bob"), unique("quiet"), unique("loud")
    alice_token, bob_token = server.register(alice), server.register(bob)
    server.register(quiet)
    server.register(loud)
    server.request("POST", f"/api/v1/actors/{bob}/follow/", token=alice_token)

    async def scenario():
        async with connect(server.ws + f"?token={alice_token}") as ws:
            write_without_wake_up(
                server,
                "from profiles.models import Actor; from feeds import services; "
                f"services.follow(follower=Actor.objects.get(handle='{bob}'), target=Actor.objects.get(handle='{quiet}'))",
            )
            assert await nothing_more(ws, 0.5)  # nobody told the server
            server.request("POST", f"/api/v1/actors/{loud}/follow/", token=bob_token)
            # The next wake-up on bob's stream names a previous activity alice never
            # handled: she reads the stream and gets both, oldest first.
            frames = await receive_until(ws, lambda f: f["type"] == "activity" and f["activity"]["object"]["id"] == loud)
            assert [f["activity"]["object"]["id"] for f in frames if f["type"] == "activity"] == [quiet, loud]
            assert await nothing_more(ws)

    run(scenario())


def test_private_project_activity_reaches_members_and_not_others(server, unique):
    owner, owner_token, member_token, outsider_token, slug = private_project_with_member(
        server, unique, "Projet fermé "
    )
    # Both follow the owner: the project's news is on the owner's stream too.
    for token in (member_token, outsider_token):
        assert server.request("POST", f"/api/v1/actors/{owner}/follow/", token=token)[0] == 200

    async def scenario():
        async with connect(server.ws + f"?token={member_token}") as member_ws, \
                connect(server.ws + f"?token={outsider_token}") as outsider_ws:
            server.request("POST", f"/api/v1/projects/{slug}/updates/", {"body": "Réservé"}, token=owner_token)
            # A public write after it, on the same stream: the outsider gets that one only.
            public = unique("public")
            server.register(public)
            server.request("POST", f"/api/v1/actors/{public}/follow/", token=owner_token)
            member_frames = await receive_until(
                member_ws, lambda f: f["type"] == "activity" and f["activity"]["object"]["id"] == public
            )
            assert any(slug in json.dumps(f) for f in member_frames)
            outsider_frames = await receive_until(
                outsider_ws, lambda f: f["type"] == "activity" and f["activity"]["object"]["id"] == public
            )
            assert all(slug not in json.dumps(f) for f in outsider_frames), outsider_frames
            assert await nothing_more(outsider_ws)

    run(scenario())


def test_unfollow_and_follow_change_live_items_without_reconnecting(server, unique):
    alice, bob = unique("alice"), unique("bob")
    alice_token, bob_token = server.register(alice), server.register(bob)
    targets = [unique("t") for _ in range(3)]
    for target in targets:
        server.register(target)

    async def bob_follows(ws, target):
        server.request("POST", f"/api/v1/actors/{target}/follow/", token=bob_token)

    async def scenario():
        async with connect(server.ws + f"?token={alice_token}") as ws:
            server.request("POST", f"/api/v1/actors/{bob}/follow/", token=alice_token)
            await receive_until(ws, lambda f: f["type"] == "activity")  # her own follow
            await bob_follows(ws, targets[0])
            frame = await receive(ws)
            assert frame["activity"]["object"]["id"] == targets[0]
            assert server.request("DELETE", f"/api/v1/actors/{bob}/follow/", token=alice_token)[0] == 200
            # No pause needed: follows.changed is queued on her socket before the answer.
            await bob_follows(ws, targets[1])
            assert await nothing_more(ws)
            server.request("POST", f"/api/v1/actors/{bob}/follow/", token=alice_token)
            await receive_until(ws, lambda f: f["type"] == "activity")  # her own follow again
            await asyncio.sleep(0.3)  # a follow is live once her socket has joined bob's stream
            await bob_follows(ws, targets[2])
            frame = await receive(ws)
            assert frame["activity"]["object"]["id"] == targets[2]

    run(scenario())


def test_frames_are_in_the_language_of_the_socket(server, unique):
    alice, alice_token, bob, bob_token = reader_following_writer(server, unique)
    target = unique("t")
    server.register(target)

    async def scenario():
        async with connect(server.ws + f"?token={alice_token}",
                           additional_headers={"Accept-Language": "en-GB,en;q=0.9,fr;q=0.5"}) as english, \
                connect(server.ws + f"?token={alice_token}&lang=en") as by_query, \
                connect(server.ws + f"?token={alice_token}") as default:
            server.request("POST", f"/api/v1/actors/{target}/follow/", token=bob_token)
            summaries = [(await receive(ws))["activity"]["summary"] for ws in (english, by_query, default)]
            assert summaries[0] == summaries[1] == f"{bob.title()} now follows {target.title()}"
            assert summaries[2] == f"{bob.title()} suit désormais {target.title()}"

    run(scenario())


@pytest.fixture
def sweeping_server(e2e_database):
    """A Daphne that looks for dropped wake-ups twice a second."""
    daphne = Daphne(e2e_database, env={"WS_SWEEP_SECONDS": "0.5"})
    yield daphne
    daphne.stop()


def test_a_dropped_wake_up_arrives_without_any_later_write(sweeping_server, unique):
    """The layer never tells the server (the write runs in another process): the
    process's sweep finds the committed activity and the notification in the
    database and delivers them, though nothing else ever happens on the stream."""
    server = sweeping_server
    alice, alice_token, bob, _bob_token = reader_following_writer(server, unique)
    quiet = unique("quiet")
    server.register(quiet)

    async def scenario():
        async with connect(server.ws + f"?token={alice_token}") as ws:
            write_without_wake_up(
                server,
                "from profiles.models import Actor; from feeds import services; "
                f"services.follow(follower=Actor.objects.get(handle='{bob}'), target=Actor.objects.get(handle='{quiet}')); "
                f"services.follow(follower=Actor.objects.get(handle='{quiet}'), target=Actor.objects.get(handle='{alice}'))",
            )
            frames = await frames_for(
                ws, 20, until=lambda got: {f["type"] for f in got} >= {"activity", "notification"}
            )
            activities = [f["activity"] for f in frames if f["type"] == "activity"]
            # bob follows quiet (bob's stream), quiet follows alice (alice's own stream)
            assert sorted((a["actor"]["handle"], a["object"]["id"]) for a in activities) == sorted(
                [(bob, quiet), (quiet, alice)]
            )
            notifications = [f["notification"] for f in frames if f["type"] == "notification"]
            assert [n["reason"] for n in notifications] == ["followed"]
            assert await nothing_more(ws, 1.5)  # later sweeps send nothing twice

    run(scenario())
