"""Reads a client can cache: public reads answer `ETag` and `Cache-Control`, a matching
`If-None-Match` gets a 304 without a body, and a write changes the ETag. Through Django
itself here (the read cache in front of it is off in tests); over a real Daphne with the
read cache on, in tests/e2e/test_read_cache.py."""

from datetime import timedelta

import pytest
from django.utils import timezone

from events.models import Event
from projects.models import Project, ProjectMember
from tests.conftest import client_for, make_org

PUBLIC_READS = [
    "/api/v1/actors/", "/api/v1/actors/cantine/", "/api/v1/cities/", "/api/v1/cities/rennes/",
    "/api/v1/projects/", "/api/v1/projects/open-lab/", "/api/v1/events/", "/api/v1/events/apero/",
    "/api/v1/events/apero.ics", "/api/v1/cities/rennes/events.ics", "/api/v1/cities/rennes/activity.atom",
    "/api/v1/map/", "/api/v1/cities/rennes/activity/",
]


@pytest.fixture
def world(alice, rennes):
    cantine = make_org("cantine", rennes)
    project = Project.objects.create(slug="open-lab", title="Open Lab", owner=alice, city=rennes)
    ProjectMember.objects.create(project=project, actor=alice, role=ProjectMember.Role.OWNER)
    start = timezone.now() + timedelta(days=3)
    event = Event.objects.create(slug="apero", uid="apero@test", title="Apéro", city=rennes, start=start,
                                 end=start + timedelta(hours=2))
    event.organizers.add(cantine)
    return project


@pytest.mark.parametrize("path", PUBLIC_READS)
def test_a_public_read_carries_an_etag_and_a_matching_one_is_a_304(api, world, path):
    first = api.get(path)
    assert first.status_code == 200, (path, first.content[:300])
    assert first["ETag"]
    assert "public" in first["Cache-Control"] or "max-age" in first["Cache-Control"]
    again = api.get(path, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304, path
    assert again.content == b""
    assert api.get(path, HTTP_IF_NONE_MATCH='"something-else"').status_code == 200


def test_a_write_changes_the_etag(api, world, alice):
    before = api.get("/api/v1/projects/open-lab/")
    edited = client_for(alice).patch("/api/v1/projects/open-lab/", {"title": "Open Lab Rennes"}, format="json")
    assert edited.status_code == 200
    after = api.get("/api/v1/projects/open-lab/", HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200
    assert after["ETag"] != before["ETag"]
    assert after.json()["title"] == "Open Lab Rennes"


def test_a_read_with_credentials_is_for_the_caller_only(world, alice):
    mine = client_for(alice).get("/api/v1/me/")
    assert mine.status_code == 200
    assert mine["Cache-Control"] == "private, no-cache"
    assert "Authorization" in mine["Vary"]
    public = client_for(alice).get("/api/v1/projects/")
    assert public["Cache-Control"] == "private, no-cache"  # what it shows may depend on who reads


def test_errors_and_writes_are_not_marked_cacheable(api, world, alice):
    missing = api.get("/api/v1/projects/nowhere/")
    assert missing.status_code == 404
    assert "public" not in missing.get("Cache-Control", "")
    written = client_for(alice).post("/api/v1/projects/", {"title": "Autre", "summary": "s"}, format="json")
    assert "public" not in written.get("Cache-Control", "")
    assert "ETag" not in written


def test_search_and_suggestions_answer_the_one_list_shape(api, rennes, indexed_many):
    first = api.get("/api/v1/search/", {"q": "atelier"})
    body = first.json()
    assert body["count"] == 25 and len(body["results"]) == 20
    assert body["next"] and "page=2" in body["next"]
    second = api.get(body["next"]).json()
    assert len(second["results"]) == 5 and second["next"] is None
    assert {r["id"] for r in body["results"]}.isdisjoint({r["id"] for r in second["results"]})
    suggest = api.get("/api/v1/search/suggest/", {"q": "atel"}).json()
    assert set(suggest) == {"results", "next"} and suggest["next"] is None and suggest["results"]


@pytest.fixture
def indexed_many(rennes, alice, django_capture_on_commit_callbacks):
    from tests.conftest import indexed

    with django_capture_on_commit_callbacks(execute=True):
        projects = [Project.objects.create(slug=f"atelier-{n}", title=f"Atelier numéro {n}", owner=alice,
                                           city=rennes) for n in range(25)]
        indexed(*projects)
    return projects
