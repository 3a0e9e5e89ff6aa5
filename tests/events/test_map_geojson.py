"""The map is GeoJSON (RFC 7946) under its own media type, `application/geo+json`."""

import json

import pytest

from tests.conftest import make_org

pytestmark = pytest.mark.django_db


@pytest.fixture
def mapped(rennes, quebec, post_event, cantine):
    cantine.latitude, cantine.longitude = 48.105, -1.675
    cantine.save()
    make_org("irisa", rennes)
    post_event()
    post_event(title="À venir", venue=None)  # no venue: at its city


def assert_feature_collection(body: dict) -> None:
    """The RFC 7946 shape: a FeatureCollection of Features, each a Point at [lon, lat] in range."""
    assert body["type"] == "FeatureCollection" and isinstance(body["features"], list)
    for feature in body["features"]:
        assert feature["type"] == "Feature"
        assert set(feature) >= {"type", "geometry", "properties"}
        geometry = feature["geometry"]
        assert geometry["type"] == "Point" and len(geometry["coordinates"]) == 2
        lon, lat = geometry["coordinates"]
        assert isinstance(lon, float | int) and isinstance(lat, float | int)
        assert -180 <= lon <= 180 and -90 <= lat <= 90
        assert isinstance(feature["properties"], dict)


@pytest.mark.parametrize("accept", [None, "*/*", "application/geo+json", "application/geo+json, application/json;q=0.5"])
def test_the_map_answers_geojson(api, mapped, accept):
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    response = api.get("/api/v1/map/", **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/geo+json"
    body = json.loads(response.content)
    assert_feature_collection(body)
    assert {f["properties"]["id"] for f in body["features"]} >= {"cantine", "irisa", "apero-numerique", "a-venir"}


def test_clusters_are_geojson_too(api, mapped):
    response = api.get("/api/v1/map/?cluster=city")
    assert response["Content-Type"] == "application/geo+json"
    assert_feature_collection(json.loads(response.content))


def test_a_client_asking_for_json_gets_the_same_body_as_json(api, mapped):
    geojson = api.get("/api/v1/map/")
    plain = api.get("/api/v1/map/", HTTP_ACCEPT="application/json")
    assert plain.status_code == 200 and plain["Content-Type"] == "application/json"
    assert json.loads(plain.content) == json.loads(geojson.content)


def test_bad_input_is_an_ordinary_json_error(api, mapped):
    response = api.get("/api/v1/map/?bbox=1,2,3", HTTP_ACCEPT="application/geo+json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "bbox" in response.json()["fields"]
    assert api.get("/api/v1/map/", HTTP_ACCEPT="text/html").status_code == 406


def test_the_schema_says_geojson(api, db):
    schema = api.get("/api/schema/?format=json").json()
    answer = schema["paths"]["/api/v1/map/"]["get"]["responses"]["200"]["content"]
    assert set(answer) == {"application/geo+json", "application/json"}
    assert answer["application/geo+json"]["schema"] == {"$ref": "#/components/schemas/FeatureCollection"}
    assert "application/geo+json" in schema["paths"]["/api/v1/map/"]["get"]["description"]
