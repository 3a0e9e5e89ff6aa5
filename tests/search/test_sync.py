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
from tests.search.conftest import make_project

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
        assert client.delete("/api/v1/me/", {"password": "correct horse battery staple"},
                             format="json").status_code == 204
    assert found("gagnon") == []


@pytest.mark.django_db
def test_project_changes_tags_members_and_deletion(django_capture_on_commit_callbacks):
    from projects import services as projects

    owner, member = make_person("owner"), make_person("member")
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        project = make_project("hydro", "Hydrogène vert", owner, visibility=Visibility.PRIVATE)
    assert found("hydrogene") == []
    assert found("hydrogene", viewer=owner.user) == ["hydro"]
    assert found("hydrogene", viewer=member.user) == []

    with django_capture_on_commit_callbacks(execute=True):
        projects.add_project_member(project=project, editor=owner.user, actor=member,
                                    role=ProjectMember.Role.CONTRIBUTOR)
    assert found("hydrogene", viewer=member.user) == []  # invited, not yet a member
    with django_capture_on_commit_callbacks(execute=True):
        projects.accept_project_invitation(project=project, user=member.user, actor=member)
    assert found("hydrogene", viewer=member.user) == ["hydro"]

    with django_capture_on_commit_callbacks(execute=True):
        projects.update_project(project=project, editor=owner.user, visibility=Visibility.PUBLIC,
                                needs={"skills": ["electrochimie"]})
    assert found("hydrogene", skill="electrochimie") == ["hydro"]

    with django_capture_on_commit_callbacks(execute=True):
        projects.delete_project(project=project, editor=owner.user)
    assert found("hydrogene", viewer=owner.user) == []


@pytest.mark.django_db
def test_a_suspension_hides_the_actor_and_its_projects(django_capture_on_commit_callbacks):
    from profiles.services import set_suspended

    owner = make_person("owner")
    moderator = make_person("moderatrice").user
    with django_capture_on_commit_callbacks(execute=True):
        make_project("eolien", "Éolien en mer", owner)
    assert found("eolien") == ["eolien"]
    with django_capture_on_commit_callbacks(execute=True):
        set_suspended(actors=[owner], suspended=True, moderator=moderator)
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


@pytest.mark.django_db
def test_a_request_past_its_deadline_reads_closed_in_search_too(django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    from projects.models import CollaborationRequest
    from tests.projects.helpers import open_request

    alice, bob = make_person("alice"), make_person("bob")
    with django_capture_on_commit_callbacks(execute=True):
        request_id = open_request(client_for(alice), to_actor="bob", title="Cherche partenaire hydrolien")["id"]
    key = f"collaboration:{request_id}"
    assert "open" in SearchDocument.objects.get(key=key).body.split()
    assert found("closed") == []
    # The deadline passes (moved in the database, as the clock would move past it).
    CollaborationRequest.objects.filter(pk=request_id).update(deadline=timezone.now() - timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        listed = client_for(bob).get("/api/v1/collaborations/").json()["results"]  # a read closes it
    assert [r["status"] for r in listed] == ["closed"]
    words = SearchDocument.objects.get(key=key).body.split()
    assert "closed" in words and "open" not in words
    assert found("closed") == [str(request_id)]
