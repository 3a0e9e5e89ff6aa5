"""What a French reader gets back on the main paths holds no English the service wrote.

Every test data name and text here is French, so any English word found was
written by the service: a summary, an error, an enum label.
"""

import json
import re

from tests.i18n.english import english_words, leaks
from tests.projects.helpers import create_project, in_days, open_request


def french(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "fr"
    return client


def test_errors_of_the_main_paths_are_french(api, alice, alice_api, bob, bob_api, rennes):
    french(api), french(alice_api), french(bob_api)
    project = create_project(alice_api, title="Capteurs de qualité de l'eau")
    request = open_request(alice_api, to_actor="bob")
    answers = {
        "no target": alice_api.post("/api/v1/collaborations/", {
            "title": "Cherche partenaire", "message": "Bonjour", "deadline": in_days(5)}, format="json"),
        "two targets": alice_api.post("/api/v1/collaborations/", {
            "title": "Cherche partenaire", "message": "Bonjour", "deadline": in_days(5),
            "to_actor": "bob", "to_city": "rennes"}, format="json"),
        "past deadline": alice_api.post("/api/v1/collaborations/", {
            "title": "Cherche partenaire", "message": "Bonjour", "deadline": "2001-01-01T00:00:00+00:00",
            "to_actor": "bob"}, format="json"),
        "to myself": alice_api.post("/api/v1/collaborations/", {
            "title": "Cherche partenaire", "message": "Bonjour", "deadline": in_days(5), "to_actor": "alice"},
            format="json"),
        "not signed in": api.post("/api/v1/collaborations/", {}, format="json"),
        "wrong party": alice_api.post(f"/api/v1/collaborations/{request['id']}/decline/"),
        "not the author": bob_api.post(f"/api/v1/collaborations/{request['id']}/withdraw/"),
        "own request": alice_api.post(f"/api/v1/collaborations/{request['id']}/responses/", {"message": "Moi"},
                                      format="json"),
        "no such response": alice_api.post(f"/api/v1/collaborations/{request['id']}/accept/", {"response": 999},
                                           format="json"),
        "unknown project": api.get("/api/v1/projects/inconnu/"),
        "empty update": alice_api.post(f"/api/v1/projects/{project['slug']}/updates/", {"body": " "}, format="json"),
        "not a maintainer": bob_api.post(f"/api/v1/projects/{project['slug']}/updates/", {"body": "Salut"},
                                         format="json"),
        "follow myself": alice_api.post("/api/v1/actors/alice/follow/"),
        "page too big": alice_api.get("/api/v1/feed/", {"limit": 1000}),
        "bad cursor": alice_api.get("/api/v1/feed/", {"before": "pas-un-curseur"}),
        "bad bbox": api.get("/api/v1/map/", {"bbox": "1,2,3"}),
        "bad recurrence": alice_api.post("/api/v1/events/", {
            "title": "Apéro des entrepreneurs", "kind": "meetup", "city": "rennes", "timezone": "Europe/Paris",
            "start": "2031-03-04T19:00:00+01:00", "end": "2031-03-04T21:00:00+01:00",
            "recurrence": "FREQ=HOURLY"}, format="json"),
        "end before start": alice_api.post("/api/v1/events/", {
            "title": "Apéro des entrepreneurs", "kind": "meetup", "city": "rennes", "timezone": "Europe/Paris",
            "start": "2031-03-04T19:00:00+01:00", "end": "2031-03-04T18:00:00+01:00"}, format="json"),
        "taken username": api.post("/api/v1/auth/register/", {
            "username": "alice", "password": "une phrase de passe assez longue", "email": "a@example.org",
            "name": "Alice Martin"}, format="json"),
    }
    leaked = []
    for path, answer in answers.items():
        assert 400 <= answer.status_code < 500, (path, answer.status_code, answer.content)
        leaked += [f"{path} ({answer.status_code}) {hit}" for hit in leaks(answer.json())]
    assert not leaked, "English in French errors:\n" + "\n".join(leaked)


def test_the_schema_labels_its_enums_in_french(api):
    schema = api.get("/api/schema/", {"format": "json"}, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    labels = dict.fromkeys(re.findall(r"\* `([^`]*)` - ([^\n\\\"]*)", schema))
    assert len(labels) > 50
    english = [f"`{value}` - {label}" for value, label in labels if english_words(label)]
    assert not english, "English enum labels in the French schema:\n" + "\n".join(english)
    # A status is a state (acceptée), not the verb of an activity (a accepté).
    assert ("accepted", "acceptée") in labels and ("accepted", "a accepté") not in labels
    english_schema = api.get("/api/schema/", {"format": "json"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "* `accepted` - accepted" in json.loads(json.dumps(english_schema))
