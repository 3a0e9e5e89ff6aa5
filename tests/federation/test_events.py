"""Events across instances: our public events leave as Mobilizon-compatible Event
objects to the organizers' remote followers; a remote Event from an actor someone
here follows becomes remote activity; RSVPs travel as Join and Leave, answered by
an Accept that says going or waiting. Bad messages are refused with nothing stored."""

import json

import pytest

from events.models import Attendance
from federation.keys import key_for
from federation.models import InboxItem, RemoteAttendance, RemoteObject
from federation.signatures import verify_request
from feeds.models import Activity, TimelineEntry
from tests.conftest import client_for, make_person
from tests.federation.conftest import AP, drained

pytestmark = pytest.mark.django_db

PUBLIC = "https://rennes.example"


def sent(remote, kind):
    return [(path, headers, body) for path, headers, body in remote.deliveries() if body["type"] == kind]


def verified(remote, delivery, owner):
    path, headers, body = delivery
    return verify_request(method="POST", url=remote.base + path, headers=headers,
                          body=json.dumps(body, ensure_ascii=False).encode(),
                          public_key_for=lambda _k: key_for(owner).public_pem)


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    def call(method, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            response = method(*args, **kwargs)
        drained()
        return response
    return call


EVENT = {
    "title": "Apéro numérique", "description": "Venez **nombreux**", "kind": "meetup",
    "venue": {"name": "La Cantine", "address": "1 rue de Rennes", "latitude": 48.11, "longitude": -1.68},
    "city": "rennes", "online_url": "https://visio.example/apero",
    "start": "2027-03-04T19:00:00+01:00", "end": "2027-03-04T21:00:00+01:00", "timezone": "Europe/Paris",
}


@pytest.fixture
def follower(remote, alice, django_capture_on_commit_callbacks):
    """ana, on the remote instance, follows alice."""
    from federation.services import fetch_remote_actor
    from feeds.services import follow

    remote.add_actor("ana")
    with django_capture_on_commit_callbacks(execute=True):
        follow(follower=fetch_remote_actor(remote.uri("ana")).actor, target=alice)
    return remote


def publish(run, alice_api, **overrides):
    response = run(alice_api.post, "/api/v1/events/", {**EVENT, **overrides}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


# --- Our events, there ----------------------------------------------------------------


def test_a_public_event_leaves_as_a_mobilizon_event(run, alice_api, follower, client):
    event = publish(run, alice_api)
    [create] = sent(follower, "Create")
    obj = create[2]["object"]
    assert obj["type"] == "Event" and obj["id"] == f"{PUBLIC}/events/{event['slug']}"
    assert obj["name"] == "Apéro numérique" and "<strong>nombreux</strong>" in obj["content"]
    assert obj["startTime"] == "2027-03-04T19:00:00+01:00" and obj["timezone"] == "Europe/Paris"
    assert obj["location"]["type"] == "Place" and obj["location"]["name"] == "La Cantine"
    assert obj["location"]["address"]["addressLocality"] == "Rennes"
    assert {"type": "Link", "name": "Website", "href": "https://visio.example/apero",
            "mediaType": "text/html"} in obj["attachment"]
    assert obj["joinMode"] == "free" and obj["isOnline"] is True
    assert "https://www.w3.org/ns/activitystreams#Public" in obj["to"]
    assert f"{PUBLIC}/actors/alice/followers" in obj["cc"]
    assert create[2]["actor"] == obj["actor"] == f"{PUBLIC}/actors/alice"
    assert "https://joinmobilizon.org/ns#" in json.dumps(create[2]["@context"])
    assert verified(follower, create, "actor:alice")
    # its id can be read, as the fediverse reads it
    document = client.get(f"/events/{event['slug']}", HTTP_HOST="rennes.example", **AP).json()
    assert (document["type"], document["participantCount"]) == ("Event", 0)


def test_a_private_event_neither_leaves_nor_reads(run, alice_api, follower, client):
    event = publish(run, alice_api, visibility="private")
    assert sent(follower, "Create") == []
    assert client.get(f"/events/{event['slug']}", HTTP_HOST="rennes.example", **AP).status_code == 404


def join(remote, slug, name="ana", n=1, kind="Join"):
    return {"id": f"{remote.uri(name)}#{kind.lower()}/{n}", "type": kind, "actor": remote.uri(name),
            "object": f"{PUBLIC}/events/{slug}"}


def test_a_remote_join_takes_a_place_and_is_accepted(run, post_inbox, alice_api, follower):
    event = publish(run, alice_api)
    assert post_inbox(follower, "ana", "/inbox", join(follower, event["slug"])).status_code == 202
    attendance = Attendance.objects.get()
    assert (attendance.actor.handle, attendance.status) == (f"ana@{follower.host}", "going")
    assert alice_api.get(f"/api/v1/events/{event['slug']}/").json()["attendees_count"] == 1
    [accept] = sent(follower, "Accept")
    assert accept[2]["object"]["id"] == join(follower, event["slug"])["id"]
    assert accept[2]["status"] == "going"
    assert verified(follower, accept, "actor:alice")
    # repeated, it changes nothing
    post_inbox(follower, "ana", "/inbox", {**join(follower, event["slug"]), "id": "x"} | {
        "id": f"{follower.uri('ana')}#join/again"})
    assert Attendance.objects.count() == 1
    # Leave frees the place
    assert post_inbox(follower, "ana", "/inbox", join(follower, event["slug"], kind="Leave")).status_code == 202
    assert not Attendance.objects.exists()


def test_a_full_event_puts_the_remote_person_in_line_and_moves_them_up(run, post_inbox, alice_api, follower, bob):
    event = publish(run, alice_api, capacity=1)
    bob_api = client_for(bob)
    run(bob_api.post, f"/api/v1/events/{event['slug']}/attend/")
    post_inbox(follower, "ana", "/inbox", join(follower, event["slug"]))
    assert Attendance.objects.get(actor__handle__contains="@").status == "waiting"
    assert sent(follower, "Accept")[-1][2]["status"] == "waiting"
    run(bob_api.delete, f"/api/v1/events/{event['slug']}/attend/")
    assert Attendance.objects.get().status == "going"
    moved = sent(follower, "Accept")[-1][2]
    assert moved["status"] == "going" and moved["object"]["actor"] == follower.uri("ana")


@pytest.mark.parametrize("slug", ["nobody", "private", None])
def test_a_join_of_no_event_of_ours_is_refused_with_nothing_stored(run, post_inbox, alice_api, follower, slug):
    if slug == "private":
        slug = publish(run, alice_api, visibility="private")["slug"]
    activity = join(follower, slug or "x")
    if slug is None:
        activity["object"] = "https://elsewhere.example/events/x"
    assert post_inbox(follower, "ana", "/inbox", activity).status_code == 404
    assert not InboxItem.objects.exists() and not Attendance.objects.exists()
    assert post_inbox(follower, "ana", "/inbox", {**activity, "type": "Leave"}).status_code == 404


# --- Their events, here ---------------------------------------------------------------


def mobilizon_event(remote, n=1, **fields):
    uri = f"{remote.base}/events/{n}"
    return {
        "id": uri, "type": "Event", "name": "Fête du vélo", "content": "<p>Balade <script>x</script>en ville</p>",
        "mediaType": "text/html", "actor": remote.uri("mobi"), "attributedTo": remote.uri("mobi"),
        "startTime": "2027-05-01T10:00:00-04:00", "endTime": "2027-05-01T12:00:00-04:00", "joinMode": "free",
        "location": {"type": "Place", "name": "Parc Lafontaine",
                     "address": {"type": "PostalAddress", "addressLocality": "Montréal"}},
        "to": ["https://www.w3.org/ns/activitystreams#Public"], "url": uri, **fields,
    }


@pytest.fixture
def organizer(remote, alice, django_capture_on_commit_callbacks):
    """mobi, a remote organizer that alice follows."""
    from federation.services import fetch_remote_actor
    from feeds.services import follow

    remote.add_actor("mobi")
    mobi = fetch_remote_actor(remote.uri("mobi")).actor
    with django_capture_on_commit_callbacks(execute=True):
        follow(follower=alice, target=mobi)
    return mobi


def create_of(remote, obj):
    return {"id": f"{obj['id']}#create", "type": "Create", "actor": remote.uri("mobi"), "object": obj}


def test_a_remote_event_becomes_remote_activity(post_inbox, remote, organizer, alice, alice_api):
    assert post_inbox(remote, "mobi", "/inbox", create_of(remote, mobilizon_event(remote))).status_code == 202
    event = RemoteObject.objects.get()
    assert (event.type, event.name, event.place) == ("Event", "Fête du vélo", "Parc Lafontaine, Montréal")
    assert event.starts.isoformat() == "2027-05-01T14:00:00+00:00" and "<script>" not in event.content
    activity = Activity.objects.get(actor=organizer, type="Create")
    assert TimelineEntry.objects.filter(owner=alice, activity=activity).exists()
    [item] = alice_api.get("/api/v1/feed/", HTTP_ACCEPT_LANGUAGE="en").json()["results"][:1]
    assert item["object"]["type"] == "remote_event"
    assert item["summary"] == "Mobi announced the event “Fête du vélo”"
    assert item["object"]["content"].startswith("Fête du vélo, ")
    assert alice_api.get(f"/api/v1/remote-events/{event.pk}/").json()["place"] == "Parc Lafontaine, Montréal"


def test_an_event_with_no_start_is_not_taken(post_inbox, remote, organizer):
    obj = mobilizon_event(remote)
    del obj["startTime"]
    post_inbox(remote, "mobi", "/inbox", create_of(remote, obj))
    assert not RemoteObject.objects.exists()


def test_our_rsvp_travels_as_join_and_leave(run, post_inbox, remote, organizer, alice, alice_api):
    post_inbox(remote, "mobi", "/inbox", create_of(remote, mobilizon_event(remote)))
    event = RemoteObject.objects.get()
    answer = run(alice_api.post, f"/api/v1/remote-events/{event.pk}/attend/")
    assert answer.json() == {"status": "pending", "position": None}
    [joined] = sent(remote, "Join")
    assert joined[2]["object"] == event.uri and joined[2]["actor"] == f"{PUBLIC}/actors/alice"
    assert verified(remote, joined, "actor:alice")
    # repeating asks nothing more
    run(alice_api.post, f"/api/v1/remote-events/{event.pk}/attend/")
    assert len(sent(remote, "Join")) == 1

    accept = {"id": f"{remote.base}/events/1#accept", "type": "Accept", "actor": remote.uri("mobi"),
              "object": {"type": "Join", "id": joined[2]["id"], "actor": joined[2]["actor"], "object": event.uri},
              "status": "waiting"}
    assert post_inbox(remote, "mobi", "/inbox", accept).status_code == 202
    assert alice_api.get(f"/api/v1/remote-events/{event.pk}/").json()["my_status"] == "waiting"
    # Mobilizon's own Accept names the Join only: going
    post_inbox(remote, "mobi", "/inbox", {"id": f"{remote.base}/events/1#accept2", "type": "Accept",
                                          "actor": remote.uri("mobi"), "object": joined[2]["id"]})
    assert RemoteAttendance.objects.get().status == "going"

    assert run(alice_api.delete, f"/api/v1/remote-events/{event.pk}/attend/").status_code == 204
    [left] = sent(remote, "Leave")
    assert left[2]["object"] == event.uri
    assert not RemoteAttendance.objects.exists()


def test_an_answer_to_no_join_of_ours_is_refused_with_nothing_stored(post_inbox, remote, organizer, alice_api):
    post_inbox(remote, "mobi", "/inbox", create_of(remote, mobilizon_event(remote)))
    accept = {"id": f"{remote.base}/events/1#accept", "type": "Accept", "actor": remote.uri("mobi"),
              "object": {"type": "Join", "id": f"{PUBLIC}/actors/alice#join/nope", "object": "x"}}
    assert post_inbox(remote, "mobi", "/inbox", accept).status_code == 404
    assert not InboxItem.objects.filter(type="Accept").exists()


def test_an_accept_from_another_instance_than_the_events_is_refused(run, post_inbox, remote, organizer, alice_api):
    from tests.federation.remote import RemoteInstance

    post_inbox(remote, "mobi", "/inbox", create_of(remote, mobilizon_event(remote)))
    event = RemoteObject.objects.get()
    run(alice_api.post, f"/api/v1/remote-events/{event.pk}/attend/")
    join_id = sent(remote, "Join")[0][2]["id"]
    other = RemoteInstance()
    try:
        other.add_actor("eve")
        forged = {"id": f"{other.uri('eve')}#accept", "type": "Accept", "actor": other.uri("eve"),
                  "object": {"type": "Join", "id": join_id}, "status": "going"}
        # the two fake instances share the loopback host: the port tells them apart
        assert post_inbox(other, "eve", "/inbox", forged).status_code == 404
    finally:
        other.close()
    assert RemoteAttendance.objects.get().status == "pending"


def test_remote_events_of_others_are_404(alice_api, remote, bob):
    assert alice_api.get("/api/v1/remote-events/999/").status_code == 404
    assert alice_api.post("/api/v1/remote-events/999/attend/").status_code == 404
    assert client_for(make_person("zed")).delete("/api/v1/remote-events/999/attend/").status_code == 404
