"""Collaboration requests in search, over the HTTP API: found by their words, filtered, and hidden as their selector hides them."""

from datetime import timedelta

import pytest
from django.utils import timezone

from projects.models import CollaborationRequest, CollaborationResponse, Visibility
from search.backends import get_search_backend
from search.registry import all_documents
from tests.conftest import client_for, indexed, link_cities, make_person
from tests.search.conftest import tags


def make_request(author, title, message, **fields) -> CollaborationRequest:
    skills, sectors = fields.pop("skills", ()), fields.pop("sectors", ())
    request = CollaborationRequest.objects.create(
        author=author, title=title, message=message, deadline=timezone.now() + timedelta(days=30), **fields
    )
    request.needed_skills.set(tags(*skills))
    request.needed_sectors.set(tags(*sectors))
    return indexed(request)


def hits(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [hit["id"] for hit in response.json()["results"]]


@pytest.fixture
def requests_(territory, django_capture_on_commit_callbacks):
    link_cities(territory.rennes, territory.montreal)
    with django_capture_on_commit_callbacks(execute=True):
        public = make_request(
            territory.bob, "Recherche partenaires hydrogène", "Nous cherchons une société d'électrolyseurs.",
            kind=CollaborationRequest.Kind.RESEARCH, origin_city=territory.quebec, to_city=territory.rennes,
            include_peer_cities=True, skills=["chimie"], sectors=["energie"],
        )
        secret = make_request(
            territory.societe, "Audit cryptographique interne", "Relecture du protocole de chiffrement.",
            to_project=territory.secret_project, from_project=territory.secret_project,
        )
    return public, secret


def test_a_request_is_found_by_its_words_accents_and_typos_forgiven(api, requests_):
    public, _secret = requests_
    for query in ("hydrogène", "hydrogene", "HYDROGENE partenaire", "electrolyseurs", "l'électrolyseur",
                  "hydrogne", "societe"):
        assert str(public.pk) in hits(api.get("/api/v1/search/", {"q": query})), query
    body = api.get("/api/v1/search/", {"q": "hydrogene"}).json()
    hit = next(h for h in body["results"] if h["id"] == str(public.pk))
    assert hit["type"] == "collaboration" and hit["title"] == "Recherche partenaires hydrogène"
    assert body["facets"]["type"] == {"collaboration": 1}
    assert body["facets"]["kind"] == {"research": 1}
    assert body["facets"]["skill"] == {"chimie": 1}


def test_filtered_by_type_and_by_each_of_its_cities(api, requests_):
    public, _secret = requests_
    request_id = str(public.pk)
    assert hits(api.get("/api/v1/search/", {"q": "hydrogene", "type": "collaboration"})) == [request_id]
    assert hits(api.get("/api/v1/search/", {"q": "hydrogene", "type": "project"})) == []
    # Target city, its peer (include_peer_cities) and the origin city all find it; another city does not.
    for city in ("rennes", "montreal", "quebec"):
        assert hits(api.get("/api/v1/search/", {"q": "hydrogene", "city": city})) == [request_id], city
    territory_city = "lyon"
    assert hits(api.get("/api/v1/search/", {"q": "hydrogene", "city": territory_city})) == []
    assert hits(api.get("/api/v1/search/", {"q": "hydrogene", "kind": "research", "sector": "energie"})) == [
        request_id]


def test_a_request_inside_a_private_project_is_invisible_to_outsiders(api, territory, requests_):
    _public, secret = requests_
    for client in (api, client_for(territory.bob)):
        body = client.get("/api/v1/search/", {"q": "audit cryptographique"}).json()
        assert body["count"] == 0 and body["results"] == []
        assert not any(body["facets"].values())
        assert client.get("/api/v1/search/suggest/", {"q": "audit"}).json()["results"] == []
    alice = client_for(territory.alice)  # a member of the private project
    assert hits(alice.get("/api/v1/search/", {"q": "audit cryptographique"})) == [str(secret.pk)]
    assert [s["id"] for s in alice.get("/api/v1/search/suggest/", {"q": "audit crypto"}).json()["results"]] == [str(secret.pk)]


def test_status_responses_and_visibility_changes_reach_the_index(api, territory, requests_,
                                                                   django_capture_on_commit_callbacks):
    public, secret = requests_
    carol = make_person("carol")
    with django_capture_on_commit_callbacks(execute=True):
        indexed(CollaborationResponse.objects.create(request=public, responder=carol, message="Partante."))
        public.status = CollaborationRequest.Status.CLOSED
        indexed(public).save()
    assert str(public.pk) in hits(api.get("/api/v1/search/", {"q": "hydrogene closed"}))
    with django_capture_on_commit_callbacks(execute=True):
        territory.secret_project.visibility = Visibility.PUBLIC
        indexed(territory.secret_project).save()
    assert hits(api.get("/api/v1/search/", {"q": "audit cryptographique"})) == [str(secret.pk)]
    with django_capture_on_commit_callbacks(execute=True):
        territory.societe.suspended = True  # the author
        indexed(territory.societe).save()
    assert hits(api.get("/api/v1/search/", {"q": "audit cryptographique"})) == []


def test_a_reindex_gives_the_same_answers(api, territory, requests_):
    public, _secret = requests_
    get_search_backend().reindex(all_documents())
    assert hits(api.get("/api/v1/search/", {"q": "hydrogene", "city": "montreal"})) == [str(public.pk)]
    assert hits(client_for(territory.bob).get("/api/v1/search/", {"q": "audit"})) == []


def test_a_request_to_a_private_project_is_shown_to_its_author(territory, django_capture_on_commit_callbacks):
    outsider = make_person("dora")
    with django_capture_on_commit_callbacks(execute=True):
        request = make_request(outsider, "Proposition de mécénat", "Pour le projet confidentiel.",
                               to_project=territory.secret_project)
    assert hits(client_for(outsider).get("/api/v1/search/", {"q": "mecenat"})) == [str(request.pk)]
    assert hits(client_for(territory.bob).get("/api/v1/search/", {"q": "mecenat"})) == []
    assert hits(client_for(territory.alice).get("/api/v1/search/", {"q": "mecenat"})) == [str(request.pk)]
