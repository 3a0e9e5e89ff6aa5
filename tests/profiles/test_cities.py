import pytest

from novosphere.models import AuditEntry
from profiles.models import CityLink
from tests.conftest import client_for, link_cities, make_admin, make_city, make_org, make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def mayor_rennes(rennes):
    mayor = make_person("mayor-rennes", rennes)
    make_admin(mayor, rennes)
    return client_for(mayor)


@pytest.fixture
def mayor_quebec(quebec):
    mayor = make_person("mayor-quebec", quebec)
    make_admin(mayor, quebec)
    return client_for(mayor)


def test_city_list_filters_by_country(api, rennes, quebec):
    assert {c["handle"] for c in api.get("/api/v1/cities/").json()["results"]} == {"rennes", "quebec"}
    assert [c["handle"] for c in api.get("/api/v1/cities/?country=CA").json()["results"]] == ["quebec"]


def test_city_detail_has_peers_and_counts(api, rennes, quebec):
    link_cities(rennes, quebec)
    make_person("alice", rennes)
    make_org("cantine", rennes)
    body = api.get("/api/v1/cities/rennes/").json()
    assert body["peers"] == ["quebec"]
    assert body["actors_count"] == 2 and body["projects_count"] == 0
    assert body["latitude"] == pytest.approx(48.1173) and body["region"] == "Bretagne"
    assert api.get("/api/v1/cities/quebec/").json()["peers"] == ["rennes"]
    assert api.get("/api/v1/cities/alice/").status_code == 404  # not a city


def test_link_life_propose_accept_end(api, rennes, quebec, mayor_rennes, mayor_quebec):
    proposed = mayor_rennes.post("/api/v1/cities/rennes/links/", {"peer": "quebec"}, format="json")
    assert proposed.status_code == 201 and proposed.json()["status"] == "pending"
    assert api.get("/api/v1/cities/rennes/").json()["peers"] == []  # pending grants nothing

    # Only the proposed side accepts, and only what was proposed to it.
    assert mayor_rennes.post("/api/v1/cities/rennes/links/quebec/accept/").status_code == 409
    assert mayor_rennes.post("/api/v1/cities/quebec/links/rennes/accept/").status_code == 403
    accepted = mayor_quebec.post("/api/v1/cities/quebec/links/rennes/accept/")
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    assert api.get("/api/v1/cities/rennes/").json()["peers"] == ["quebec"]
    assert mayor_quebec.post("/api/v1/cities/quebec/links/rennes/accept/").status_code == 409

    assert mayor_quebec.delete("/api/v1/cities/quebec/links/rennes/").status_code == 204
    assert api.get("/api/v1/cities/rennes/").json()["peers"] == []
    assert mayor_quebec.delete("/api/v1/cities/quebec/links/rennes/").status_code == 409
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"citylink.propose", "citylink.accept", "citylink.end"} <= actions


def test_link_refusals_change_nothing(rennes, quebec, mayor_rennes, alice_api):
    make_org("cantine", rennes)
    assert alice_api.post("/api/v1/cities/rennes/links/", {"peer": "quebec"}, format="json").status_code == 403
    assert mayor_rennes.post("/api/v1/cities/rennes/links/", {"peer": "rennes"}, format="json").status_code == 400
    assert mayor_rennes.post("/api/v1/cities/rennes/links/", {"peer": "cantine"}, format="json").status_code == 400
    assert mayor_rennes.post("/api/v1/cities/rennes/links/", {"peer": "atlantis"}, format="json").status_code == 400
    assert mayor_rennes.post("/api/v1/cities/rennes/links/", {}, format="json").status_code == 400
    assert mayor_rennes.post("/api/v1/cities/atlantis/links/", {"peer": "quebec"}, format="json").status_code == 404
    assert not CityLink.objects.exists()


def test_duplicate_or_crossed_proposals_are_conflicts(rennes, quebec, mayor_rennes, mayor_quebec):
    assert mayor_rennes.post("/api/v1/cities/rennes/links/", {"peer": "quebec"}, format="json").status_code == 201
    assert mayor_rennes.post("/api/v1/cities/rennes/links/", {"peer": "quebec"}, format="json").status_code == 409
    crossed = mayor_quebec.post("/api/v1/cities/quebec/links/", {"peer": "rennes"}, format="json")
    assert crossed.status_code == 409 and "detail" in crossed.json()
    assert CityLink.objects.count() == 1


def test_either_side_ends_a_pending_link(rennes, quebec, mayor_rennes, mayor_quebec):
    mayor_rennes.post("/api/v1/cities/rennes/links/", {"peer": "quebec"}, format="json")
    assert mayor_quebec.delete("/api/v1/cities/quebec/links/rennes/").status_code == 204
    assert not CityLink.objects.exists()


def test_suspended_peers_are_not_listed(api, rennes, quebec):
    montreal = make_city("montreal", "Montréal", country="CA")
    link_cities(rennes, quebec)
    link_cities(montreal, rennes)
    assert api.get("/api/v1/cities/rennes/").json()["peers"] == ["montreal", "quebec"]
    montreal.suspended = True
    montreal.save()
    assert api.get("/api/v1/cities/rennes/").json()["peers"] == ["quebec"]
