"""Two real instances federating: separate databases, separate Daphne processes,
each with its own PUBLIC_URL, talking ActivityPub over HTTP on the loopback.

The story: discovery, a follow across and its Accept, a project update arriving
live on the far side's websocket, an event announced on one and attended from
the other (Join, Accept, Leave), unfollow, collaboration requests from one to a
city of the other (answered there and accepted, or declined there), and a domain
block, with the bad inputs refused on the way.
"""

import asyncio
import json
import subprocess
import sys
import time
import urllib.request

import pytest
from websockets.asyncio.client import connect

from tests.e2e.server import ROOT, Daphne, Database, free_port

pytestmark = pytest.mark.e2e


def start_instance(host: str) -> tuple[Daphne, Database]:
    database = Database()
    port = free_port()
    daphne = Daphne(database, port=port, env={
        "PUBLIC_URL": f"http://{host}:{port}",
        "FEDERATION_ALLOW_PRIVATE": "true",
        "WS_SWEEP_SECONDS": "1",
    })
    return daphne, database


@pytest.fixture(scope="module")
def instances():
    # Two hosts for one loopback, so that a domain block names one instance only.
    lyon, lyon_db = start_instance("localhost")
    quebec, quebec_db = start_instance("127.0.0.1")
    yield lyon, quebec
    for name, daphne in (("lyon", lyon), ("quebec", quebec)):
        print(f"--- {name} log\n" + daphne.logs()[-6000:])
    for daphne, database in ((lyon, lyon_db), (quebec, quebec_db)):
        daphne.stop()
        database.drop()


def host_of(daphne: Daphne) -> str:
    return daphne.env["PUBLIC_URL"].split("//", 1)[1]


def get_raw(daphne: Daphne, path: str, accept: str = "application/activity+json") -> tuple[int, dict]:
    request = urllib.request.Request(daphne.base + path, headers={"Accept": accept})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def post_raw(daphne: Daphne, path: str, body: bytes, headers: dict) -> int:
    request = urllib.request.Request(daphne.base + path, data=body, method="POST",
                                     headers={"Content-Type": "application/activity+json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def eventually(check, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def make_staff(daphne: Daphne, username: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "shell", "-c",
         f"from profiles.models import User; User.objects.filter(username='{username}').update(is_staff=True)"],
        cwd=ROOT, env=daphne.env, check=True,
    )


