import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects.models import Project, ProjectMember
from tests.conftest import client_for, fields_of, make_admin, make_city, make_org, make_person
from tests.events.conftest import event_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(rennes, quebec, cantine, organizer, organizer_api):
    """Rennes (a city, an org with its own coordinates, a person), Québec, a project, events."""
    cantine.latitude, cantine.longitude = 48.105, -1.675
    cantine.save()
    make_org("irisa", rennes)  # no coordinates of its own: at its city's
    Project.objects.create(slug="robot", title="Robot", owner=organizer, city=rennes, stage="prototype")
    hidden = Project.objects.create(slug="hidden", title="Hidden", owner=organizer, city=rennes, visibility="private")
    ProjectMember.objects.create(project=hidden, actor=organizer, role="owner")
    for overrides in (
        {"title": "Meetup"},
        {"title": "Secret", "visibility": "private"},
        {"title": "En ligne", "venue": None, "online_url": "https://meet.example.org/x", "kind": "webinar"},
    ):
        assert organizer_api.post("/api/v1/events/", event_body(**overrides), format="json").status_code == 201
    return rennes


def features(client, query=""):
    response = client.get(f"/api/v1/map/{query}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["type"] == "FeatureCollection"
    return {(f["properties"]["type"], f["properties"]["id"]): f for f in body["features"]}


def test_map_shows_what_the_caller_may_see_where_it_is(api, world, organizer_api):
    found = features(api)
    assert set(found) == {
        ("actor", "rennes"), ("actor", "quebec"), ("actor", "cantine"), ("actor", "irisa"), ("actor", "orga"),
        ("project", "robot"), ("event", "meetup"), ("event", "en-ligne"),
    }
    assert found[("actor", "cantine")]["geometry"] == {"type": "Point", "coordinates": [-1.675, 48.105]}
    assert found[("actor", "irisa")]["geometry"]["coordinates"] == [-1.6778, 48.1173]
    assert found[("actor", "quebec")]["geometry"]["coordinates"] == [-71.208, 46.8139]
    assert found[("event", "meetup")]["geometry"]["coordinates"] == [-1.68, 48.11]  # its venue
    assert found[("event", "en-ligne")]["geometry"]["coordinates"] == [-1.6778, 48.1173]  # its city
    assert found[("project", "robot")]["properties"] == {"type": "project", "id": "robot", "title": "Robot", "kind": "prototype"}
    assert found[("event", "meetup")]["properties"]["kind"] == "meetup"
    # The organizer's circle sees the private event and project.
    mine = features(organizer_api)
    assert ("event", "secret") in mine and ("project", "hidden") in mine


def test_map_filters(api, world):
    assert set(features(api, "?type=event")) == {("event", "meetup"), ("event", "en-ligne")}
    assert set(features(api, "?type=project,event&kind=webinar")) == {("event", "en-ligne")}
    assert set(features(api, "?type=actor&kind=organization")) == {("actor", "cantine"), ("actor", "irisa")}
    assert set(features(api, "?sector=numerique-responsable")) == {("event", "meetup"), ("event", "en-ligne")}
    assert ("actor", "quebec") not in features(api, "?city=rennes")
    assert set(features(api, "?city=quebec")) == {("actor", "quebec")}
    # A city-sized box around Rennes' centre leaves the Cantine's own address out.
    box = features(api, "?bbox=-1.70,48.11,-1.67,48.13&type=actor")
    assert set(box) == {("actor", "rennes"), ("actor", "irisa"), ("actor", "orga")}


@pytest.mark.parametrize(
    "bbox",
    ["1,2,3", "a,b,c,d", "-200,0,10,10", "0,-95,10,10", "10,0,0,10", "0,10,10,0", "0,0,nan,10", ""],
)
def test_bad_bbox_is_a_400(api, world, bbox):
    response = api.get(f"/api/v1/map/?bbox={bbox}")
    assert response.status_code == 400 and "bbox" in fields_of(response.json())


def test_other_bad_map_queries(api, world):
    assert "type" in fields_of(api.get("/api/v1/map/?type=robot").json())
    assert "cluster" in fields_of(api.get("/api/v1/map/?cluster=country").json())
    assert "city" in fields_of(api.get("/api/v1/map/?city=atlantis").json())
    assert "territory" in fields_of(api.get("/api/v1/map/?territory=nowhere").json())


def test_cluster_per_city(api, world, organizer_api):
    body = api.get("/api/v1/map/?cluster=city").json()
    clusters = {f["properties"]["id"]: f for f in body["features"]}
    rennes = clusters["rennes"]
    assert rennes["geometry"]["coordinates"] == [-1.6778, 48.1173]
    # rennes itself, cantine, irisa, orga; robot; meetup, en-ligne.
    assert rennes["properties"]["count"] == 7
    assert rennes["properties"]["counts"] == {"actor": 4, "project": 1, "event": 2}
    assert clusters["quebec"]["properties"]["count"] == 1
    assert organizer_api.get("/api/v1/map/?cluster=city").json()["features"][1]["properties"]["count"] == 9


def test_map_rolls_a_territory_up(api, world):
    nice = make_city("nice", latitude=43.7, longitude=7.26)
    make_org("startup-nice", nice)
    mayor = make_person("mayor", nice)
    make_admin(mayor, nice)
    client = client_for(mayor)
    client.post("/api/v1/territories/", {"handle": "sud", "name": "Sud", "cities": ["nice"]}, format="json")
    client.post("/api/v1/territories/", {"handle": "france", "name": "France", "cities": ["nice", "rennes"],
                                         "territories": ["sud"]}, format="json")
    # Rennes is pending in "france": only Nice counts, through "sud".
    assert {key[1] for key in features(api, "?territory=france&type=actor")} == {"nice", "startup-nice", "mayor"}


def test_map_costs_a_fixed_number_of_queries(api, world, rennes):
    for index in range(30):
        make_org(f"org-{index}", rennes)
    with CaptureQueriesContext(connection) as few:
        features(api)
    for index in range(30, 60):
        make_org(f"org-{index}", rennes)
    with CaptureQueriesContext(connection) as more:
        features(api)
    assert len(few) == len(more) <= 4
