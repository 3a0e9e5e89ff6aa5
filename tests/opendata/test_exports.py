"""Open data: a city's or a territory's public organizations, projects and events, streamed."""

import csv
import io
import json
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from django.utils import timezone

from events.models import Event, Territory, TerritoryCity
from projects.models import Project, Visibility
from tests.conftest import make_city, make_org, make_person

pytestmark = pytest.mark.django_db

LICENCE = "Licence Ouverte / Etalab 2.0"


def read(response) -> bytes:
    return b"".join(response)


def make_project(slug, owner, city, visibility=Visibility.PUBLIC, **fields):
    return Project.objects.create(slug=slug, title=slug.replace("-", " ").title(), owner=owner, city=city,
                                  visibility=visibility, **fields)


def make_event(slug, organizer, city, visibility=Visibility.PUBLIC):
    start = timezone.now() + timedelta(days=7)
    event = Event.objects.create(slug=slug, uid=f"{slug}@test", title=slug.title(), city=city, start=start,
                                 end=start + timedelta(hours=2), visibility=visibility)
    event.organizers.set([organizer])
    return event


@pytest.fixture
def bretagne(rennes):
    """Bretagne holds Rennes and, one level down, the territory of Brest."""
    brest = make_city("brest", "Brest")
    nantes = make_city("nantes", "Nantes")  # pending: not in the territory yet
    outer = Territory.objects.create(handle="bretagne", name="Bretagne")
    inner = Territory.objects.create(handle="pays-de-brest", name="Pays de Brest")
    outer.territories.add(inner)
    TerritoryCity.objects.create(territory=outer, city=rennes, status=TerritoryCity.Status.ACCEPTED)
    TerritoryCity.objects.create(territory=inner, city=brest, status=TerritoryCity.Status.ACCEPTED)
    TerritoryCity.objects.create(territory=outer, city=nantes, status=TerritoryCity.Status.PENDING)
    return {"rennes": rennes, "brest": brest, "nantes": nantes}


@pytest.fixture
def ecosystem(bretagne):
    rennes, brest, nantes = bretagne["rennes"], bretagne["brest"], bretagne["nantes"]
    cantine = make_org("cantine", rennes)
    port = make_org("port-numerique", brest)
    make_org("ailleurs", nantes)
    make_org("suspendue", rennes, suspended=True)
    alice = make_person("alice", rennes)
    make_project("tiers-lieu", cantine, rennes)
    make_project("jardin-partage", alice, rennes)  # a person's public project: shown, the person not named
    make_project("phare", port, brest)
    make_project("secret", cantine, rennes, visibility=Visibility.PRIVATE)
    make_project("entre-nous", cantine, rennes, visibility=Visibility.MEMBERS)
    make_project("cache", cantine, rennes, hidden=True)
    make_project("nantais", make_org("nantes-tech", nantes), nantes)
    make_event("apero", cantine, rennes)
    make_event("reunion-privee", cantine, rennes, visibility=Visibility.PRIVATE)
    make_event("fete-du-port", port, brest)
    return bretagne


def test_a_territory_exports_its_public_projects_at_every_level_under_the_licence(api, ecosystem):
    response = api.get("/api/v1/territories/bretagne/export/?entity=projects&format=json")
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "application/json"
    assert LICENCE in response["Link"] and 'rel="license"' in response["Link"]
    body = json.loads(read(response))
    assert body["licence"]["name"] == LICENCE
    assert body["scope"] == {"kind": "territory", "handle": "bretagne", "name": "Bretagne"}
    assert body["next"] is None
    rows = {row["slug"]: row for row in body["results"]}
    assert set(rows) == {"tiers-lieu", "jardin-partage", "phare"}
    assert rows["tiers-lieu"]["owner"] == "cantine"
    assert rows["jardin-partage"]["owner"] == ""  # people are personal data, not open data
    assert rows["phare"]["city"] == "brest"
    assert rows["phare"]["url"].endswith("/api/v1/projects/phare/")


