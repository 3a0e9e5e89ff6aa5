"""The registry of kinds: every kind is declared, named in words people know, keyed and reachable by its URL."""

import pytest
from django.utils import translation

from events.models import Event
from novosphere import kinds
from projects.models import CollaborationRequest, CollaborationResponse, Project, ProjectUpdate
from tests.conftest import client_for, make_org
from tests.events.conftest import event_body
from tests.projects.helpers import create_project, open_request

LONG_MARKDOWN = "## Nouvelles\n\nNous avons **enfin** reçu les [capteurs](https://example.org) !\n\n" + "Des mots encore. " * 80


@pytest.fixture
def world(alice, bob, rennes, api):
    """One public thing of every kind, made through the API."""
    alice_api, bob_api = client_for(alice), client_for(bob)
    project = create_project(alice_api, title="Air de Rennes", summary="Des capteurs citoyens pour la qualité de l'air")
    alice_api.post(f"/api/v1/projects/{project['slug']}/updates/", {"body": LONG_MARKDOWN}, format="json")
    request = open_request(bob_api, to_project=project["slug"], title="Cherche un labo", message="Pour **tester** nos capteurs.")
    bob_api.post(f"/api/v1/collaborations/{request['id']}/responses/", {"message": "x"}, format="json")
    alice_api.post(f"/api/v1/collaborations/{request['id']}/responses/", {"message": "Nous pouvons aider."}, format="json")
    cantine = make_org("cantine", rennes)
    from tests.conftest import make_admin

    make_admin(alice, cantine)
    response = alice_api.post("/api/v1/events/", event_body(title="Apéro numérique"), format="json")
    assert response.status_code == 201, response.content
    return {
        "actor": alice,
        "city": rennes,
        "project": Project.objects.get(slug=project["slug"]),
        "update": ProjectUpdate.objects.get(),
        "request": CollaborationRequest.objects.get(),
        "response": CollaborationResponse.objects.get(),
        "event": Event.objects.get(),
    }


def test_every_kind_is_registered_once_with_its_own_name():
    names = [kind.name for kind in kinds.all_kinds()]
    assert sorted(names) == ["actor", "event", "project", "remote", "request", "response", "update"]
    for name in names:
        assert kinds.kind_named(name).name == name


def test_kind_of_finds_each_object_s_kind(world):
    for name in ("actor", "project", "update", "request", "response", "event"):
        assert kinds.kind_of(world[name]).name == name
    assert kinds.kind_of(world["city"]).name == "actor"
    with pytest.raises(KeyError):
        kinds.kind_of(object())


def test_names_are_what_people_know_things_by(world):
    name = lambda key: kinds.kind_of(world[key]).name_of(world[key])  # noqa: E731
    assert name("actor") == "Alice"
    assert name("city") == "Rennes"
    assert name("project") == "Air de Rennes"
    assert name("request") == "Cherche un labo"
    assert name("event") == "Apéro numérique"
    # An update is known by its first words, without its markdown.
    assert name("update").startswith("Nouvelles. Nous avons enfin reçu les capteurs !")
    assert len(name("update")) <= 60 and "*" not in name("update") and "#" not in name("update")
    with translation.override("en"):
        assert name("response") == "response to “Cherche un labo”"
    with translation.override("fr"):
        assert name("response") == "réponse à « Cherche un labo »"


def test_content_is_plain_text_cut_on_a_word(world):
    update = world["update"]
    content = kinds.kind_of(update).content_of(update)
    assert len(content) <= 500 and content.endswith("…")
    assert "**" not in content and "<" not in content and "](" not in content and "#" not in content
    assert content.startswith("Nouvelles. Nous avons enfin reçu les capteurs !")  # a heading ends as a sentence
    assert content[:-1].rstrip().endswith("mots") or content[:-1].rstrip().endswith("encore")
    request = world["request"]
    assert kinds.kind_of(request).content_of(request) == "Cherche un labo. Pour **tester** nos capteurs."
    assert kinds.kind_of(world["project"]).content_of(world["project"]) == "Des capteurs citoyens pour la qualité de l'air"
    with translation.override("en"):
        event_content = kinds.kind_of(world["event"]).content_of(world["event"])
    # The event's title and its start, in the event's own time zone (19:00 in Paris).
    assert event_content.startswith("Apéro numérique, ") and "2027" in event_content and "7" in event_content
    # A response's text is not for everyone who sees the activity about it.
    assert kinds.kind_of(world["response"]).content_of(world["response"]) == ""


def test_excerpt_cuts_on_a_word_and_folds_white_space():
    assert kinds.excerpt("un  deux\n\ntrois") == "un deux trois"
    text = "mot " * 200
    cut = kinds.excerpt(text)
    assert len(cut) <= 500 and cut.endswith("mot…")


def test_every_url_answers_the_thing_it_names(world, api):
    client = client_for(world["actor"])
    for key in ("actor", "city", "project", "update", "request", "response", "event"):
        obj = world[key]
        url = kinds.kind_of(obj).url_of(obj)
        assert url.startswith("/api/v1/"), url
        answer = client.get(url)
        assert answer.status_code == 200, (key, url, answer.status_code)
    assert kinds.kind_of(world["city"]).url_of(world["city"]) == "/api/v1/cities/rennes/"
    assert kinds.kind_of(world["actor"]).url_of(world["actor"]) == "/api/v1/actors/alice/"


def test_stream_keys_are_spelled_in_one_place_and_parse_back(world):
    project, alice, rennes = world["project"], world["actor"], world["city"]
    assert kinds.stream_key(alice) == "actor:alice"
    assert kinds.stream_key(rennes) == "city:rennes"
    assert kinds.stream_key(project) == f"project:{project.slug}"
    assert kinds.stream_key("city:quebec") == "city:quebec"
    for obj in (alice, rennes, project):
        assert kinds.stream_publisher(kinds.stream_key(obj)) == obj
    # A city's stream is not an actor's, nor the other way round; unknown prefixes name nothing.
    assert kinds.stream_publisher("actor:rennes") is None
    assert kinds.stream_publisher("city:alice") is None
    assert kinds.stream_publisher("event:whatever") is None
    assert kinds.stream_publisher("project:") is None
    # Things without a stream of their own.
    assert kinds.stream_key(world["update"]) is None


def test_describe_gives_what_an_activity_shows(world):
    request = world["request"]
    assert kinds.describe(request) == {
        "type": "collaboration", "id": str(request.pk), "name": "Cherche un labo",
        "content": "Cherche un labo. Pour **tester** nos capteurs.", "url": f"/api/v1/collaborations/{request.pk}/",
    }
    assert kinds.describe(world["city"])["type"] == "city"