def test_two_instances_federate(instances):
    lyon, quebec = instances
    lyon_host, quebec_host = host_of(lyon), host_of(quebec)

    camille = lyon.register("camille")
    assert lyon.request("POST", "/api/v1/projects/", {"title": "Vélo partagé", "slug": "velo"}, token=camille)[0] == 201
    louis = quebec.register("louis")

    # discovery, on the far side's own endpoints
    status, jrd = get_raw(lyon, f"/.well-known/webfinger?resource=acct:camille@{lyon_host}", "application/jrd+json")
    assert status == 200 and jrd["links"][0]["href"] == f"http://{lyon_host}/actors/camille"
    status, group = get_raw(lyon, "/projects/velo")
    assert (status, group["type"]) == (200, "Group")
    assert get_raw(lyon, "/nodeinfo/2.1", "application/json")[1]["software"]["name"] == "novosphere"

    # the far side looks camille up by name@host
    status, remote = quebec.request("GET", f"/api/v1/actors/camille@{lyon_host}/", token=louis)
    assert status == 200, remote
    assert remote["remote"] is True and remote["name"] == "Camille"

    # follow across: pending, then accepted by lyon
    status, state = quebec.request("POST", f"/api/v1/actors/camille@{lyon_host}/follow/", token=louis)
    assert status == 200
    assert eventually(lambda: quebec.request("GET", f"/api/v1/actors/camille@{lyon_host}/", token=louis)[1]["is_following"])
    assert eventually(lambda: lyon.request("GET", "/api/v1/actors/camille/")[1]["followers_count"] == 1)
    status, followers = lyon.request("GET", "/api/v1/actors/camille/followers/")
    assert followers["results"][0]["handle"] == f"louis@{quebec_host}"

    # a project update on lyon arrives live on quebec's websocket
    async def live_update():
        async with connect(quebec.ws + f"?token={louis}") as ws:
            await asyncio.sleep(0.3)
            status, _update = lyon.request("POST", "/api/v1/projects/velo/updates/",
                                           {"body": "Premier **prototype** roulant !"}, token=camille)
            assert status == 201
            while True:
                frame = json.loads(await asyncio.wait_for(ws.recv(), 20))
                if frame.get("type") == "activity" and frame["activity"]["actor"]["handle"] == f"camille@{lyon_host}":
                    return frame["activity"]

    activity = asyncio.run(asyncio.wait_for(live_update(), 40))
    assert activity["type"] == "Create"
    assert activity["object"]["type"] == "article"
    assert activity["object"]["name"] == "Vélo partagé"
    # The frame goes out before the fan-out copies the activity into followers'
    # timelines (feeds/dispatch.py): the home read catches up a moment later.
    assert eventually(lambda: any(
        item["id"] == activity["id"]
        for item in quebec.request("GET", "/api/v1/feed/", token=louis)[1]["results"]
    ))

    events_across(lyon, quebec, camille=camille, louis=louis)

    # bad inputs are refused by the real server, nothing stored
    activity_body = json.dumps({"id": f"http://{quebec_host}/x", "type": "Follow",
                                "actor": f"http://{quebec_host}/actors/louis",
                                "object": f"http://{lyon_host}/actors/camille"}).encode()
    assert post_raw(lyon, "/actors/camille/inbox", activity_body, {}) == 401
    forged_sig = {"Signature": f'keyId="http://{quebec_host}/actors/louis#main-key",algorithm="rsa-sha256",'
                               f'headers="(request-target) host date digest",signature="AAAA"',
                  "Date": "Tue, 01 Dec 2026 10:00:00 GMT", "Digest": "SHA-256=AAAA"}
    assert post_raw(lyon, "/actors/camille/inbox", activity_body, forged_sig) == 401
    assert post_raw(lyon, "/inbox", b"x" * 300_000, {}) == 413
    assert lyon.request("GET", "/api/v1/actors/camille/")[1]["followers_count"] == 1

    # unfollow: an Undo reaches lyon
    quebec.request("DELETE", f"/api/v1/actors/camille@{lyon_host}/follow/", token=louis)
    assert eventually(lambda: lyon.request("GET", "/api/v1/actors/camille/")[1]["followers_count"] == 0)

    collaborate_across(lyon, quebec, camille=camille, louis=louis)

    # lyon's moderator blocks quebec: its follow is refused, nothing is stored
    lyon.register("moderator")
    make_staff(lyon, "moderator")
    moderator = lyon.request("POST", "/api/v1/auth/token/",
                             {"username": "moderator", "password": "a long enough passphrase"})[1]["token"]
    status, block = lyon.request("POST", "/api/v1/moderation/domains/", {"domain": "127.0.0.1"}, token=moderator)
    assert (status, block["changed"]) == (201, True)
    status, state = quebec.request("POST", f"/api/v1/actors/camille@{lyon_host}/follow/", token=louis)
    assert state["pending"] is True
    time.sleep(1.0)
    assert lyon.request("GET", "/api/v1/actors/camille/")[1]["followers_count"] == 0
    assert quebec.request("GET", f"/api/v1/actors/camille@{lyon_host}/", token=louis)[1]["is_following"] is False


