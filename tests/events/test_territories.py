import pytest

from events.models import Territory, TerritoryCity
from projects.models import Project
from tests.conftest import client_for, fields_of, make_admin, make_city, make_org, make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def riviera(db):
    return {h: make_city(h, latitude=lat, longitude=7.0) for h, lat in (("nice", 43.7), ("cannes", 43.55), ("antibes", 43.58), ("grasse", 43.66))}


@pytest.fixture
def mayor_nice(riviera):
    mayor = make_person("mayor-nice", riviera["nice"])
    make_admin(mayor, riviera["nice"])
    return client_for(mayor)


@pytest.fixture
def mayor_cannes(riviera):
    mayor = make_person("mayor-cannes", riviera["cannes"])
    make_admin(mayor, riviera["cannes"])
    return client_for(mayor)


def create(client, handle, cities, territories=(), expect=201):
    response = client.post(
        "/api/v1/territories/",
        {"handle": handle, "name": handle.title(), "cities": cities, "territories": list(territories)},
        format="json",
    )
    assert response.status_code == expect, response.content
    return response.json()


def test_creator_cities_are_accepted_the_others_pending(api, riviera, mayor_nice, mayor_cannes):
    body = create(mayor_nice, "cote-d-azur", ["nice", "cannes"])
    assert body["cities"] == ["nice"] and body["pending_cities"] == ["cannes"]
    assert body["territories"] == []
    accepted = mayor_cannes.post("/api/v1/territories/cote-d-azur/cities/cannes/accept/")
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    assert api.get("/api/v1/territories/cote-d-azur/").json()["cities"] == ["cannes", "nice"]
    assert mayor_cannes.post("/api/v1/territories/cote-d-azur/cities/cannes/accept/").status_code == 409
    # Only an admin of the city accepts its place.
    mayor_nice.post("/api/v1/territories/cote-d-azur/members/", {"city": "grasse"}, format="json")
    assert mayor_nice.post("/api/v1/territories/cote-d-azur/cities/grasse/accept/").status_code == 403
    create(mayor_nice, "nice-seule", ["nice"])
    assert mayor_cannes.post("/api/v1/territories/nice-seule/cities/cannes/accept/").status_code == 409
    assert [t["handle"] for t in api.get("/api/v1/territories/").json()["results"]] == ["cote-d-azur", "nice-seule"]


def test_creation_refusals_write_nothing(api, riviera, mayor_nice, alice_api):
    assert create(alice_api, "t1", ["nice"], expect=403)
    assert "cities" in fields_of(create(mayor_nice, "t2", [], expect=400))
    assert "cities" in fields_of(create(mayor_nice, "t3", ["atlantis"], expect=400))
    create(mayor_nice, "t4", ["nice"])
    assert "handle" in fields_of(create(mayor_nice, "t4", ["nice"], expect=400))
    assert api.post("/api/v1/territories/", {"handle": "x", "name": "x", "cities": ["nice"]}, format="json").status_code == 401
    assert list(Territory.objects.values_list("handle", flat=True)) == ["t4"]


def test_a_cycle_is_refused(riviera, mayor_nice):
    create(mayor_nice, "sophia", ["nice"])
    create(mayor_nice, "cote-d-azur", ["nice"], territories=["sophia"])
    create(mayor_nice, "paca", ["nice"], territories=["cote-d-azur"])
    for parent, child in (("sophia", "paca"), ("sophia", "cote-d-azur"), ("sophia", "sophia")):
        refused = mayor_nice.post(f"/api/v1/territories/{parent}/members/", {"territory": child}, format="json")
        assert refused.status_code == 400 and "territory" in fields_of(refused.json()), refused.content
    assert not Territory.objects.get(handle="sophia").territories.exists()
    bad = mayor_nice.post("/api/v1/territories/sophia/members/", {}, format="json")
    assert bad.status_code == 400


def test_counts_roll_up_and_pending_cities_count_nothing(api, riviera, mayor_nice, mayor_cannes, alice_api):
    nice, cannes, antibes, grasse = (riviera[h] for h in ("nice", "cannes", "antibes", "grasse"))
    mayor_antibes = make_person("mayor-antibes", antibes)
    make_admin(mayor_antibes, antibes)
    make_org("inria", antibes)
    make_org("startup-grasse", grasse)
    owner = make_person("owner", nice)
    Project.objects.create(slug="p-public", title="P", owner=owner, city=antibes)
    Project.objects.create(slug="p-members", title="P", owner=owner, city=antibes, visibility="members")
    Project.objects.create(slug="p-cannes", title="P", owner=owner, city=cannes)

    create(client_for(mayor_antibes), "sophia", ["antibes", "grasse"])  # grasse stays pending
    create(mayor_nice, "cote-d-azur", ["nice", "cannes"], territories=["sophia"])  # cannes pending

    body = api.get("/api/v1/territories/cote-d-azur/").json()
    assert body["territories"] == ["sophia"] and body["cities"] == ["nice"]
    # nice: mayor-nice, owner; antibes (through sophia): mayor-antibes, inria.
    assert body["actors_count"] == 4
    assert body["projects_count"] == 1  # p-members is for signed-in callers; p-cannes is pending
    assert body["events_count"] == 0
    assert alice_api.get("/api/v1/territories/cote-d-azur/").json()["projects_count"] == 2

    mayor_cannes.post("/api/v1/territories/cote-d-azur/cities/cannes/accept/")
    body = api.get("/api/v1/territories/cote-d-azur/").json()
    assert body["actors_count"] == 5 and body["projects_count"] == 2
    # A deeper level rolls up too.
    create(mayor_nice, "paca", ["nice"], territories=["cote-d-azur"])
    assert api.get("/api/v1/territories/paca/").json()["projects_count"] == 2
    assert TerritoryCity.objects.filter(status="pending").count() == 1  # grasse


def test_rename_by_admins_of_accepted_cities(api, riviera, mayor_nice, mayor_cannes):
    create(mayor_nice, "cote-d-azur", ["nice", "cannes"])
    assert mayor_cannes.patch("/api/v1/territories/cote-d-azur/", {"name": "Riviera"}, format="json").status_code == 403
    renamed = mayor_nice.patch("/api/v1/territories/cote-d-azur/", {"name": "Côte d'Azur"}, format="json")
    assert renamed.status_code == 200 and renamed.json()["name"] == "Côte d'Azur"
    assert api.get("/api/v1/territories/nowhere/").status_code == 404