def test_a_city_exports_its_organizations_as_csv_with_a_file_name(api, ecosystem):
    response = api.get("/api/v1/cities/rennes/export/?entity=actors&format=csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="rennes-actors.csv"'
    assert LICENCE in response["Link"]
    rows = list(csv.DictReader(io.StringIO(read(response).decode())))
    assert [row["handle"] for row in rows] == ["cantine"]  # not the suspended one, not people
    assert rows[0]["name"] == "Cantine" and rows[0]["organization_type"] == "association"


def test_events_exclude_private_ones_and_name_only_organizations(api, ecosystem):
    body = json.loads(read(api.get("/api/v1/territories/bretagne/export/?entity=events")))
    assert {row["slug"]: row["organizers"] for row in body["results"]} == {
        "apero": ["cantine"], "fete-du-port": ["port-numerique"],
    }
    csv_rows = list(csv.DictReader(io.StringIO(read(api.get("/api/v1/cities/brest/export/?entity=events&format=csv")).decode())))
    assert [row["slug"] for row in csv_rows] == ["fete-du-port"]


@pytest.mark.django_db(transaction=True)
def test_over_asgi_the_export_streams_batch_by_batch(ecosystem, settings):
    """Through the server's own ASGI app (novosphere/http_handler.py), not the test client."""
    from asgiref.testing import ApplicationCommunicator

    from novosphere.http_handler import PooledASGIHandler

    settings.OPENDATA_BATCH_SIZE = 1
    scope = {"type": "http", "method": "GET", "path": "/api/v1/territories/bretagne/export/", "raw_path": b"",
             "query_string": b"entity=projects&format=csv", "headers": [(b"host", b"testserver")],
             "client": ("127.0.0.1", 50000), "server": ("testserver", 80), "scheme": "http", "root_path": ""}

    async def messages() -> list[dict]:
        app = ApplicationCommunicator(PooledASGIHandler(threads=2), scope)
        await app.send_input({"type": "http.request", "body": b""})
        received = [await app.receive_output(10)]
        while received[-1].get("more_body", received[-1]["type"] == "http.response.start"):
            received.append(await app.receive_output(10))
        await app.wait(10)
        return received

    start, *body = async_to_sync(messages)()
    assert start["status"] == 200 and (b"Content-Type", b"text/csv; charset=utf-8") in start["headers"]
    chunks = [message["body"] for message in body if message.get("body")]
    assert len(chunks) == 1 + 3  # the header line, then one chunk per batch of one row
    assert len(list(csv.DictReader(io.StringIO(b"".join(chunks).decode())))) == 3


def test_the_same_rows_come_out_of_json_and_csv(api, ecosystem):
    as_json = json.loads(read(api.get("/api/v1/territories/bretagne/export/?entity=actors&format=json")))["results"]
    as_csv = list(csv.DictReader(io.StringIO(read(api.get("/api/v1/territories/bretagne/export/?entity=actors&format=csv")).decode())))
    assert [row["handle"] for row in as_json] == [row["handle"] for row in as_csv] == ["cantine", "port-numerique"]


@pytest.mark.parametrize(
    "query", ["", "?entity=people", "?entity=projects&format=xml", "?entity=%00"]
)
def test_bad_queries_are_a_400(api, ecosystem, query):
    response = api.get(f"/api/v1/cities/rennes/export/{query}")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize("path", ["/api/v1/cities/atlantis/export/", "/api/v1/territories/atlantis/export/",
                                  "/api/v1/cities/cantine/export/"])
def test_unknown_scopes_are_a_404(api, ecosystem, path):
    assert api.get(f"{path}?entity=projects").status_code == 404


def test_a_suspended_city_is_a_404(api, ecosystem):
    ecosystem["brest"].suspended = True
    ecosystem["brest"].save()
    assert api.get("/api/v1/cities/brest/export/?entity=projects").status_code == 404
    body = json.loads(read(api.get("/api/v1/territories/bretagne/export/?entity=projects")))
    assert "phare" not in {row["slug"] for row in body["results"]}
