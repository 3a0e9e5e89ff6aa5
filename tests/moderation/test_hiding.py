"""What a moderator hides disappears for everyone, on every path, and comes back when shown again.

Moderators are not an exception on the public paths (they review hidden
things in the moderation API and the admin), so they are checked too.
"""

import pytest
from rest_framework.test import APIClient

from feeds.models import Activity
from tests.moderation.conftest import (
    feed_objects,
    notification_reasons,
    post,
    published_project,
    published_request,
)
from tests.projects.helpers import respond_to

pytestmark = pytest.mark.django_db


def listed(client, path: str, key: str = "slug") -> list:
    response = client.get(path)
    assert response.status_code == 200, response.content
    return [str(item[key]) for item in response.json()["results"]]


def stream(client, path: str) -> list[tuple[str, str]] | str:
    response = client.get(path)
    if response.status_code == 404:
        return "404"
    return [(a["object"]["type"], str(a["object"]["id"])) for a in response.json()["results"]]


def searched(client, q: str) -> dict:
    response = client.get("/api/v1/search/", {"q": q})
    assert response.status_code == 200, response.content
    body = response.json()
    suggest = client.get("/api/v1/search/suggest/", {"q": q[:4]}).json()["results"]
    return {
        "results": [(r["type"], str(r["id"])) for r in body["results"]],
        "count": body["count"],
        "project_facet": body["facets"]["type"].get("project", 0),
        "suggest": [(s["type"], str(s["id"])) for s in suggest],
    }


@pytest.fixture
def garden(committed, alice_api, bob_api, moderator_api, rennes):
    """alice's public project in Rennes, followed by bob."""
    committed(post, bob_api, "/api/v1/actors/alice/follow/")
    return published_project(committed, alice_api, title="Jardinothèque partagée", slug="jardin")


def _search_shows(client, slug: str) -> dict:
    found = searched(client, "jardinotheque")
    return {
        "search": ("project", slug) in found["results"],
        "search_count": found["count"],
        "search_facet": found["project_facet"],
        "suggest": ("project", slug) in found["suggest"],
    }


def project_paths(viewers, slug="jardin") -> dict:
    seen = {}
    for name, client in viewers.items():
        detail = client.get(f"/api/v1/projects/{slug}/")
        seen[name] = {
            "detail": detail.status_code,
            "list": slug in listed(client, "/api/v1/projects/"),
            "owner_filter": slug in listed(client, "/api/v1/projects/?owner=alice"),
            "project_stream": stream(client, f"/api/v1/projects/{slug}/activity/") != "404",
            "in_alice_stream": ("project", slug) in stream(client, "/api/v1/actors/alice/activity/"),
            "in_city_stream": ("project", slug) in stream(client, "/api/v1/cities/rennes/activity/"),
            "city_count": client.get("/api/v1/cities/rennes/").json()["projects_count"],
            "map": slug in [f["properties"]["id"] for f in client.get("/api/v1/map/?type=project").json()["features"]],
            **_search_shows(client, slug),
        }
    return seen


def test_a_hidden_project_disappears_from_every_path_for_everyone(committed, garden, alice_api, bob_api, moderator_api):
    viewers = {"anonymous": APIClient(), "owner": alice_api, "member": bob_api, "moderator": moderator_api}
    before = project_paths(viewers)
    assert all(v["detail"] == 200 and v["list"] and v["project_stream"] and v["map"] and v["search"] and v["suggest"]
               and v["in_alice_stream"] and v["in_city_stream"] and v["city_count"] == 1 and v["search_count"] == 1
               and v["search_facet"] == 1 for v in before.values()), before
    assert ("project", "jardin") in feed_objects(bob_api)

    assert committed(post, moderator_api, "/api/v1/moderation/projects/jardin/hide/").status_code == 200
    after = project_paths(viewers)
    for name, seen in after.items():
        assert seen == {
            "detail": 404, "list": False, "owner_filter": False, "project_stream": False, "in_alice_stream": False,
            "in_city_stream": False, "city_count": 0, "map": False, "search": False, "search_count": 0,
            "search_facet": 0, "suggest": False,
        }, name
    assert ("project", "jardin") not in feed_objects(bob_api)
    # Hidden looks exactly like unknown.
    assert APIClient().get("/api/v1/projects/jardin/").json() == APIClient().get("/api/v1/projects/nope/").json()
    assert post(bob_api, "/api/v1/projects/jardin/follow/").status_code == 404

    committed(post, moderator_api, "/api/v1/moderation/projects/jardin/unhide/")
    assert project_paths(viewers) == before


