"""Atom feeds of public streams, read with a real feed parser."""

import feedparser
import pytest
from django.test import Client

from profiles.models import Actor
from tests.conftest import client_for, make_person
from tests.projects.helpers import create_project

pytestmark = pytest.mark.django_db


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        yield


def parse(response):
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.bozo_exception
    return feed


def test_a_city_feed_lists_public_activity_newest_first_with_author_time_and_id(rennes, alice, bob):
    alice_api = client_for(alice)
    create_project(alice_api, title="Capteurs du Blosne", summary="Des capteurs citoyens")
    create_project(alice_api, title="Vélos partagés", summary="Des vélos")
    assert client_for(bob).post("/api/v1/actors/rennes/follow/").status_code == 200

    feed = parse(Client().get("/api/v1/cities/rennes/activity.atom"))
    assert feed.feed.title == "Rennes : activité"
    titles = [entry.title for entry in feed.entries]
    assert titles == [
        "Bob suit désormais Rennes",
        "Alice a créé le projet «\u00a0Vélos partagés\u00a0»",
        "Alice a créé le projet «\u00a0Capteurs du Blosne\u00a0»",
    ]
    assert [entry.author for entry in feed.entries] == ["Bob", "Alice", "Alice"]
    newest = feed.entries[1]
    assert newest.id.startswith("urn:uuid:")
    assert newest.published_parsed is not None
    assert newest.summary == newest.title
    # The same ids on every read: a reader does not see an entry twice.
    again = parse(Client().get("/api/v1/cities/rennes/activity.atom"))
    assert [e.id for e in again.entries] == [e.id for e in feed.entries]
    assert len(set(e.id for e in feed.entries)) == len(feed.entries)


def test_the_feed_speaks_the_readers_language(rennes, alice):
    create_project(client_for(alice), title="Capteurs", summary="x")
    feed = parse(Client().get("/api/v1/cities/rennes/activity.atom", HTTP_ACCEPT_LANGUAGE="en"))
    assert feed.feed.title == "Rennes: activity"
    assert feed.entries[0].title == "Alice created the project “Capteurs”"


def test_private_and_members_only_activity_stays_out_even_for_a_signed_in_member(rennes, alice):
    alice_api = client_for(alice)
    create_project(alice_api, title="Projet ouvert", summary="x")
    create_project(alice_api, title="Projet secret", summary="x", visibility="private")
    create_project(alice_api, title="Projet des membres", summary="x", visibility="members")

    for client in (Client(), alice_api):
        body = client.get("/api/v1/cities/rennes/activity.atom").content.decode()
        assert "Projet ouvert" in body
        assert "Projet secret" not in body and "Projet des membres" not in body
        assert "Projet secret" not in client.get("/api/v1/actors/alice/activity.atom").content.decode()


def test_a_project_that_turns_private_leaves_the_feeds_and_its_own_feed_is_a_404(rennes, alice):
    alice_api = client_for(alice)
    project = create_project(alice_api, title="Bientôt fermé", summary="x")
    slug = project["slug"]
    assert parse(Client().get(f"/api/v1/projects/{slug}/activity.atom")).entries
    assert alice_api.patch(f"/api/v1/projects/{slug}/", {"visibility": "private"}, format="json").status_code == 200

    assert Client().get(f"/api/v1/projects/{slug}/activity.atom").status_code == 404
    assert alice_api.get(f"/api/v1/projects/{slug}/activity.atom").status_code == 404  # public only
    assert "Bientôt fermé" not in Client().get("/api/v1/cities/rennes/activity.atom").content.decode()


def test_unknown_and_suspended_streams_are_404_in_json(rennes, alice):
    for path in ("/api/v1/cities/atlantide/activity.atom", "/api/v1/actors/personne/activity.atom",
                 "/api/v1/projects/rien/activity.atom", "/api/v1/cities/alice/activity.atom"):
        response = Client().get(path)
        assert response.status_code == 404, path
        assert "detail" in response.json()
    Actor.objects.filter(pk=alice.pk).update(suspended=True)
    assert Client().get("/api/v1/actors/alice/activity.atom").status_code == 404


def test_names_are_text_not_markup(rennes):
    mallory = make_person("mallory", rennes)
    Actor.objects.filter(pk=mallory.pk).update(name="<script>alert(1)</script> & co")
    mallory.refresh_from_db()
    create_project(client_for(mallory), title="<b>Gras</b>", summary="x")
    response = Client().get("/api/v1/actors/mallory/activity.atom")
    raw = response.content.decode()
    assert "<script>" not in raw and "<b>" not in raw
    entry = parse(response).entries[0]
    # A feed reader gets the characters people typed, as text.
    assert entry.title_detail.type == "text/plain"
    assert "<b>Gras</b>" in entry.title
    assert entry.author == "<script>alert(1)</script> & co"


def test_conditional_get_answers_304_until_the_feed_changes(rennes, alice):
    alice_api = client_for(alice)
    create_project(alice_api, title="Premier", summary="x")
    first = Client().get("/api/v1/cities/rennes/activity.atom")
    etag = first["ETag"]
    assert etag and "max-age" in first["Cache-Control"]

    unchanged = Client().get("/api/v1/cities/rennes/activity.atom", HTTP_IF_NONE_MATCH=etag)
    assert unchanged.status_code == 304 and unchanged.content == b""
    assert unchanged["ETag"] == etag

    create_project(alice_api, title="Second", summary="x")
    changed = Client().get("/api/v1/cities/rennes/activity.atom", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    # Another language is another document.
    english = Client().get("/api/v1/cities/rennes/activity.atom", HTTP_IF_NONE_MATCH=changed["ETag"],
                           HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 200
