"""GET /api/v1/search/ and /api/v1/search/suggest/: the examples of API.md over HTTP."""

import pytest

from search.backends import get_search_backend
from search.registry import all_documents
from tests.conftest import client_for


@pytest.fixture
def indexed(territory):
    get_search_backend().reindex(all_documents())
    return territory


def hits(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [hit["id"] for hit in response.json()["results"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Quebec", "quebec"),
        ("societe", "societe-innovation"),
        ("l'innovation", "innovation-ouverte"),
        ("innovations", "innovation-ouverte"),
        ("innovaton", "innovation-ouverte"),
        ("Montreall", "montreal"),
        ("entreprneuriat", "alice"),
    ],
)
def test_the_examples_of_the_api_contract(api, indexed, query, expected):
    assert expected in hits(api.get("/api/v1/search/", {"q": query}))


def test_the_answer_shape(api, indexed):
    body = api.get("/api/v1/search/", {"q": "innovation", "type": "project", "city": "quebec"}).json()
    assert body["count"] == 1
    assert body["results"] == [{
        "type": "project", "id": "innovation-ouverte", "title": "Innovation ouverte",
        "snippet": body["results"][0]["snippet"], "score": body["results"][0]["score"],
    }]
    assert set(body["facets"]) == {"type", "kind", "city", "sector", "skill"}
    assert body["facets"]["type"] == {"project": 1}


def test_filters_over_http(api, indexed):
    assert set(hits(api.get("/api/v1/search/", {"q": "innovation", "skill": "python"}))) == {
        "innovation-ouverte", "societe-innovation"}
    assert hits(api.get("/api/v1/search/", {"q": "innovation", "kind": "organization", "country": "CA"})) == [
        "societe-innovation"]
    assert hits(api.get("/api/v1/search/", {"q": "innovation", "sector": "sante"})) == ["societe-innovation"]
    assert hits(api.get("/api/v1/search/", {"q": "innovation", "type": "collaboration"})) == []


@pytest.mark.parametrize(
    "params",
    [{}, {"q": ""}, {"q": "   "}, {"q": "x" * 201}, {"q": "innovation", "type": "meetup"},
     {"q": "innovation", "page": "0"}, {"q": "innovation", "page": "deux"}],
)
def test_bad_queries_are_400(api, indexed, params):
    response = api.get("/api/v1/search/", params)
    assert response.status_code == 400, response.content


def test_a_query_of_200_characters_is_fine(api, indexed):
    assert api.get("/api/v1/search/", {"q": "innovation " + "x" * 189}).status_code == 200


def test_private_projects_over_http(api, indexed):
    body = api.get("/api/v1/search/", {"q": "confidentielle"}).json()
    assert body == {"count": 0, "results": [], "facets": body["facets"], "next": None}
    assert not any(body["facets"].values())
    assert hits(client_for(indexed.bob).get("/api/v1/search/", {"q": "confidentielle"})) == []
    assert hits(client_for(indexed.alice).get("/api/v1/search/", {"q": "confidentielle"})) == ["secret"]
    assert api.get("/api/v1/search/suggest/", {"q": "innovation conf"}).json()["results"] == []
    assert client_for(indexed.alice).get("/api/v1/search/suggest/", {"q": "innovation conf"}).json()["results"] == [
        {"type": "project", "id": "secret", "title": "Innovation confidentielle"}]


def test_suggest(api, indexed):
    response = api.get("/api/v1/search/suggest/", {"q": "Queb"})
    assert response.status_code == 200
    assert response.json() == {"results": [{"type": "actor", "id": "quebec", "title": "Québec"}], "next": None}
    assert len(api.get("/api/v1/search/suggest/", {"q": "r"}).json()["results"]) <= 10
    assert api.get("/api/v1/search/suggest/", {"q": ""}).status_code == 400
    assert api.get("/api/v1/search/suggest/").status_code == 400


def test_the_schema_documents_search(api, db):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    assert "/api/v1/search/" in schema and "/api/v1/search/suggest/" in schema
