"""Property 3 on the live surfaces: websocket subscriptions, live frames, resume, notifications.

The same kind of world as tests/security/conftest.py (a private project, a
members-only one, a public one, a suspended person and a suspended city), made
over HTTP on a real Daphne, read through real websocket clients. A hidden stream
answers a `subscribe` exactly as an unknown one and sends nothing; what a socket
receives live, what a resume replays and what REST lists are the same activities
and notifications; private things reach the project's members only.
"""

import itertools
import json
import uuid
from dataclasses import dataclass, field

import pytest
from websockets.asyncio.client import connect

from tests.e2e.test_websocket import close_code, receive, receive_until, run
from tests.security.conftest import MEMBERS_ONLY, SECRET
from tests.security.live import Moderator

pytestmark = pytest.mark.e2e

_names = itertools.count()
ZERO = "0" * 26


def unique(prefix: str) -> str:
    return f"{prefix}{next(_names)}{uuid.uuid4().hex[:6]}"


@dataclass
class LiveWorld:
    server: object
    owner: str
    member: str
    outsider: str
    ghost: str
    atlantis: str
    insider: str = ""  # a member of the private project who follows nobody: only subscriptions reach them
    tokens: dict = field(default_factory=dict)
    private: str = ""
    members: str = ""
    public: str = ""

    def call(self, who: str, method: str, path: str, body=None, expect: int | None = None):
        status, answer = self.server.request(method, path, body, token=self.tokens[who])
        if expect is not None:
            assert status == expect, (method, path, status, answer)
        return answer

    def socket(self, who: str, query: str = ""):
        return connect(self.server.ws + f"?token={self.tokens[who]}{query}")

    def marker(self) -> str:
        """A public write on the owner's stream, which every socket here follows: when its
        frame arrives, every frame written before it on that stream has arrived too."""
        target = unique("marker")
        self.server.register(target)
        self.call(self.owner, "POST", f"/api/v1/actors/{target}/follow/", expect=200)
        return target

    def feed_ids(self, who: str, after: str) -> list[str]:
        page = self.call(who, "GET", f"/api/v1/feed/?limit=100&after={after}", expect=200)
        return [activity["id"] for activity in page["results"]]

    def notification_ids(self, who: str) -> set[int]:
        page = self.call(who, "GET", "/api/v1/notifications/?limit=100", expect=200)
        return {notification["id"] for notification in page["results"]}

    def latest(self, who: str) -> str:
        results = self.call(who, "GET", "/api/v1/feed/?limit=1", expect=200)["results"]
        return results[0]["id"] if results else ZERO


@pytest.fixture(scope="module")
def world(daphne) -> LiveWorld:
    owner, member, outsider, ghost = unique("owner"), unique("member"), unique("outsider"), unique("ghost")
    world = LiveWorld(daphne, owner, member, outsider, ghost, atlantis=unique("atlantis"))
    world.insider = unique("insider")
    for name in (owner, member, outsider, ghost, world.insider):
        world.tokens[name] = daphne.register(name)
    world.call(owner, "POST", "/api/v1/actors/", {"kind": "city", "handle": world.atlantis, "name": "Atlantis",
                                                  "country": "FR"}, expect=201)
    for reader in (member, outsider):  # a leak through the owner's stream would reach them
        world.call(reader, "POST", f"/api/v1/actors/{owner}/follow/", expect=200)

    def project(title: str, visibility: str, word: str) -> str:
        slug = world.call(owner, "POST", "/api/v1/projects/", {"title": title, "summary": word,
                                                               "visibility": visibility}, expect=201)["slug"]
        for person in (member, world.insider):
            world.call(owner, "POST", f"/api/v1/projects/{slug}/members/", {"actor": person, "role": "contributor"},
                       expect=201)
            world.call(person, "POST", f"/api/v1/projects/{slug}/members/{person}/accept/", expect=200)
        world.call(owner, "POST", f"/api/v1/projects/{slug}/updates/", {"body": f"{word} news"}, expect=201)
        return slug

    world.private = project(f"{SECRET} privé {unique('p')}", "private", SECRET)
    world.members = project(f"{MEMBERS_ONLY} membres {unique('m')}", "members", MEMBERS_ONLY)
    world.public = project(f"Atelier ouvert {unique('o')}", "public", "ouvert")
    # The ghost acts on the owner's stream, then a moderator suspends the ghost and the city.
    world.call(ghost, "POST", f"/api/v1/actors/{owner}/follow/", expect=200)
    assert ghost in json.dumps(world.call(outsider, "GET", "/api/v1/feed/?limit=100", expect=200))
    moderator = Moderator(daphne, unique("moderator"))
    moderator.suspend(ghost)
    moderator.suspend(world.atlantis)
    assert daphne.request("GET", f"/api/v1/actors/{ghost}/")[0] == 404
    return world


def frames_text(frames: list[dict]) -> str:
    return json.dumps(frames, ensure_ascii=False).lower()


def activity_ids(frames: list[dict]) -> list[str]:
    return [frame["activity"]["id"] for frame in frames if frame["type"] == "activity"]


def is_activity_on(target: str):
    return lambda frame: frame["type"] == "activity" and frame["activity"]["object"]["id"] == target


