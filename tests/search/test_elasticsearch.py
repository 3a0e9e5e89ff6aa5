"""The Elasticsearch request bodies, checked without a server: mapping, queries, bulk actions, alias swap."""

import itertools

import pytest
from django.contrib.auth.models import AnonymousUser

from profiles.selectors import visible_actors
from projects.models import Visibility
from projects.selectors import visible_projects
from search.backends.elasticsearch import (
    FUZZINESS,
    alias_swap_actions,
    build_search,
    build_suggest,
    bulk_actions,
    delete_actions,
    index_body,
    visibility_filter,
)
from search.registry import Document, all_documents, document_type, stored_audience_allows
from tests.conftest import make_person
from tests.search.conftest import make_project


def test_the_mapping_folds_accents_drops_elisions_and_stems_lightly():
    body = index_body()
    analysis = body["settings"]["analysis"]
    assert analysis["analyzer"]["novosphere_text"] == {
        "type": "custom",
        "tokenizer": "standard",
        "filter": ["novosphere_elision", "lowercase", "asciifolding", "novosphere_stop",
                   "novosphere_french_light", "novosphere_english_minimal"],
    }
    assert analysis["filter"]["novosphere_elision"]["type"] == "elision"
    assert {"l", "d", "qu"} <= set(analysis["filter"]["novosphere_elision"]["articles"])
    assert {"de", "la", "the"} <= set(analysis["filter"]["novosphere_stop"]["stopwords"])
    assert analysis["filter"]["novosphere_french_light"] == {"type": "stemmer", "language": "light_french"}
    assert analysis["filter"]["novosphere_edge_ngrams"] == {"type": "edge_ngram", "min_gram": 1, "max_gram": 20}
    properties = body["mappings"]["properties"]
    assert properties["title"]["analyzer"] == "novosphere_text"
    assert properties["title"]["copy_to"] == "text"
    assert properties["title"]["fields"]["suggest"] == {
        "type": "text", "analyzer": "novosphere_suggest", "search_analyzer": "novosphere_suggest_search"}
    assert properties["body"] == {"type": "text", "analyzer": "novosphere_text", "copy_to": "text"}
    for keyword in ("type", "ident", "kind", "city", "places", "country", "sectors", "skills", "audience"):
        assert properties[keyword] == {"type": "keyword"}
    assert properties["member_ids"] == {"type": "long"}
    assert properties["hidden"] == {"type": "boolean"}


def test_the_search_request_for_an_anonymous_viewer():
    body = build_search("innovaton", filters={"city": "quebec", "country": "ca", "sector": "sante"},
                        viewer=AnonymousUser(), page=2, index="novosphere").to_dict()
    assert body == {
        "query": {"bool": {
            "must": [{"match": {"text": {"query": "innovaton", "operator": "and", "fuzziness": "AUTO:5,9"}}}],
            "should": [
                {"match": {"title": {"query": "innovaton", "fuzziness": "AUTO:5,9", "boost": 3}}},
                {"match": {"title": {"query": "innovaton", "boost": 6}}},
                {"match": {"body": {"query": "innovaton", "boost": 2}}},
            ],
            "filter": [
                {"bool": {"filter": [{"term": {"audience": "everyone"}}], "must_not": [{"term": {"hidden": True}}]}},
                {"term": {"places": "quebec"}},
                {"term": {"country": "CA"}},
                {"term": {"sectors": "sante"}},
            ],
        }},
        "aggs": {
            "type": {"terms": {"field": "type", "size": 20}},
            "kind": {"terms": {"field": "kind", "size": 20}},
            "city": {"terms": {"field": "city", "size": 20}},
            "sector": {"terms": {"field": "sectors", "size": 20}},
            "skill": {"terms": {"field": "skills", "size": 20}},
        },
        "track_total_hits": True,
        "_source": ["type", "ident", "title", "body"],
        "from": 20,
        "size": 20,
    }
    assert FUZZINESS == "AUTO:5,9"  # no typo under 5 letters, one up to 8, two from 9


def test_the_search_request_for_a_signed_in_viewer(db):
    alice = make_person("alice")
    body = build_search("x", filters={}, viewer=alice.user, page=1, index="i").to_dict()
    assert body["query"]["bool"]["filter"] == [{"bool": {
        "should": [{"terms": {"audience": ["everyone", "signed_in"]}}, {"term": {"member_ids": alice.pk}}],
        "minimum_should_match": 1,
        "must_not": [{"term": {"hidden": True}}],
    }}]


