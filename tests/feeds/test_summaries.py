"""Activities a client can show as they are: names, content and URLs of what they are
about, and one sentence in the reader's language, the same on REST, websocket and notifications."""

import json

import pytest

from feeds.live import push_activity
from feeds.models import Activity
from profiles.models import Actor
from tests.channel_layer import listen, received
from tests.conftest import client_for, make_person
from tests.projects.helpers import create_project, open_request, respond_to

NBSP = "\u00a0"


def q(name: str) -> str:
    return f"«{NBSP}{name}{NBSP}»"


@pytest.fixture
def network(committed, rennes, quebec):
    """Alice in Rennes runs a project, asks Québec for a lab, Bob of Québec answers and is chosen."""
    alice, bob = make_person("alice", rennes), make_person("bob", quebec)
    Actor.objects.filter(pk=alice.pk).update(name="Alice Le Bihan")
    Actor.objects.filter(pk=bob.pk).update(name="Bob Tremblay")
    alice.refresh_from_db(), bob.refresh_from_db()
    alice_api, bob_api = client_for(alice), client_for(bob)
    project = committed(create_project, alice_api, title="Capteurs de qualité de l'eau", summary="Des capteurs citoyens")
    update = committed(alice_api.post, f"/api/v1/projects/{project['slug']}/updates/",
                       {"body": "Premiers **capteurs** posés sur la Vilaine. Les mesures arrivent chaque heure."},
                       format="json").json()
    request = committed(open_request, alice_api, to_city="quebec", title="Cherche laboratoire partenaire",
                        message="Nous cherchons un laboratoire pour valider nos mesures.")
    response = committed(respond_to, bob_api, request["id"], message="Notre laboratoire peut vous aider.")
    committed(alice_api.post, f"/api/v1/collaborations/{request['id']}/accept/", {"response": response["id"]},
              format="json")
    committed(bob_api.post, f"/api/v1/projects/{project['slug']}/follow/")
    committed(alice_api.post, "/api/v1/actors/bob/follow/")
    event = committed(alice_api.post, "/api/v1/events/", {
        "title": "Atelier capteurs", "kind": "workshop", "organizers": ["alice"], "projects": [project["slug"]],
        "city": "rennes", "venue": {"name": "La Cantine", "address": "1 rue de Rennes"},
        "timezone": "Europe/Paris", "start": "2031-03-04T18:00:00+01:00",
        "end": "2031-03-04T20:00:00+01:00"}, format="json")
    assert event.status_code == 201, event.content
    committed(bob_api.post, f"/api/v1/events/{event.json()['slug']}/attend/")
    return {"alice": alice_api, "bob": bob_api, "project": project, "update": update, "request": request,
            "event": event.json()}


def summaries(client, path: str = "/api/v1/feed/", language: str = "fr") -> list[str]:
    body = client.get(path, {"limit": 100}, HTTP_ACCEPT_LANGUAGE=language).json()
    return [item.get("summary") or item["activity"]["summary"] for item in body["results"]]


def test_each_action_reads_as_a_sentence_in_french_and_in_english(network):
    title = "Capteurs de qualité de l'eau"
    french = summaries(network["alice"])
    assert french == [
        f"Bob Tremblay participera à {q('Atelier capteurs')}",
        f"Alice Le Bihan a annoncé l'événement {q('Atelier capteurs')}",
        "Alice Le Bihan suit désormais Bob Tremblay",
        f"Alice Le Bihan a accepté la réponse de Bob Tremblay à {q('Cherche laboratoire partenaire')}",
        f"Alice Le Bihan a envoyé une demande à Québec{NBSP}: {q('Cherche laboratoire partenaire')}",
        f"Alice Le Bihan a publié une actualité sur {q(title)}{NBSP}: "
        f"{q('Premiers capteurs posés sur la Vilaine. Les mesures…')}",
        f"Alice Le Bihan a créé le projet {q(title)}",
    ]
    english = summaries(network["alice"], language="en")
    assert english[0] == "Bob Tremblay will attend “Atelier capteurs”"
    assert english[2] == "Alice Le Bihan now follows Bob Tremblay"
    assert english[3] == "Alice Le Bihan accepted the answer of Bob Tremblay to “Cherche laboratoire partenaire”"
    assert english[4] == "Alice Le Bihan sent a request to Québec: “Cherche laboratoire partenaire”"
    assert english[6] == f"Alice Le Bihan created the project “{title}”"


def test_object_and_target_carry_name_content_and_url(network):
    items = network["alice"].get("/api/v1/feed/", {"limit": 100}).json()["results"]
    posted = next(item for item in items if item["object"]["type"] == "update")
    update, project = network["update"], network["project"]
    assert posted["object"] == {
        "type": "update", "id": str(update["id"]),
        "name": "Premiers capteurs posés sur la Vilaine. Les mesures…",
        "content": "Premiers capteurs posés sur la Vilaine. Les mesures arrivent chaque heure.",
        "url": f"/api/v1/projects/{project['slug']}/updates/{update['id']}/",
    }
    assert posted["target"]["name"] == "Capteurs de qualité de l'eau"
    assert posted["target"]["content"] == "Des capteurs citoyens"
    # Each URL answers what it names.
    assert network["alice"].get(posted["object"]["url"]).json()["id"] == update["id"]
    assert network["alice"].get(posted["target"]["url"]).json()["slug"] == project["slug"]
    sent = next(item for item in items if item["object"]["type"] == "collaboration")
    assert sent["object"]["content"] == (
        "Cherche laboratoire partenaire. Nous cherchons un laboratoire pour valider nos mesures."
    )
    assert sent["target"] == {"type": "city", "id": "quebec", "name": "Québec", "content": "",
                              "url": "/api/v1/cities/quebec/"}
    for item in items:
        for ref in (item["object"], item["target"]):
            if ref is not None:
                assert ref["url"].startswith("/api/v1/") and "<" not in ref["content"] and "**" not in ref["content"]
                assert network["alice"].get(ref["url"]).status_code == 200, ref


