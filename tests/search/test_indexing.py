"""Indexing after a write (`search.sync.index_keys`) leaves the database index as a full rebuild would,
in as many queries for many documents as for a few, and writes nothing for a document that did not change."""

import pytest
from django.db import connection
from django.db.models import F, Value
from django.db.models.functions import Concat
from django.test.utils import CaptureQueriesContext

from profiles.models import Actor
from projects.models import Project, ProjectMember, Visibility
from search.backends import database_backend
from search.backends.database import ROW_FIELDS
from search.models import SearchDocument, SearchTerm
from search.registry import all_documents, document_key
from search.sync import index_keys
from tests.conftest import make_person
from tests.search.conftest import make_project, tags

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("database_index"),
]


@pytest.fixture
def database_index(settings):
    settings.SEARCH_BACKEND = "database"


def index_state() -> dict:
    """Every document the database index holds, without row ids and timestamps."""
    documents = SearchDocument.objects.prefetch_related("facet_values", "members", "title_words")
    return {
        document.key: (
            {name: getattr(document, name) for name in ROW_FIELDS},
            sorted((facet.name, facet.value) for facet in document.facet_values.all()),
            sorted(member.actor_id for member in document.members.all()),
            sorted(word.word for word in document.title_words.all()),
        )
        for document in documents
    }


def rebuilt_state() -> tuple[dict, set]:
    database_backend().reindex(all_documents())
    return index_state(), set(SearchTerm.objects.values_list("term", flat=True))


def every_key() -> list[str]:
    return [document.key for document in all_documents()]


def found(query: str, viewer=None) -> list[str]:
    return [hit["id"] for hit in database_backend().search(query, viewer=viewer)["results"]]


def queries_of(keys: list[str]) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert index_keys(keys)
    return [query["sql"] for query in captured.captured_queries]


def test_documents_indexed_one_change_at_a_time_equal_a_full_rebuild(territory):
    SearchDocument.objects.all().delete()
    index_keys(every_key())  # every row new
    indexed = index_state()
    assert indexed == rebuilt_state()[0]

    # A title and sectors, a member, an audience, a body, a new project: each a different part of a document.
    open_project, secret, members_only = territory.open_project, territory.secret_project, territory.members_project
    Project.objects.filter(pk=open_project.pk).update(title="Hydrogène partagé")
    open_project.sectors.set(tags("energie", "mobilite"))
    ProjectMember.objects.create(project=secret, actor=territory.bob, role=ProjectMember.Role.CONTRIBUTOR)
    Project.objects.filter(pk=members_only.pk).update(visibility=Visibility.PRIVATE)
    Actor.objects.filter(pk=territory.alice.pk).update(bio=Concat(F("bio"), Value(" Photonique.")))
    created = make_project("eolien", "Éolien en mer", territory.labs, skills=["python"])
    changed = [document_key("project", project.pk) for project in (open_project, secret, members_only, created)]
    index_keys([*changed, document_key("actor", territory.alice.pk)])

    assert found("hydrogene") == ["innovation-ouverte"]
    assert found("ouverte") == []  # the former title is gone from the full-text index
    assert found("confidentielle", viewer=territory.bob.user) == ["secret"]
    assert found("membres", viewer=territory.bob.user) == []
    assert found("photonique") == ["alice"]
    state, terms = index_state(), set(SearchTerm.objects.values_list("term", flat=True))
    rebuilt, rebuilt_terms = rebuilt_state()
    assert state == rebuilt
    assert state != indexed
    assert terms >= rebuilt_terms  # the vocabulary only grows between rebuilds


def test_indexing_many_documents_takes_as_many_queries_as_a_few(db):
    owner = make_person("owner")
    projects = [make_project(f"projet-{n}", f"Projet {n}", owner, sectors=["energie"], skills=["python"])
                for n in range(6)]
    keys = [document_key("project", project.pk) for project in projects]
    SearchDocument.objects.all().delete()
    assert len(queries_of(keys[:2])) == len(queries_of(keys[2:]))  # new rows
    Project.objects.update(title=Concat(F("title"), Value(" bis")))
    assert len(queries_of(keys[:2])) == len(queries_of(keys[2:]))  # changed rows
    assert len(queries_of(keys[:2])) == len(queries_of(keys))  # unchanged rows


def test_a_document_that_did_not_change_is_not_written_again(territory):
    keys = every_key()
    index_keys(keys)
    before = dict(SearchDocument.objects.values_list("key", "updated"))
    writes = [sql for sql in queries_of(keys) if not sql.lstrip().upper().startswith("SELECT")]
    assert writes == []
    assert dict(SearchDocument.objects.values_list("key", "updated")) == before


def test_a_viewer_who_blocks_nobody_has_nothing_excluded_and_a_block_still_hides(territory):
    from moderation.models import Block
    from search.registry import exclusions_for

    index_keys(every_key())
    assert exclusions_for(territory.bob.user) == {}
    assert "societe-innovation" in found("innovation", viewer=territory.bob.user)
    Block.objects.create(blocker=territory.bob, blocked=territory.societe)
    assert "actor" in exclusions_for(territory.bob.user)
    assert "societe-innovation" not in found("innovation", viewer=territory.bob.user)
    assert "societe-innovation" in found("innovation", viewer=territory.alice.user)  # bob's block, not alice's
