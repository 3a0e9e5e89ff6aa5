"""Activities follow their subject on real sockets: a public event its organizer turns private
leaves what a resume replays for everyone outside its circle."""

import pytest
from websockets.asyncio.client import connect

from tests.e2e.test_websocket import receive_until, run
from tests.events.conftest import event_body

pytestmark = pytest.mark.e2e

ZERO = "0" * 26


def test_a_public_event_turned_private_is_not_replayed_to_outsiders(server, unique):
    city, org, organizer, outsider = unique("ville"), unique("asso"), unique("orga"), unique("dehors")
    tokens = {name: server.register(name) for name in (organizer, outsider)}
    for kind, handle in (("city", city), ("organization", org)):
        body = {"kind": kind, "handle": handle, "name": handle.title(), "country": "FR"}
        if kind == "organization":
            body["organization_type"] = "association"
        status, answer = server.request("POST", "/api/v1/actors/", body, token=tokens[organizer])
        assert status == 201, answer
    for who in (organizer, outsider):
        assert server.request("POST", f"/api/v1/actors/{city}/follow/", token=tokens[who])[0] == 200

    def post_event(title: str, visibility: str = "public") -> str:
        body = event_body(title=title, organizers=[org], city=city, visibility=visibility)
        status, answer = server.request("POST", "/api/v1/events/", body, token=tokens[organizer])
        assert status == 201, answer
        return answer["slug"]

    secret = post_event("Réunion bientôt privée")
    status, answer = server.request("PATCH", f"/api/v1/events/{secret}/", {"visibility": "private"}, token=tokens[organizer])
    assert status == 200, answer

    async def replayed(who: str) -> list[dict]:
        async with connect(server.ws + f"?token={tokens[who]}&after={ZERO}") as ws:
            frames = await receive_until(ws, lambda frame: frame["type"] == "resumed")
            return [frame["activity"] for frame in frames if frame["type"] == "activity"]

    def about(activities, slug: str) -> bool:
        return any(activity["object"]["id"] == slug for activity in activities)

    assert not about(run(replayed(outsider)), secret)
    assert about(run(replayed(organizer)), secret)
