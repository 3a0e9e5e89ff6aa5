"""Property 3: what one may not see is absent from every surface, not just the detail page.

One world (tests/security/conftest.py) holds a private project with its update
and a request from it, a private event, a members-only project and event, a
suspended person and city. Each surface is read by an anonymous caller, a
signed-in outsider (who follows everyone involved) and a member.
"""

import pytest

from tests.security.conftest import MEMBERS_ONLY, SECRET, SHARED

pytestmark = pytest.mark.django_db


def surfaces(world) -> list[str]:
    project, members_project = world.private_project, world.members_project
    return [
        "/api/v1/projects/", "/api/v1/projects/?city=rennes&sector=sante&skill_needed=iot",
        f"/api/v1/projects/{project}/", f"/api/v1/projects/{project}/updates/",
        f"/api/v1/projects/{project}/members/", f"/api/v1/projects/{project}/activity/",
        f"/api/v1/projects/{members_project}/", f"/api/v1/projects/{members_project}/updates/",
        f"/api/v1/projects/{members_project}/activity/",
        "/api/v1/collaborations/", "/api/v1/collaborations/?incoming=1",
        f"/api/v1/collaborations/{world.private_request}/",
        "/api/v1/events/", "/api/v1/events/?city=rennes&include_peers=1",
        f"/api/v1/events/{world.private_event}/", f"/api/v1/events/{world.members_event}/",
        f"/api/v1/events/{world.private_event}.ics", "/api/v1/cities/rennes/events.ics",
        "/api/v1/actors/cantine/events.ics",
        "/api/v1/feed/", "/api/v1/notifications/",
        "/api/v1/actors/alice/activity/", "/api/v1/actors/dora/activity/",
        "/api/v1/actors/cantine/activity/", "/api/v1/cities/rennes/activity/",
        "/api/v1/actors/", "/api/v1/cities/", "/api/v1/territories/",
        f"/api/v1/search/?q={SECRET}", f"/api/v1/search/?q={MEMBERS_ONLY}", f"/api/v1/search/?q={SHARED}",
        "/api/v1/search/?q=&type=project", f"/api/v1/search/suggest/?q={SECRET[:4]}",
        f"/api/v1/search/suggest/?q={MEMBERS_ONLY[:4]}",
        "/api/v1/map/", "/api/v1/map/?type=project,event", "/api/v1/map/?cluster=city",
    ]


def read_all(client, world) -> dict[str, str]:
    """Every surface as the caller reads it (a refused read counts as showing nothing)."""
    texts = {}
    for path in surfaces(world):
        response = client.get(path)
        assert response.status_code < 500, (path, response.status_code)
        texts[path] = response.content.decode().lower() if response.status_code == 200 else ""
    return texts


def showing(texts: dict[str, str], word: str) -> list[str]:
    return [path for path, text in texts.items() if word in text]


def test_anonymous_sees_neither_private_nor_members_only_things(world):
    texts = read_all(world.clients["anonymous"], world)
    assert showing(texts, SECRET) == []
    assert showing(texts, MEMBERS_ONLY) == []


def test_outsider_sees_members_only_things_but_no_private_thing(world):
    texts = read_all(world.clients["outsider"], world)
    assert showing(texts, SECRET) == []
    # Members-only things are for any signed-in person: they must show, on the main surfaces.
    shown = showing(texts, MEMBERS_ONLY)
    for path in ("/api/v1/projects/", "/api/v1/events/", f"/api/v1/search/?q={MEMBERS_ONLY}", "/api/v1/map/"):
        assert path in shown


def test_member_sees_the_private_things_on_every_surface_meant_for_them(world):
    texts = read_all(world.clients["member"], world)
    shown = showing(texts, SECRET)
    for path in (
        "/api/v1/projects/", f"/api/v1/projects/{world.private_project}/updates/",
        f"/api/v1/projects/{world.private_project}/activity/", "/api/v1/feed/", "/api/v1/notifications/",
        f"/api/v1/collaborations/{world.private_request}/", "/api/v1/collaborations/",
        "/api/v1/events/", f"/api/v1/search/?q={SECRET}", f"/api/v1/search/suggest/?q={SECRET[:4]}",
        "/api/v1/map/",
    ):
        assert path in shown


def counts(client) -> dict:
    """Every count a caller can read about Rennes' projects."""
    search = client.get("/api/v1/search/", {"q": SHARED, "type": "project"}).json()
    cluster = client.get("/api/v1/map/", {"cluster": "city", "type": "project"}).json()
    return {
        "projects list": client.get("/api/v1/projects/").json()["count"],
        "search count": search["count"],
        "search facet": _facet_count(search["facets"].get("type"), "project"),
        "city projects_count": client.get("/api/v1/cities/rennes/").json()["projects_count"],
        "map cluster": sum(f["properties"]["count"] for f in cluster["features"]),
    }


def _facet_count(facet, value):
    """Facets are lists of {value, count} (or a mapping value -> count)."""
    if isinstance(facet, dict):
        return facet.get(value, 0)
    return next((bucket["count"] for bucket in facet or [] if bucket.get("value") == value), 0)


def test_counts_and_facets_count_only_what_the_caller_may_see(world):
    # One public, one members-only, one private project share a word.
    for viewer, expected in (("anonymous", 1), ("outsider", 2), ("member", 3)):
        found = counts(world.clients[viewer])
        assert found == dict.fromkeys(found, expected), viewer


def test_a_suspended_actor_is_absent_even_as_the_object_of_others_activity(
        django_capture_on_commit_callbacks, rennes):
    from rest_framework.test import APIClient

    from profiles.models import Actor
    from tests.conftest import client_for, make_person

    follower = make_person("eve", rennes)
    followed = make_person("ghost", rennes)
    Actor.objects.filter(pk=followed.pk).update(name=f"{SECRET} Ghost")
    follower_api = client_for(follower)
    with django_capture_on_commit_callbacks(execute=True):
        assert follower_api.post("/api/v1/actors/ghost/follow/").status_code == 200
    Actor.objects.filter(pk=followed.pk).update(suspended=True)
    shown = [path for path, client in (("/api/v1/feed/", follower_api), ("/api/v1/actors/eve/activity/", APIClient()))
             if SECRET in client.get(path).content.decode().lower()]
    assert shown == []
