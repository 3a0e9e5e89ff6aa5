"""The index follows every write after commit: creations, edits, tags, members, deletions."""

import logging
import time

import pytest
from django.core.management import call_command
from django.db import transaction

from profiles.models import Actor
from projects.models import ProjectMember, Visibility
from search.backends import get_search_backend
from search.models import SearchDocument
from tests.conftest import client_for, make_city, make_person
from tests.search.conftest import make_project, tags

PASSWORD = "correct horse battery staple"


def found(query: str, viewer=None, **filters) -> list[str]:
    return [hit["id"] for hit in get_search_backend().search(query, filters=filters, viewer=viewer)["results"]]


@pytest.mark.django_db
def test_a_registration_through_the_api_is_searchable_after_commit(api, django_capture_on_commit_callbacks):
    make_city("quebec", "Québec", country="CA")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = api.post("/api/v1/auth/register/", {
            "username": "zoe", "password": PASSWORD, "email": "zoe@example.org", "name": "Zoé Tremblay",
            "city": "quebec"}, format="json")
        assert response.status_code == 201, response.content
        assert found("Tremblay") == []  # not before commit
    assert callbacks
    assert found("tremblay") == ["zoe"]
    assert found("tremblay", city="quebec") == ["zoe"]


@pytest.mark.django_db
def test_profile_edits_and_deletion_through_the_api(django_capture_on_commit_callbacks):
    zoe = make_person("zoe")
    client = client_for(zoe)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.patch("/api/v1/me/", {"name": "Zoé Gagnon", "bio": "Mécanique quantique",
                                                 "skills": ["photonique"]}, format="json")
        assert response.status_code == 200, response.content
    assert found("gagnon") == ["zoe"]
    assert found("quantique", skill="photonique") == ["zoe"]
    assert found("zoe") == ["zoe"]  # the title changed, the handle-named document is the same one
    with django_capture_on_commit_callbacks(execute=True):
        assert client.delete("/api/v1/actors/zoe/").status_code == 204
    assert found("gagnon") == []


@pytest.mark.django_db
def test_project_changes_tags_members_and_deletion(django_capture_on_commit_callbacks):
    owner, member = make_person("owner"), make_person("member")
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        project = make_project("hydro", "Hydrogène vert", owner, visibility=Visibility.PRIVATE)
    assert found("hydrogene") == []
    assert found("hydrogene", viewer=owner.user) == ["hydro"]
    assert found("hydrogene", viewer=member.user) == []

    with django_capture_on_commit_callbacks(execute=True):
        ProjectMember.objects.create(project=project, actor=member)
    assert found("hydrogene", viewer=member.user) == ["hydro"]

    with django_capture_on_commit_callbacks(execute=True):
        project.needed_skills.add(*tags("electrochimie"))
        project.visibility = Visibility.PUBLIC
        project.save()
    assert found("hydrogene", skill="electrochimie") == ["hydro"]

    with django_capture_on_commit_callbacks(execute=True):
        project.delete()
    assert found("hydrogene", viewer=owner.user) == []


@pytest.mark.django_db
def test_a_suspension_hides_the_actor_and_its_projects(django_capture_on_commit_callbacks):
    owner = make_person("owner")
    with django_capture_on_commit_callbacks(execute=True):
        make_project("eolien", "Éolien en mer", owner)
    assert found("eolien") == ["eolien"]
    with django_capture_on_commit_callbacks(execute=True):
        Actor.objects.filter(pk=owner.pk).update(suspended=True)
        owner.refresh_from_db()
        owner.save()
    assert found("eolien") == []
    assert found("owner") == []


@pytest.mark.django_db
def test_a_rolled_back_write_indexes_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                make_person("ghost", bio="Fantôme")
                raise RuntimeError("roll back")
        except RuntimeError:
            pass
    assert callbacks == []
    assert found("fantome") == []


@pytest.mark.django_db(transaction=True)
def test_a_committed_change_is_searchable_within_a_second():
    started = time.monotonic()
    with transaction.atomic():
        make_person("rapide", bio="Élodie Rapide")
    assert found("elodie") == ["rapide"]
    assert time.monotonic() - started < 1.0


@pytest.mark.django_db
def test_a_broken_index_never_fails_the_write(settings, caplog, django_capture_on_commit_callbacks):
    # A real Elasticsearch client pointed where nothing listens.
    settings.SEARCH_BACKEND = "elasticsearch"
    settings.ELASTICSEARCH_URL = "http://127.0.0.1:9"
    settings.SEARCH_INDEX = "unreachable"
    with caplog.at_level(logging.ERROR, logger="search"), django_capture_on_commit_callbacks(execute=True):
        person = make_person("tenace")
    assert Actor.objects.filter(pk=person.pk).exists()
    assert any("indexing failed" in record.message for record in caplog.records)


@pytest.mark.django_db
def test_reindex_rebuilds_everything_with_a_progress_bar(territory, capsys):
    SearchDocument.objects.all().delete()  # the database index lost (no-op on Elasticsearch)
    call_command("reindex")
    out, err = capsys.readouterr()
    assert f"reindexed 12 documents into {get_search_backend().name}" in out
    assert "12/12" in err  # the progress bar
    assert "quebec" in found("quebec")
    assert found("confidentielle", viewer=territory.alice.user) == ["secret"]
    call_command("reindex", "--no-progress")
    assert found("quebec").count("quebec") == 1  # a second reindex replaces, it does not duplicate
