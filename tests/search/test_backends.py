"""One contract, run against every search backend that can run here.

The database backend runs on whichever database the suite runs on (SQLite
or PostgreSQL: the suite is run once per database); the Elasticsearch
backend runs when ELASTICSEARCH_URL points at a server.
"""

import os
import uuid

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection

from search.backends import database_backend
from search.registry import all_documents

ANONYMOUS = AnonymousUser()


def ids(results) -> list[str]:
    return [hit["id"] for hit in results["results"]]


class BackendContract:
    """What every backend promises. Subclasses provide the `backend` fixture, indexed with `territory`."""

    # --- language --------------------------------------------------------
    def test_accents_and_case_do_not_matter(self, backend, territory):
        assert "quebec" in ids(backend.search("Quebec"))
        assert "quebec" in ids(backend.search("QUÉBEC"))
        assert "societe-innovation" in ids(backend.search("societe"))

    def test_elisions_and_plurals_do_not_matter(self, backend, territory):
        for query in ("l'innovation", "innovations", "L’Innovation"):
            assert "innovation-ouverte" in ids(backend.search(query)), query
        assert "alice" in ids(backend.search("reseau"))

    def test_a_typo_in_a_longer_word_is_forgiven(self, backend, territory):
        assert "innovation-ouverte" in ids(backend.search("innovaton"))
        assert "montreal" in ids(backend.search("Montreall"))
        assert "alice" in ids(backend.search("entreprneuriat"))

    def test_a_typo_in_a_short_word_is_not(self, backend, territory):
        assert "data-lab" in ids(backend.search("data"))
        assert backend.search("dato")["count"] == 0

    def test_every_word_must_match(self, backend, territory):
        assert ids(backend.search("innovation ouverte")) == ["innovation-ouverte"]
        assert backend.search("innovation zanzibar")["count"] == 0

    def test_titles_rank_above_body_text(self, backend, territory):
        found = ids(backend.search("innovation"))
        assert found.index("innovation-ouverte") < found.index("laboratoire-citoyen")

    def test_exact_words_rank_above_forgiven_typos(self, backend, territory):
        found = ids(backend.search("montreal"))
        assert found[0] == "montreal"
        # Montréal in a body beats "Montrea" (one typo away) in a title.
        assert found.index("innovation-ouverte") < found.index("montrea-labs")

    def test_results_have_a_snippet_and_a_score(self, backend, territory):
        hit = next(h for h in backend.search("laboratoire")["results"] if h["id"] == "innovation-ouverte")
        assert hit["type"] == "project"
        assert hit["title"] == "Innovation ouverte"
        assert "laboratoire" in hit["snippet"]
        assert hit["score"] > 0

    def test_a_query_of_only_common_words_finds_nothing(self, backend, territory):
        assert backend.search("de la")["count"] == 0

    # --- filters and facets --------------------------------------------------
    def test_filters(self, backend, territory):
        assert set(ids(backend.search("innovation", filters={"type": "actor"}))) == {"societe-innovation"}
        assert set(ids(backend.search("innovation", filters={"type": "project"}))) == {
            "innovation-ouverte", "laboratoire-citoyen"}
        assert set(ids(backend.search("innovation", filters={"city": "rennes"}))) == {"laboratoire-citoyen"}
        assert set(ids(backend.search("montreal", filters={"kind": "city"}))) == {"montreal"}
        assert set(ids(backend.search("innovation", filters={"sector": "energie"}))) == {"innovation-ouverte"}
        assert set(ids(backend.search("innovation", filters={"skill": "python"}))) == {
            "innovation-ouverte", "societe-innovation"}
        assert set(ids(backend.search("innovation", filters={"country": "fr"}))) == {"laboratoire-citoyen"}

    def test_facets_count_what_matches(self, backend, territory):
        facets = backend.search("innovation")["facets"]
        assert facets["type"] == {"project": 2, "actor": 1}
        assert facets["kind"] == {"organization": 1}
        assert facets["city"] == {"quebec": 2, "rennes": 1}
        assert facets["sector"] == {"energie": 1, "sante": 1}
        assert facets["skill"] == {"python": 2}

    def test_pages(self, backend, territory):
        assert backend.search("innovation", page=1)["count"] == 3
        second = backend.search("innovation", page=2)
        assert second["count"] == 3 and second["results"] == []

    # --- suggest ---------------------------------------------------------------
    def test_suggest_by_prefix(self, backend, territory):
        assert {"type": "actor", "id": "quebec", "title": "Québec"} in backend.suggest("queb")
        assert "innovation-ouverte" in [s["id"] for s in backend.suggest("Inno")]
        assert [s["id"] for s in backend.suggest("soc inno")] == ["societe-innovation"]
        assert len(backend.suggest("a", limit=10)) <= 10

    # --- visibility ------------------------------------------------------------
    def test_private_projects_are_invisible_to_outsiders(self, backend, territory):
        for viewer in (ANONYMOUS, territory.bob.user):
            results = backend.search("confidentielle", viewer=viewer)
            assert results["count"] == 0 and results["results"] == []
            everything = backend.search("innovation", viewer=viewer)
            assert "secret" not in ids(everything)
            assert everything["facets"]["type"] == {"project": 2, "actor": 1}
            assert "defense" not in everything["facets"]["sector"]
            assert "cryptographie" not in backend.search("innovation", viewer=viewer)["facets"]["skill"]
            assert "secret" not in [s["id"] for s in backend.suggest("innovation conf", viewer=viewer)]

    def test_private_projects_are_visible_to_their_members(self, backend, territory):
        alice = territory.alice.user
        assert ids(backend.search("confidentielle", viewer=alice)) == ["secret"]
        facets = backend.search("innovation", viewer=alice)["facets"]
        assert facets["type"] == {"project": 3, "actor": 1}
        assert facets["sector"]["defense"] == 1
        assert [s["id"] for s in backend.suggest("innovation conf", viewer=alice)] == ["secret"]

    def test_members_projects_need_a_signed_in_viewer(self, backend, territory):
        assert backend.search("cercle membres")["count"] == 0
        assert ids(backend.search("cercle membres", viewer=territory.bob.user)) == ["reserve-aux-inscrits"]


