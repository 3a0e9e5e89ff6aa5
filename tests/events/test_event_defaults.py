"""What an event may leave out: its place (to be announced) and its organizers (the caller)."""

import pytest

from events.models import Event
from feeds.models import Activity
from tests.conftest import client_for, make_person

pytestmark = pytest.mark.django_db


def test_an_event_without_venue_or_link_has_its_place_to_be_announced(api, post_event):
    body = post_event(venue=None)
    assert body["venue"] is None and body["online_url"] == "" and body["place"] == "to_be_announced"
    assert api.get(f"/api/v1/events/{body['slug']}/").json()["place"] == "to_be_announced"


def test_leaving_venue_and_online_url_out_entirely_is_accepted(organizer_api):
    body = {"title": "Atelier à venir", "organizers": ["cantine"], "city": "rennes",
            "start": "2027-05-04T19:00:00+02:00", "end": "2027-05-04T21:00:00+02:00"}
    response = organizer_api.post("/api/v1/events/", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["place"] == "to_be_announced" and response.json()["venue"] is None


@pytest.mark.parametrize(("overrides", "place"), [
    ({}, "venue"),
    ({"venue": None, "online_url": "https://meet.example.org/a"}, "online"),
    ({"online_url": "https://meet.example.org/a"}, "hybrid"),
])
def test_the_answer_says_where_it_happens(post_event, overrides, place):
    assert post_event(**overrides)["place"] == place


def test_the_place_is_announced_later_by_a_patch(post_event, organizer_api):
    slug = post_event(venue=None)["slug"]
    patched = organizer_api.patch(f"/api/v1/events/{slug}/", {"venue": {"name": "Le Mabilay"}}, format="json")
    assert patched.status_code == 200, patched.content
    assert patched.json()["place"] == "venue" and patched.json()["venue"]["name"] == "Le Mabilay"
    back = organizer_api.patch(f"/api/v1/events/{slug}/", {"venue": None}, format="json")
    assert back.status_code == 200 and back.json()["place"] == "to_be_announced"


def test_without_organizers_the_caller_organizes(rennes, post_event):
    solo = make_person("solo", rennes)
    body = {"title": "Café des makers", "start": "2027-05-04T19:00:00+02:00", "end": "2027-05-04T21:00:00+02:00"}
    response = client_for(solo).post("/api/v1/events/", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["organizers"] == ["solo"]
    slug = response.json()["slug"]
    # Organizing makes them its admin: they edit it, and its creation is on their stream.
    assert client_for(solo).patch(f"/api/v1/events/{slug}/", {"capacity": 12}, format="json").status_code == 200
    activity = Activity.objects.get(type="Create", object_id=slug)
    assert activity.actor.handle == "solo"


def test_an_empty_list_of_organizers_is_still_a_400(post_event):
    refused = post_event(organizers=[], expect=400)
    assert "organizers" in refused["fields"]
    assert not Event.objects.exists()


def test_the_schema_says_what_may_be_left_out(api):
    schema = api.get("/api/schema/?format=json").json()
    request_body = schema["components"]["schemas"]["EventInputRequest"]
    required = set(request_body["required"])
    assert not {"venue", "online_url", "organizers"} & required
    assert {"title", "start", "end"} <= required
    assert "yourself" in request_body["properties"]["organizers"]["description"]
    assert "to be announced" in request_body["properties"]["venue"]["description"]
    event = schema["components"]["schemas"]["Event"]
    assert "place" in event["properties"]
    place = schema["components"]["schemas"]["EventPlaceEnum"]
    assert place["enum"] == ["venue", "online", "hybrid", "to_be_announced"]