def collaborate_across(lyon, quebec, *, camille: str, louis: str) -> None:
    """A request from lyon to quebec's city, answered on quebec and accepted on lyon;
    another declined on quebec: both sides' state read over HTTP."""
    quebec_host = host_of(quebec)
    status, city = quebec.request("POST", "/api/v1/actors/", {"kind": "city", "handle": "quebec", "name": "Québec",
                                                              "country": "CA"}, token=louis)
    assert status == 201, city
    zoe = quebec.register("zoe")
    deadline = "2030-06-30T12:00:00Z"
    status, sent = lyon.request("POST", "/api/v1/collaborations/", {
        "title": "Vélos en hiver", "message": "Qui teste nos vélos sous la neige ?", "kind": "partnership",
        "to_city": f"quebec@{quebec_host}", "deadline": deadline}, token=camille)
    assert status == 201, sent
    assert sent["to_city"] == f"quebec@{quebec_host}"

    # on quebec: a request addressed to its city, seen by its admin, who is notified
    def arrived():
        found = quebec.request("GET", "/api/v1/collaborations/?incoming=1", token=louis)[1]["results"]
        return found[0] if found else None

    copy = eventually(arrived)
    assert copy, "the Offer did not arrive"
    assert (copy["title"], copy["author"], copy["to_city"], copy["status"]) == (
        "Vélos en hiver", f"camille@{host_of(lyon)}", "quebec", "open")
    notes = quebec.request("GET", "/api/v1/notifications/", token=louis)[1]["results"]
    assert any(n["reason"] == "request_received" for n in notes)

    # zoe answers on quebec; camille reads it on lyon and accepts it
    status, answer = quebec.request("POST", f"/api/v1/collaborations/{copy['id']}/responses/",
                                    {"message": "Notre fablab a des vélos à crampons."}, token=zoe)
    assert status == 201, answer

    def responses_on_lyon():
        return lyon.request("GET", f"/api/v1/collaborations/{sent['id']}/responses/", token=camille)[1]["results"]

    assert eventually(responses_on_lyon), "the response did not arrive"
    [response] = responses_on_lyon()
    assert (response["responder"]["handle"], response["message"]) == (
        f"zoe@{quebec_host}", "Notre fablab a des vélos à crampons.")
    status, accepted = lyon.request("POST", f"/api/v1/collaborations/{sent['id']}/accept/",
                                    {"response": response["id"]}, token=camille)
    assert (status, accepted["status"]) == (200, "accepted")
    assert eventually(lambda: quebec.request("GET", f"/api/v1/collaborations/{copy['id']}/")[1]["status"] == "accepted")
    status, theirs = quebec.request("GET", f"/api/v1/collaborations/{copy['id']}/responses/", token=zoe)
    assert theirs["results"][0]["status"] == "accepted"
    assert any(n["reason"] == "accepted" for n in quebec.request("GET", "/api/v1/notifications/", token=zoe)[1]["results"])
    # the table holds on both sides: accepted is final on quebec too
    assert quebec.request("POST", f"/api/v1/collaborations/{copy['id']}/decline/", token=louis)[0] == 409

    # a second request, declined on quebec: lyon reads it declined, camille is told
    status, second = lyon.request("POST", "/api/v1/collaborations/", {
        "title": "Bus autonomes", "message": "Une expérimentation commune ?", "to_city": f"quebec@{quebec_host}",
        "deadline": deadline}, token=camille)
    assert status == 201
    copy = eventually(lambda: next((r for r in quebec.request("GET", "/api/v1/collaborations/?incoming=1",
                                                               token=louis)[1]["results"]
                                    if r["title"] == "Bus autonomes"), None))
    assert copy
    status, declined = quebec.request("POST", f"/api/v1/collaborations/{copy['id']}/decline/", token=louis)
    assert (status, declined["status"]) == (200, "declined")
    assert eventually(lambda: lyon.request("GET", f"/api/v1/collaborations/{second['id']}/")[1]["status"] == "declined")
    assert any(n["reason"] == "declined" for n in lyon.request("GET", "/api/v1/notifications/", token=camille)[1]["results"])


def events_across(lyon, quebec, *, camille: str, louis: str) -> None:
    """A public event on lyon reaches louis on quebec as remote activity; his RSVP (a Join)
    takes a place on lyon, quebec reads it accepted, and his Leave frees it."""
    lyon_host = host_of(lyon)
    status, event = lyon.request("POST", "/api/v1/events/", {
        "title": "Atelier réparation", "kind": "workshop", "capacity": 10,
        "start": "2030-03-04T19:00:00+01:00", "end": "2030-03-04T21:00:00+01:00", "timezone": "Europe/Paris",
        "venue": {"name": "La Cantine", "address": "1 rue de Lyon"}}, token=camille)
    assert status == 201, event

    def announced():
        for item in quebec.request("GET", "/api/v1/feed/", token=louis)[1]["results"]:
            if item["object"]["type"] == "remote_event" and item["actor"]["handle"] == f"camille@{lyon_host}":
                return item
        return None

    item = eventually(announced)
    assert item, "the Event did not arrive"
    assert item["object"]["name"] == "Atelier réparation"
    assert item["summary"] == "Camille announced the event “Atelier réparation”"
    remote_id = item["object"]["id"]
    status, answer = quebec.request("POST", f"/api/v1/remote-events/{remote_id}/attend/", token=louis)
    assert (status, answer["status"]) == (200, "pending")
    assert eventually(lambda: quebec.request("GET", f"/api/v1/remote-events/{remote_id}/",
                                             token=louis)[1]["my_status"] == "going")
    assert lyon.request("GET", f"/api/v1/events/{event['slug']}/")[1]["attendees_count"] == 1
    attendees = lyon.request("GET", f"/api/v1/events/{event['slug']}/attendees/", token=camille)[1]["results"]
    assert [(a["actor"]["handle"], a["status"]) for a in attendees] == [(f"louis@{host_of(quebec)}", "going")]
    assert quebec.request("DELETE", f"/api/v1/remote-events/{remote_id}/attend/", token=louis)[0] == 204
    assert eventually(lambda: lyon.request("GET", f"/api/v1/events/{event['slug']}/")[1]["attendees_count"] == 0)