class TestDatabaseBackend(BackendContract):
    @pytest.fixture
    def backend(self, territory):
        backend = database_backend()
        backend.reindex(all_documents())
        return backend

    def test_visible_documents_are_exactly_what_the_selectors_let_through(
        self, backend, territory, django_capture_on_commit_callbacks
    ):
        """The stored audiences, as the sync keeps them, let through what the selectors do, viewer by viewer."""
        from events.selectors import visible_events
        from profiles.selectors import visible_actors
        from projects.models import Visibility
        from projects.selectors import visible_projects, visible_requests
        from tests.conftest import indexed, make_admin, make_org, make_person
        from tests.search.conftest import make_event
        from tests.search.test_collaborations import make_request

        with django_capture_on_commit_callbacks(execute=True):
            carol = make_person("carol")  # signed in, author of requests to hidden projects
            dan = make_person("dan")  # admin of an organization that edits the private project
            editors = make_org("editeurs", territory.rennes)
            make_admin(dan, editors)
            indexed(territory.secret_project.memberships.create(actor=editors, role="maintainer"))
            make_request(carol, "Vers le secret", "Demande", to_project=territory.secret_project)
            make_request(carol, "Depuis les membres", "Demande", from_project=territory.members_project,
                         to_city=territory.quebec)
            make_request(territory.alice, "Du secret vers les membres", "Demande",
                         from_project=territory.secret_project, to_project=territory.members_project)
            make_request(territory.bob, "Vers un projet suspendu", "Demande", to_project=territory.data_project)
            make_request(territory.labs, "Par un suspendu", "Demande", to_actor=territory.bob)
            make_request(carol, "Ouverte", "Demande", to_actor=territory.societe)
            # Events: public by a soon-suspended organizer, for members, private to an organizer's
            # circle (dan administers it) and to a co-organizing project's members (alice).
            make_event("par-labs", "Rencontre", [territory.labs])
            make_event("inscrits", "Atelier", [territory.societe], visibility=Visibility.MEMBERS)
            make_event("editeurs-prive", "Comité", [editors], visibility=Visibility.PRIVATE)
            make_event("projet-prive", "Revue", [territory.societe], visibility=Visibility.PRIVATE,
                       projects=[territory.secret_project])
            # Suspending an owner hides its projects, its requests and those to its projects.
            territory.labs.suspended = True
            indexed(territory.labs).save()
        viewers = (ANONYMOUS, territory.alice.user, territory.bob.user, carol.user, dan.user)

        def check():
            for viewer in viewers:
                documents = set(backend.visible_documents(viewer).values_list("type", "object_pk"))
                # Documents name their object's key as text (an event's is its slug).
                expected = (
                    {("actor", str(pk)) for pk in visible_actors(viewer).values_list("pk", flat=True)}
                    | {("project", str(pk)) for pk in visible_projects(viewer).values_list("pk", flat=True)}
                    | {("collaboration", str(pk)) for pk in visible_requests(viewer).values_list("pk", flat=True)}
                    | {("event", pk) for pk in visible_events(viewer).values_list("pk", flat=True)}
                )
                assert documents == expected, viewer

        check()  # as the sync left the index
        backend.reindex(all_documents())
        check()  # as a reindex builds it

    def test_the_backend_matches_the_database(self, backend):
        assert backend.name == f"database:{connection.vendor}"
        assert backend.ping()


ELASTICSEARCH_URL = os.environ.get("ELASTICSEARCH_URL", "")


@pytest.mark.skipif(not ELASTICSEARCH_URL, reason="Elasticsearch integration: set ELASTICSEARCH_URL to run it")
class TestElasticsearchBackend(BackendContract):
    @pytest.fixture
    def backend(self, territory):
        from search.backends.elasticsearch import ElasticsearchBackend

        backend = ElasticsearchBackend(ELASTICSEARCH_URL, alias=f"test-{uuid.uuid4().hex}", refresh="wait_for")
        backend.reindex(all_documents())
        yield backend
        backend.client.indices.delete(index=f"{backend.alias}-*")

    def test_reindex_swaps_the_alias(self, backend, territory):
        before = set(backend.client.indices.get_alias(name=backend.alias))
        backend.reindex(all_documents())
        after = set(backend.client.indices.get_alias(name=backend.alias))
        assert len(after) == 1 and after != before
        assert "quebec" in ids(backend.search("Quebec"))
