"""Organizations set their own point on the map; without one they sit at their city's centre."""

import pytest

from profiles.models import Actor
from tests.conftest import client_for, make_admin, make_org, make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def cantine(rennes):
    return make_org("cantine", rennes)


@pytest.fixture
def cantine_admin_api(rennes, cantine):
    admin = make_person("ada", rennes)
    make_admin(admin, cantine)
    return client_for(admin)


def map_point(client, handle):
    response = client.get("/api/v1/map/?type=actor")
    assert response.status_code == 200, response.content
    points = {f["properties"]["id"]: f["geometry"]["coordinates"] for f in response.json()["features"]}
    return points[handle]


def test_an_organization_sets_its_coordinates_and_the_map_places_it_there(api, cantine, cantine_admin_api):
    assert map_point(api, "cantine") == [-1.6778, 48.1173]  # Rennes's centre
    response = cantine_admin_api.patch("/api/v1/actors/cantine/", {"latitude": 48.1049, "longitude": -1.6746},
                                       format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["latitude"], response.json()["longitude"]) == (48.1049, -1.6746)
    assert map_point(api, "cantine") == [-1.6746, 48.1049]
    # In a bounding box around its own point, not around the city centre's.
    near = api.get("/api/v1/map/?type=actor&bbox=-1.676,48.104,-1.673,48.106").json()["features"]
    assert [f["properties"]["id"] for f in near] == ["cantine"]
    # Null for both puts it back at its city's centre.
    cleared = cantine_admin_api.patch("/api/v1/actors/cantine/", {"latitude": None, "longitude": None}, format="json")
    assert cleared.status_code == 200, cleared.content
    assert map_point(api, "cantine") == [-1.6778, 48.1173]


def test_an_organization_created_with_its_coordinates(alice_api, api, rennes):
    response = alice_api.post("/api/v1/actors/", {
        "kind": "organization", "handle": "labfab", "name": "LabFab", "city": "rennes",
        "latitude": 48.12, "longitude": -1.7,
    }, format="json")
    assert response.status_code == 201, response.content
    assert map_point(api, "labfab") == [-1.7, 48.12]


@pytest.mark.parametrize(("body", "field"), [
    ({"latitude": 91, "longitude": 0}, "latitude"),
    ({"latitude": -90.5, "longitude": 0}, "latitude"),
    ({"latitude": 0, "longitude": 180.01}, "longitude"),
    ({"latitude": 0, "longitude": -181}, "longitude"),
    ({"latitude": "nord", "longitude": 0}, "latitude"),
    ({"latitude": 48.1}, "longitude"),
    ({"longitude": -1.6}, "latitude"),
    ({"latitude": 48.1, "longitude": None}, "longitude"),
])
def test_out_of_range_or_half_given_coordinates_are_a_400_and_change_nothing(cantine, cantine_admin_api, body, field):
    response = cantine_admin_api.patch("/api/v1/actors/cantine/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["fields"]
    cantine.refresh_from_db()
    assert (cantine.latitude, cantine.longitude) == (None, None)


def test_only_its_admins_move_an_organization(cantine, bob_api):
    response = bob_api.patch("/api/v1/actors/cantine/", {"latitude": 1, "longitude": 1}, format="json")
    assert response.status_code == 403
    cantine.refresh_from_db()
    assert cantine.latitude is None


def test_a_person_publishes_no_coordinates(alice, alice_api):
    for path in ("/api/v1/actors/alice/", "/api/v1/me/"):
        response = alice_api.patch(path, {"latitude": 48.1, "longitude": -1.6}, format="json")
        assert response.status_code == 400, response.content
        assert "latitude" in response.json()["fields"]
    english = alice_api.patch("/api/v1/me/", {"latitude": 48.1, "longitude": -1.6}, format="json",
                              HTTP_ACCEPT_LANGUAGE="en")
    assert english.json()["fields"]["latitude"] == ["Only cities and organizations have coordinates."]
    assert Actor.objects.get(handle="alice").latitude is None


def test_a_region_stays_for_cities_only(cantine, cantine_admin_api):
    response = cantine_admin_api.patch("/api/v1/actors/cantine/", {"region": "Bretagne"}, format="json")
    assert response.status_code == 400 and "region" in response.json()["fields"]


def test_the_schema_documents_an_organizations_coordinates(api):
    schema = api.get("/api/schema/?format=json").json()
    patch = schema["components"]["schemas"]["PatchedActorRequest"]["properties"]
    assert patch["latitude"]["minimum"] == -90 and patch["latitude"]["maximum"] == 90
    assert patch["longitude"]["minimum"] == -180 and patch["longitude"]["maximum"] == 180
    assert "organizations" in patch["latitude"]["description"]