def test_an_event_of_a_project_reaches_the_projects_followers(network):
    project_stream = summaries(network["bob"], f"/api/v1/projects/{network['project']['slug']}/activity/")
    assert f"Alice Le Bihan a annoncé l'événement {q('Atelier capteurs')}" in project_stream
    assert f"Bob Tremblay participera à {q('Atelier capteurs')}" in project_stream


def test_bobs_own_timeline_has_his_answer_and_his_follow(network):
    bob = summaries(network["bob"])
    assert f"Bob Tremblay a répondu à la demande {q('Cherche laboratoire partenaire')}" in bob
    assert f"Bob Tremblay suit désormais le projet {q('Capteurs de qualité de l’eau'.replace('’', chr(39)))}" in bob


def test_notifications_read_as_the_feed_does(network):
    alice = summaries(network["alice"], "/api/v1/notifications/")
    assert f"Bob Tremblay a répondu à la demande {q('Cherche laboratoire partenaire')}" in alice
    bob = summaries(network["bob"], "/api/v1/notifications/", language="en")
    assert "Alice Le Bihan accepted the answer of Bob Tremblay to “Cherche laboratoire partenaire”" in bob
    assert "Alice Le Bihan now follows Bob Tremblay" in bob


def test_websocket_frames_carry_the_same_words_per_language(committed, layer, network):
    channel = listen(layer, "stream.actor.alice")
    activity = Activity.objects.filter(type="Create", object_type="update").get()
    push_activity(activity.id)
    [event] = received(layer, channel)
    french, english = json.loads(event["frames"]["fr"]), json.loads(event["frames"]["en"])
    rest = network["alice"].get("/api/v1/feed/", {"limit": 100}).json()["results"]
    assert french == next(item for item in rest if item["id"] == activity.id)
    assert english["summary"].startswith("Alice Le Bihan posted news on “Capteurs de qualité de l'eau”: “Premiers")
    assert english["object"]["content"] == french["object"]["content"]


def test_no_english_leaks_into_french_feeds_and_notifications(network):
    from tests.i18n.english import leaks

    found = []
    for who in ("alice", "bob"):
        for path in ("/api/v1/feed/", "/api/v1/notifications/", f"/api/v1/actors/{who}/activity/",
                     "/api/v1/cities/rennes/activity/", f"/api/v1/projects/{network['project']['slug']}/activity/"):
            answer = network[who].get(path, {"limit": 100}, HTTP_ACCEPT_LANGUAGE="fr")
            assert answer.status_code == 200, (path, answer.content)
            found += [f"{who} {path} {hit}" for hit in leaks(answer.json())]
    assert not found, "\n".join(found)


def test_invitations_and_joining_a_project_or_an_organization_read_as_sentences(committed, network, rennes):
    from tests.conftest import make_admin, make_org

    alice, bob = network["alice"], network["bob"]
    slug, title = network["project"]["slug"], network["project"]["title"]
    invited = committed(alice.post, f"/api/v1/projects/{slug}/members/", {"actor": "bob", "role": "contributor"},
                        format="json")
    assert invited.status_code in (200, 201), invited.content
    cantine = make_org("cantine", rennes)
    Actor.objects.filter(pk=cantine.pk).update(name="La Cantine numérique")
    make_admin(Actor.objects.get(handle="alice"), cantine)
    committed(alice.post, "/api/v1/actors/cantine/members/", {"actor": "bob", "role": "member"}, format="json")
    told = summaries(bob, "/api/v1/notifications/")
    assert "Alice Le Bihan a invité Bob Tremblay à rejoindre La Cantine numérique" in told
    assert f"Alice Le Bihan a invité Bob Tremblay au projet {q(title)}" in told
    assert f"Alice Le Bihan invited Bob Tremblay to the project “{title}”" in summaries(
        bob, "/api/v1/notifications/", language="en")
    assert committed(bob.post, f"/api/v1/projects/{slug}/members/bob/accept/").status_code == 200
    assert committed(bob.post, "/api/v1/actors/cantine/members/bob/accept/").status_code == 200
    assert f"Bob Tremblay a rejoint le projet {q(title)}" in summaries(alice, f"/api/v1/projects/{slug}/activity/")
    assert "Bob Tremblay a rejoint La Cantine numérique" in summaries(alice, "/api/v1/actors/cantine/activity/")
    assert "Bob Tremblay joined the project" in " ".join(
        summaries(alice, f"/api/v1/projects/{slug}/activity/", language="en"))