def test_a_hidden_stream_answers_a_subscribe_like_an_unknown_one_and_sends_nothing(world):
    hidden = [f"project:{world.private}", f"actor:{world.ghost}", f"city:{world.atlantis}"]
    unknown = ["project:nothing-by-that-name", "actor:nobody-by-that-name", "city:nowhere-by-that-name"]

    async def scenario():
        async with world.socket(world.outsider) as outsider, world.socket(world.insider) as insider:
            answers = {}
            for key in hidden + unknown:
                await outsider.send(json.dumps({"type": "subscribe", "stream": key}))
                answers[key] = await receive(outsider)
            assert answers[hidden[0]]["type"] == "error"
            assert all(answer == answers[hidden[0]] for answer in answers.values()), answers
            # Each subscribe is authorized on its own: the same socket may follow what it may see.
            for key in (f"project:{world.members}", f"project:{world.public}"):
                await outsider.send(json.dumps({"type": "subscribe", "stream": key}))
                assert await receive(outsider) == {"type": "subscribed", "stream": key}
            await insider.send(json.dumps({"type": "subscribe", "stream": f"project:{world.private}"}))
            assert await receive(insider) == {"type": "subscribed", "stream": f"project:{world.private}"}

            world.call(world.owner, "POST", f"/api/v1/projects/{world.private}/updates/",
                       {"body": f"{SECRET} encore"}, expect=201)
            world.call(world.owner, "POST", f"/api/v1/projects/{world.members}/updates/",
                       {"body": f"{MEMBERS_ONLY} encore"}, expect=201)
            target = world.marker()
            seen_by_outsider = frames_text(await receive_until(outsider, is_activity_on(target)))
            assert SECRET not in seen_by_outsider and MEMBERS_ONLY in seen_by_outsider
            # The insider follows nobody: the private update reaches them through the subscription alone.
            frame = await receive(insider)
            assert frame["stream"] == f"project:{world.private}" and SECRET in frames_text([frame])

    run(scenario())


def test_live_frames_resume_and_rest_show_the_same_things(world):
    """What each socket receives live equals what a resume replays and what REST lists, for
    the activities and the notifications written meanwhile; only the member sees the private ones."""
    readers = (world.outsider, world.member)
    since = {who: world.latest(who) for who in readers}
    notified_before = {who: world.notification_ids(who) for who in readers}
    # The request names nothing secret: its target sees it (it is addressed to them), even
    # though it comes from a private project whose own things stay hidden from them.
    request = {"title": "Demande d'aide", "message": "m", "kind": "mentoring", "from_project": world.private,
               "needs": {"skills": [], "sectors": []}, "deadline": "2030-01-01T00:00:00+00:00"}

    async def scenario():
        async with world.socket(world.outsider) as outsider, world.socket(world.member) as member:
            world.call(world.owner, "POST", f"/api/v1/projects/{world.private}/updates/",
                       {"body": f"{SECRET} live"}, expect=201)
            # A request from the private project to each reader: a notification for both, each
            # seeing the one addressed to them; the project's own things stay the member's.
            for reader in readers:
                world.call(world.owner, "POST", "/api/v1/collaborations/", {**request, "to_actor": reader}, expect=201)
            world.call(world.owner, "POST", f"/api/v1/projects/{world.members}/updates/",
                       {"body": f"{MEMBERS_ONLY} live"}, expect=201)
            world.call(world.member, "POST", f"/api/v1/actors/{world.outsider}/follow/", expect=200)
            target = world.marker()
            return {who: await receive_until(ws, is_activity_on(target))
                    for who, ws in ((world.outsider, outsider), (world.member, member))}

    live = run(scenario())

    async def resumed(who: str) -> list[dict]:
        async with world.socket(who, f"&after={since[who]}") as ws:
            return await receive_until(ws, lambda frame: frame["type"] == "resumed")

    for who in readers:
        replayed = run(resumed(who))
        rest = world.feed_ids(who, after=since[who])
        assert sorted(activity_ids(live[who])) == sorted(activity_ids(replayed)) == sorted(rest), who
        pushed = {frame["notification"]["id"] for frame in live[who] if frame["type"] == "notification"}
        assert pushed == world.notification_ids(who) - notified_before[who], who
    assert SECRET not in frames_text(live[world.outsider]) and MEMBERS_ONLY in frames_text(live[world.outsider])
    assert SECRET in frames_text(live[world.member])
    # Each was told of the request addressed to them; the outsider of the follow too.
    assert sorted(frame["notification"]["reason"] for frame in live[world.outsider]
                  if frame["type"] == "notification") == ["followed", "request_received"]
    assert "request_received" in frames_text(live[world.member])


def test_a_resume_from_the_beginning_replays_nothing_hidden(world):
    async def replay(who: str) -> list[dict]:
        async with world.socket(who) as ws:
            await ws.send(json.dumps({"type": "resume", "after": ZERO}))
            return await receive_until(ws, lambda frame: frame["type"] == "resumed")

    outsider, member = run(replay(world.outsider)), run(replay(world.member))
    # A resume reads the followed streams themselves, so it may hold what they published before
    # the follow (REST's home holds what arrived since); everything REST shows is in it.
    assert set(world.feed_ids(world.outsider, after=ZERO)) <= set(activity_ids(outsider))
    text = frames_text(outsider)
    assert SECRET not in text and world.ghost not in text
    assert MEMBERS_ONLY in text  # members-only things are for every signed-in person
    assert SECRET in frames_text(member) and world.ghost not in frames_text(member)


def test_no_socket_without_an_account_so_members_only_frames_never_reach_anonymous(world):
    async def scenario():
        async with connect(world.server.ws) as ws:
            assert await close_code(ws) == 4401

    run(scenario())


def test_a_suspended_person_cannot_open_a_socket(world):
    async def scenario():
        async with world.socket(world.ghost) as ws:
            assert await close_code(ws) == 4401

    run(scenario())
