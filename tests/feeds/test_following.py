"""A new account follows its home city, and a person lists what it follows, projects included."""

from rest_framework.test import APIClient

from tests.projects.helpers import create_project


def register(api, username: str, city: str | None = None) -> APIClient:
    body = {"username": username, "password": "une phrase de passe assez longue", "email": f"{username}@example.org",
            "name": "Léa Martin"}
    if city:
        body["city"] = city
    answer = api.post("/api/v1/auth/register/", body, format="json")
    assert answer.status_code == 201, answer.content
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {answer.json()['token']}")
    return client


def test_a_new_account_follows_its_home_city_and_can_unfollow(api, rennes, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        lea = register(api, "lea", city="rennes")
    following = lea.get("/api/v1/me/following/").json()
    assert [(item["stream"], item["name"], item["url"]) for item in following["results"]] == [
        ("city:rennes", "Rennes", "/api/v1/cities/rennes/")
    ]
    assert lea.get("/api/v1/feed/").json()["results"][0]["summary"] == "Léa Martin suit désormais Rennes"
    assert api.get("/api/v1/cities/rennes/").json()["followers_count"] == 1
    assert lea.delete("/api/v1/actors/rennes/follow/").status_code in (200, 204)
    assert lea.get("/api/v1/me/following/").json()["results"] == []
    nowhere = register(api, "noe")
    assert nowhere.get("/api/v1/me/following/").json()["results"] == []


def test_the_list_holds_actors_and_projects_newest_first_and_only_visible_ones(api, alice, alice_api, bob, bob_api):
    public = create_project(alice_api, title="Jardins partagés")
    secret = create_project(alice_api, title="Projet discret")
    assert bob_api.post("/api/v1/actors/alice/follow/").status_code == 200
    assert bob_api.post(f"/api/v1/projects/{public['slug']}/follow/").status_code == 200
    assert bob_api.post(f"/api/v1/projects/{secret['slug']}/follow/").status_code == 200
    alice_api.patch(f"/api/v1/projects/{secret['slug']}/", {"visibility": "private"}, format="json")
    items = bob_api.get("/api/v1/me/following/").json()["results"]
    assert [(item["type"], item["id"], item["name"]) for item in items] == [
        ("project", public["slug"], "Jardins partagés"),
        ("person", "alice", "Alice"),
    ]
    assert api.get("/api/v1/me/following/").status_code == 401
