import pytest

from events.models import Attendance
from feeds.models import Activity
from tests.conftest import client_for, make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(rennes):
    return [make_person(name, rennes) for name in ("ana", "ben", "cleo", "dan", "eve")]


def test_waiting_list_moves_up_in_order(api, post_event, organizer_api, people):
    slug = post_event(capacity=2)["slug"]
    clients = {person.handle: client_for(person) for person in people}
    answers = {handle: client.post(f"/api/v1/events/{slug}/attend/").json() for handle, client in clients.items()}
    assert answers == {
        "ana": {"status": "going", "position": None},
        "ben": {"status": "going", "position": None},
        "cleo": {"status": "waiting", "position": 1},
        "dan": {"status": "waiting", "position": 2},
        "eve": {"status": "waiting", "position": 3},
    }
    body = api.get(f"/api/v1/events/{slug}/").json()
    assert body["attendees_count"] == 2 and body["waitlist_count"] == 3

    # Repeating an RSVP changes nothing.
    assert clients["dan"].post(f"/api/v1/events/{slug}/attend/").json() == {"status": "waiting", "position": 2}
    assert clients["ana"].post(f"/api/v1/events/{slug}/attend/").json() == {"status": "going", "position": None}

    # Someone waiting leaves: those behind move closer.
    assert clients["cleo"].delete(f"/api/v1/events/{slug}/attend/").status_code == 204
    assert clients["eve"].post(f"/api/v1/events/{slug}/attend/").json()["position"] == 2
    # Someone going leaves: the first in line takes the place.
    assert clients["ana"].delete(f"/api/v1/events/{slug}/attend/").status_code == 204
    assert clients["dan"].post(f"/api/v1/events/{slug}/attend/").json() == {"status": "going", "position": None}
    assert clients["eve"].post(f"/api/v1/events/{slug}/attend/").json() == {"status": "waiting", "position": 1}
    # Leaving twice is harmless.
    assert clients["ana"].delete(f"/api/v1/events/{slug}/attend/").status_code == 204

    listed = organizer_api.get(f"/api/v1/events/{slug}/attendees/").json()
    assert [(a["actor"]["handle"], a["status"], a["position"]) for a in listed["results"]] == [
        ("ben", "going", None), ("dan", "going", None), ("eve", "waiting", 1),
    ]
    assert clients["ben"].get(f"/api/v1/events/{slug}/").json()["is_attending"] is True
    assert clients["eve"].get(f"/api/v1/events/{slug}/").json()["attendance_status"] == "waiting"

    # Raising the capacity lets the waiting list in.
    organizer_api.patch(f"/api/v1/events/{slug}/", {"capacity": 5}, format="json")
    assert clients["eve"].post(f"/api/v1/events/{slug}/attend/").json()["status"] == "going"
    assert Attendance.objects.filter(status="waiting").count() == 0


def test_attendees_are_a_count_for_everyone_but_the_organizers(api, post_event, people, bob_api):
    slug = post_event()["slug"]
    for person in people[:3]:
        client_for(person).post(f"/api/v1/events/{slug}/attend/")
    assert api.get(f"/api/v1/events/{slug}/attendees/").json() == {"count": 3}
    assert bob_api.get(f"/api/v1/events/{slug}/attendees/").json() == {"count": 3}


def test_attending_a_public_event_is_a_join_activity(post_event, people):
    slug = post_event()["slug"]
    client_for(people[0]).post(f"/api/v1/events/{slug}/attend/")
    client_for(people[0]).post(f"/api/v1/events/{slug}/attend/")
    joins = Activity.objects.filter(type="Join", object_id=slug)
    assert [a.actor.handle for a in joins] == ["ana"]


def test_unknown_event_rsvp_is_404(alice_api):
    assert alice_api.post("/api/v1/events/nothing/attend/").status_code == 404
    assert alice_api.get("/api/v1/events/nothing/attendees/").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_concurrent_rsvps_never_oversell(post_event, rennes):
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("row locks are exercised on PostgreSQL; SQLite's IMMEDIATE transactions serialize writers")
    slug = post_event(capacity=2)["slug"]
    clients = [client_for(make_person(f"rush{index}", rennes)) for index in range(8)]

    def rsvp(client):
        try:
            return client.post(f"/api/v1/events/{slug}/attend/").json()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(rsvp, clients))
    assert sorted(a["status"] for a in answers) == ["going"] * 2 + ["waiting"] * 6
    assert sorted(a["position"] for a in answers if a["status"] == "waiting") == [1, 2, 3, 4, 5, 6]
