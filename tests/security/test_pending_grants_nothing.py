"""Property 4: a pending city link, a pending place in a territory or an unanswered
request grants no access. Each test also accepts the pending thing at the end and
watches the access appear, so it cannot pass by checking a path that never grants."""

from datetime import timedelta

import pytest
from django.utils import timezone

from events.models import Event
from tests.conftest import client_for, make_admin, make_city, make_org, make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def cities(rennes, quebec):
    """Rennes proposes a link to Québec, which has not answered."""
    mayor_rennes, mayor_quebec = make_person("mayor_rennes", rennes), make_person("mayor_quebec", quebec)
    make_admin(mayor_rennes, rennes)
    make_admin(mayor_quebec, quebec)
    rennes_api, quebec_api = client_for(mayor_rennes), client_for(mayor_quebec)
    assert rennes_api.post("/api/v1/cities/rennes/links/", {"peer": "quebec"}, format="json").status_code == 201
    return rennes_api, quebec_api


def accept_link(quebec_api):
    assert quebec_api.post("/api/v1/cities/quebec/links/rennes/accept/").status_code == 200


def test_pending_link_is_not_a_peer(api, cities):
    _rennes_api, quebec_api = cities
    assert api.get("/api/v1/cities/rennes/").json()["peers"] == []
    assert api.get("/api/v1/cities/quebec/").json()["peers"] == []
    accept_link(quebec_api)
    assert api.get("/api/v1/cities/rennes/").json()["peers"] == ["quebec"]


def test_request_to_a_city_with_its_peers_does_not_reach_a_pending_peer(alice_api, cities):
    _rennes_api, quebec_api = cities
    body = {
        "title": "Cherche partenaires", "message": "m", "kind": "partnership", "to_city": "rennes",
        "include_peer_cities": True, "needs": {"skills": [], "sectors": []},
        "deadline": (timezone.now() + timedelta(days=30)).isoformat(),
    }
    created = alice_api.post("/api/v1/collaborations/", body, format="json")
    assert created.status_code == 201, created.content
    request_id = created.json()["id"]

    def reached():
        incoming = quebec_api.get("/api/v1/collaborations/?incoming=1").json()["results"]
        notified = [n["activity"]["object"]["id"] for n in quebec_api.get("/api/v1/notifications/").json()["results"]]
        return request_id in [r["id"] for r in incoming], str(request_id) in map(str, notified)

    assert reached() == (False, False)
    # The pending peer's admin cannot answer for Rennes either.
    assert quebec_api.post(f"/api/v1/collaborations/{request_id}/decline/").status_code in (403, 404)
    accept_link(quebec_api)
    assert reached()[0] is True


def test_events_with_peers_skip_a_pending_peer(api, cities, quebec):
    _rennes_api, quebec_api = cities
    start = timezone.now() + timedelta(days=5)
    festival = Event.objects.create(slug="fete-quebec", uid="fete@quebec", title="Fête", city=quebec,
                                    start=start, end=start + timedelta(hours=3))
    festival.organizers.add(make_org("quebec-numerique", quebec))

    def slugs():
        return [e["slug"] for e in api.get("/api/v1/events/?city=rennes&include_peers=1").json()["results"]]

    assert slugs() == []
    accept_link(quebec_api)
    assert slugs() == ["fete-quebec"]


def test_pending_place_in_a_territory_counts_nothing_and_maps_nothing(api, rennes):
    nantes = make_city("nantes", latitude=47.2, longitude=-1.55)
    mayor_rennes, mayor_nantes = make_person("mayor_rennes", rennes), make_person("mayor_nantes", nantes)
    make_admin(mayor_rennes, rennes)
    make_admin(mayor_nantes, nantes)
    make_org("fablab-nantes", nantes)
    created = client_for(mayor_rennes).post(
        "/api/v1/territories/", {"handle": "ouest", "name": "Ouest", "cities": ["rennes", "nantes"]}, format="json"
    )
    assert created.status_code == 201, created.content

    def view():
        territory = api.get("/api/v1/territories/ouest/").json()
        mapped = api.get("/api/v1/map/", {"territory": "ouest", "type": "actor"}).json()["features"]
        return territory["cities"], {f["properties"]["id"] for f in mapped} & {"nantes", "fablab-nantes"}

    assert view() == (["rennes"], set())
    assert client_for(mayor_nantes).post("/api/v1/territories/ouest/cities/nantes/accept/").status_code == 200
    cities, mapped = view()
    assert sorted(cities) == ["nantes", "rennes"] and mapped


def test_an_unanswered_response_opens_no_private_project(alice, bob_api, alice_api):
    """Bob is asked (he is the target) from a private project and answers; until someone adds
    him to the project, its page, updates and stream stay closed to him."""
    project = alice_api.post("/api/v1/projects/", {"title": "Labo fermé", "visibility": "private", "stage": "idea"},
                             format="json").json()["slug"]
    alice_api.post(f"/api/v1/projects/{project}/updates/", {"body": "confidentiel"}, format="json")
    request = alice_api.post("/api/v1/collaborations/", {
        "title": "Aide", "message": "m", "kind": "mentoring", "to_actor": "bob", "from_project": project,
        "needs": {"skills": [], "sectors": []}, "deadline": (timezone.now() + timedelta(days=9)).isoformat(),
    }, format="json").json()
    assert bob_api.get(f"/api/v1/collaborations/{request['id']}/").status_code == 200
    assert bob_api.post(f"/api/v1/collaborations/{request['id']}/responses/", {"message": "Oui"},
                        format="json").status_code == 201
    paths = [f"/api/v1/projects/{project}/", f"/api/v1/projects/{project}/updates/",
             f"/api/v1/projects/{project}/activity/"]
    assert [bob_api.get(path).status_code for path in paths] == [404, 404, 404]
    alice_api.post(f"/api/v1/projects/{project}/members/", {"actor": "bob", "role": "contributor"}, format="json")
    assert [bob_api.get(path).status_code for path in paths] == [200, 200, 200]