def test_a_hidden_request_disappears_with_its_activity_notifications_and_responses(
    committed, alice_api, bob_api, carol_api, moderator_api
):
    request = published_request(committed, bob_api, title="Cherche fromagerie partenaire", to_actor="alice")
    committed(respond_to, carol_api, request["id"])
    rid = str(request["id"])

    def seen(client):
        return {
            "detail": client.get(f"/api/v1/collaborations/{rid}/").status_code,
            "responses": client.get(f"/api/v1/collaborations/{rid}/responses/").status_code,
            "list": rid in listed(client, "/api/v1/collaborations/", "id"),
            "incoming": rid in listed(client, "/api/v1/collaborations/?incoming=1", "id"),
            "bob_stream": ("collaboration", rid) in stream(client, "/api/v1/actors/bob/activity/"),
            "search": ("collaboration", rid) in searched(client, "fromagerie")["results"],
        }

    assert seen(alice_api) == {"detail": 200, "responses": 200, "list": True, "incoming": True, "bob_stream": True, "search": True}
    assert ("request_received", "bob") in notification_reasons(alice_api)
    assert ("response", "carol") in notification_reasons(bob_api)

    committed(post, moderator_api, f"/api/v1/moderation/collaborations/{rid}/hide/", {"reason": "arnaque"})
    hidden = {"detail": 404, "responses": 404, "list": False, "incoming": False, "bob_stream": False, "search": False}
    for client in (alice_api, bob_api, carol_api, moderator_api):
        assert seen(client) == hidden
    # The request's activities (its creation, the response to it) leave the notifications too.
    assert ("request_received", "bob") not in notification_reasons(alice_api)
    assert ("response", "carol") not in notification_reasons(bob_api)
    assert post(carol_api, f"/api/v1/collaborations/{rid}/responses/", {"message": "encore"}).status_code == 404

    committed(post, moderator_api, f"/api/v1/moderation/collaborations/{rid}/unhide/")
    assert seen(alice_api)["incoming"] and ("request_received", "bob") in notification_reasons(alice_api)


def test_a_hidden_update_leaves_the_project_page_and_the_feeds(committed, garden, alice_api, bob_api, moderator_api):
    update = committed(alice_api.post, "/api/v1/projects/jardin/updates/", {"body": "Visite du potager"}, format="json").json()
    uid = str(update["id"])
    assert uid in listed(bob_api, "/api/v1/projects/jardin/updates/", "id")
    assert ("update", uid) in feed_objects(bob_api)
    assert ("update", uid) in stream(APIClient(), "/api/v1/projects/jardin/activity/")

    committed(post, moderator_api, f"/api/v1/moderation/updates/{uid}/hide/")
    for client in (APIClient(), alice_api, bob_api, moderator_api):
        assert uid not in listed(client, "/api/v1/projects/jardin/updates/", "id")
        assert ("update", uid) not in stream(client, "/api/v1/projects/jardin/activity/")
    assert ("update", uid) not in feed_objects(bob_api)
    # The project itself stays.
    assert APIClient().get("/api/v1/projects/jardin/").status_code == 200

    committed(post, moderator_api, f"/api/v1/moderation/updates/{uid}/unhide/")
    assert ("update", uid) in feed_objects(bob_api)


def test_hiding_changes_only_the_activities_about_that_object(committed, alice_api, bob_api, moderator_api):
    first = published_request(committed, alice_api, to_actor="bob")
    second = published_request(committed, alice_api, to_actor="bob")
    committed(post, moderator_api, f"/api/v1/moderation/collaborations/{first['id']}/hide/")
    # The hidden request's activity is left to its kind's rule for each reader; the other keeps its audience.
    changed = set(Activity.objects.filter(audience="some").values_list("subject_id", flat=True))
    assert changed == {str(first["id"])}
    assert Activity.objects.filter(subject_kind="request", subject_id=str(second["id"]), audience="everyone").exists()
