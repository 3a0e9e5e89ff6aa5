"""The extension point: a new kind of object joins search with one DocumentType in a documents.py."""

import pytest
from django.contrib.auth.models import AnonymousUser

from profiles.models import Actor, Tag
from search.backends import get_search_backend
from search.models import SearchDocument
from search.registry import (
    Audience,
    Document,
    DocumentType,
    document_type,
    document_types,
    register,
    unregister,
)
from search.sync import index_on_commit


class TagDocuments(DocumentType):
    """Stands in for a new kind of object: a model, a selector, a document carrying the selector's audience."""

    type = "collaboration"
    model = Tag

    def visible(self, viewer):
        # As a selector would: some objects are hidden from some viewers.
        tags = Tag.objects.all()
        return tags if viewer is not None and viewer.is_authenticated else tags.exclude(slug__startswith="interne")

    def document(self, tag):
        audience = Audience.SIGNED_IN if tag.slug.startswith("interne") else Audience.EVERYONE
        return Document(type=self.type, object_pk=tag.pk, ident=str(tag.pk), title=f"Appel {tag.slug}",
                        body="Recherche de partenaires", sectors=[tag.slug], audience=audience)


@pytest.fixture
def collaborations():
    """The stand-in takes the place of the real collaboration type for one test, which then comes back."""
    real = document_type("collaboration")
    register(TagDocuments())
    yield
    unregister("collaboration")
    register(real)


@pytest.mark.django_db
def test_a_registered_type_is_indexed_after_commit_searched_filtered_and_hidden_by_its_selector(
    collaborations, api, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        public = Tag.objects.create(slug="hydrogene")
        index_on_commit(public, Tag.objects.create(slug="interne-audit"))  # as its app's service would
    backend = get_search_backend()
    results = backend.search("appel", filters={"type": "collaboration"}, viewer=AnonymousUser())
    assert [hit["id"] for hit in results["results"]] == [str(public.pk)]
    assert results["facets"]["type"] == {"collaboration": 1}
    body = api.get("/api/v1/search/", {"q": "partenaires", "type": "collaboration"}).json()
    assert body["count"] == 1
    with django_capture_on_commit_callbacks(execute=True):
        index_on_commit(public)
        public.delete()
    assert backend.search("appel", viewer=AnonymousUser())["count"] == 0


@pytest.mark.django_db
def test_unregistering_stops_indexing(collaborations, django_capture_on_commit_callbacks):
    unregister("collaboration")
    assert {handler.type for handler in document_types()} == {"actor", "project", "event"}
    with django_capture_on_commit_callbacks(execute=True):
        index_on_commit(Tag.objects.create(slug="orphelin"))
    assert not SearchDocument.objects.filter(type="collaboration").exists()
    assert get_search_backend().search("orphelin")["count"] == 0


def test_actors_and_projects_are_registered_by_their_apps():
    handlers = {handler.type: handler for handler in document_types()}
    assert handlers["actor"].model is Actor
    assert handlers["project"].model._meta.label == "projects.Project"
    assert handlers["event"].model._meta.label == "events.Event"
    assert handlers["collaboration"].model._meta.label == "projects.CollaborationRequest"