def test_the_suggest_request():
    assert build_suggest("queb", viewer=None, index="novosphere").to_dict() == {
        "query": {"bool": {
            "must": [{"match": {"title.suggest": {"query": "queb", "operator": "and"}}}],
            "filter": [{"bool": {"filter": [{"term": {"audience": "everyone"}}],
                                 "must_not": [{"term": {"hidden": True}}]}}],
        }},
        "sort": ["_score", "title.raw"],
        "_source": ["type", "ident", "title"],
        "size": 10,
    }


def test_bulk_actions_index_and_delete_by_key():
    document = Document(type="project", object_pk=7, ident="p", title="Titre", body="Corps", city="quebec",
                        country="ca", sectors=["sante"], skills=["python"], audience="listed", member_ids=[3])
    assert list(bulk_actions([document], "novosphere-1")) == [{
        "_op_type": "index", "_index": "novosphere-1", "_id": "project:7",
        "_source": {"type": "project", "ident": "p", "title": "Titre", "body": "Corps", "kind": "",
                    "city": "quebec", "places": ["quebec"], "country": "CA", "sectors": ["sante"], "skills": ["python"],
                    "audience": "listed", "member_ids": [3], "hidden": False},
    }]
    assert list(delete_actions(["actor:1"], "novosphere")) == [
        {"_op_type": "delete", "_index": "novosphere", "_id": "actor:1"}]


def test_a_request_is_indexed_under_its_origin_and_every_target_city():
    document = Document(type="collaboration", object_pk=3, ident="3", title="t", city="rennes",
                        places=["rennes", "quebec", "montreal", "quebec"])
    [action] = bulk_actions([document], "novosphere-1")
    assert action["_source"]["places"] == ["rennes", "quebec", "montreal"]
    assert action["_source"]["city"] == "rennes"


def test_alias_swap_is_one_atomic_call():
    assert alias_swap_actions("novosphere", "novosphere-2", ["novosphere-1"]) == [
        {"remove": {"index": "novosphere-1", "alias": "novosphere"}},
        {"add": {"index": "novosphere-2", "alias": "novosphere"}},
    ]
    assert alias_swap_actions("novosphere", "novosphere-1", []) == [
        {"add": {"index": "novosphere-1", "alias": "novosphere"}}]


def _filter_allows(clause: dict, source: dict) -> bool:
    """Evaluate the bool/term/terms subset of the query DSL that visibility_filter uses."""
    (kind, body), = clause.items()
    if kind == "term":
        (field, value), = body.items()
        stored = source[field]
        return value in stored if isinstance(stored, list) else stored == value
    if kind == "terms":
        (field, values), = body.items()
        return source[field] in values
    assert kind == "bool", kind
    ok = all(_filter_allows(c, source) for c in body.get("filter", []) + body.get("must", []))
    ok = ok and not any(_filter_allows(c, source) for c in body.get("must_not", []))
    if "should" in body:
        matched = sum(_filter_allows(c, source) for c in body["should"])
        ok = ok and matched >= body.get("minimum_should_match", 1)
    return ok


@pytest.mark.django_db
def test_the_stored_audience_agrees_with_the_visibility_selectors(territory):
    """Elasticsearch cannot ask visible_projects; what it filters on must give the same answer."""
    territory.labs.suspended = True  # a suspended owner hides the owner and its projects
    territory.labs.save()
    make_project("public-of-bob", "Public", territory.bob, visibility=Visibility.PUBLIC)
    make_project("private-of-bob", "Private", territory.bob, visibility=Visibility.PRIVATE)
    viewers = [AnonymousUser(), territory.alice.user, territory.bob.user, make_person("carol").user]
    documents = list(all_documents())
    assert {d.type for d in documents} >= {"actor", "project"}
    from search.backends.elasticsearch import source

    for viewer, document in itertools.product(viewers, documents):
        selector = document_type(document.type).visible(viewer)
        expected = selector.filter(pk=document.object_pk).exists()
        assert stored_audience_allows(document, viewer) == expected, (viewer, document.key)
        es_filter = visibility_filter(viewer).to_dict()
        assert _filter_allows(es_filter, source(document)) == expected, (viewer, document.key)
    # The selectors themselves did hide something for someone.
    assert not visible_actors(None).filter(pk=territory.labs.pk).exists()
    assert not visible_projects(territory.bob.user).filter(slug="secret").exists()


def test_the_search_request_leaves_out_what_the_viewer_blocks_by_document_id(db):
    from moderation.models import Block

    alice, bob = make_person("alice"), make_person("bob")
    Block.objects.create(blocker=alice, blocked=bob)
    body = build_search("x", filters={}, viewer=alice.user, page=1, index="i").to_dict()
    [visibility] = body["query"]["bool"]["filter"]
    assert visibility["bool"]["must_not"] == [{"term": {"hidden": True}}, {"ids": {"values": [f"actor:{bob.pk}"]}}]
