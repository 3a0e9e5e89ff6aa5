"""WebFinger, NodeInfo and the actor documents the fediverse reads."""

import pytest
from cryptography.hazmat.primitives import serialization

from federation.models import SigningKey
from projects.models import Project, Visibility
from tests.conftest import make_org
from tests.federation.conftest import AP

pytestmark = pytest.mark.django_db


def webfinger(client, resource):
    return client.get("/.well-known/webfinger", {"resource": resource})


def test_webfinger_finds_a_person_with_links_to_the_actor_document(client, alice):
    response = webfinger(client, "acct:alice@rennes.example")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/jrd+json"
    body = response.json()
    assert body["subject"] == "acct:alice@rennes.example"
    self_link = next(link for link in body["links"] if link["rel"] == "self")
    assert self_link == {"rel": "self", "type": "application/activity+json",
                         "href": "https://rennes.example/actors/alice"}


def test_webfinger_finds_cities_organizations_and_public_projects(client, rennes, alice):
    make_org("lab")
    Project.objects.create(slug="velo", title="Vélo", owner=alice)
    for name, href in (("rennes", "actors/rennes"), ("lab", "actors/lab"), ("velo", "projects/velo")):
        response = webfinger(client, f"acct:{name}@rennes.example")
        assert response.status_code == 200, name
        assert response.json()["links"][0]["href"] == f"https://rennes.example/{href}"


def test_webfinger_accepts_an_actor_id_as_resource(client, alice):
    response = webfinger(client, "https://rennes.example/actors/alice")
    assert response.json()["subject"] == "acct:alice@rennes.example"


def test_webfinger_hides_what_an_anonymous_reader_cannot_see(client, alice, bob):
    bob.suspended = True
    bob.save()
    Project.objects.create(slug="secret", title="Secret", owner=alice, visibility=Visibility.PRIVATE)
    Project.objects.create(slug="gone", title="Gone", owner=alice, hidden=True)
    for name in ("bob", "secret", "gone", "nobody"):
        response = webfinger(client, f"acct:{name}@rennes.example")
        assert response.status_code == 404, name
        assert "detail" in response.json()


def test_webfinger_refuses_other_hosts_and_bad_resources(client, alice):
    assert webfinger(client, "acct:alice@elsewhere.example").status_code == 404
    assert webfinger(client, "acct:@rennes.example").status_code == 404
    assert client.get("/.well-known/webfinger").status_code == 400
    assert webfinger(client, "acct:" + "a" * 600).status_code == 400


def test_nodeinfo_links_to_a_2x_document(client, alice):
    links = client.get("/.well-known/nodeinfo").json()["links"]
    href = next(link["href"] for link in links if link["rel"].endswith("/2.1"))
    assert href == "https://rennes.example/nodeinfo/2.1"
    body = client.get("/nodeinfo/2.1").json()
    assert body["version"] == "2.1"
    assert body["protocols"] == ["activitypub"]
    assert body["software"]["name"] == "novosphere"
    assert body["usage"]["users"]["total"] == 1


def test_actor_document_for_a_person_by_content_negotiation(client, alice):
    response = client.get("/actors/alice", **AP)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/activity+json"
    doc = response.json()
    assert doc["id"] == "https://rennes.example/actors/alice"
    assert doc["type"] == "Person"
    assert doc["preferredUsername"] == "alice"
    assert doc["inbox"] == "https://rennes.example/actors/alice/inbox"
    assert doc["outbox"] == "https://rennes.example/actors/alice/outbox"
    assert doc["followers"] == "https://rennes.example/actors/alice/followers"
    assert doc["following"] == "https://rennes.example/actors/alice/following"
    assert doc["endpoints"]["sharedInbox"] == "https://rennes.example/inbox"
    key = doc["publicKey"]
    assert key["id"] == "https://rennes.example/actors/alice#main-key"
    assert key["owner"] == doc["id"]
    assert serialization.load_pem_public_key(key["publicKeyPem"].encode()).key_size == 2048


def test_the_ld_json_profile_negotiates_too_and_browsers_are_sent_to_the_api(client, alice):
    ld = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
    assert client.get("/actors/alice", HTTP_ACCEPT=ld).json()["type"] == "Person"
    response = client.get("/actors/alice", HTTP_ACCEPT="text/html")
    assert response.status_code == 302
    assert response["Location"] == "/api/v1/actors/alice/"


def test_keys_are_made_once_and_kept(client, alice):
    first = client.get("/actors/alice", **AP).json()["publicKey"]["publicKeyPem"]
    second = client.get("/actors/alice", **AP).json()["publicKey"]["publicKeyPem"]
    assert first == second
    assert SigningKey.objects.filter(owner="actor:alice").count() == 1


def test_cities_and_organizations_are_organizations_and_projects_groups(client, rennes, alice):
    make_org("lab")
    Project.objects.create(slug="velo", title="Vélo", owner=alice)
    city = client.get("/actors/rennes", **AP).json()
    assert (city["type"], city["kind"]) == ("Organization", "city")
    assert client.get("/actors/lab", **AP).json()["type"] == "Organization"
    group = client.get("/projects/velo", **AP).json()
    assert group["type"] == "Group"
    assert group["name"] == "Vélo"
    assert group["inbox"] == "https://rennes.example/projects/velo/inbox"
    assert group["attributedTo"] == "https://rennes.example/actors/alice"


def test_hidden_actors_and_projects_have_no_document(client, alice):
    alice.suspended = True
    alice.save()
    assert client.get("/actors/alice", **AP).status_code == 404
    assert client.get("/actors/nobody", **AP).status_code == 404
    assert client.get("/projects/nothing", **AP).status_code == 404


def test_the_instance_actor_has_a_key_and_a_shared_inbox(client, db):
    doc = client.get("/actor", **AP).json()
    assert doc["id"] == "https://rennes.example/actor"
    assert doc["type"] == "Application"
    assert doc["publicKey"]["owner"] == "https://rennes.example/actor"
    assert doc["endpoints"]["sharedInbox"] == "https://rennes.example/inbox"


def test_collections_count_followers(client, alice, bob):
    from feeds.services import follow

    follow(follower=bob, target=alice)
    followers = client.get("/actors/alice/followers", **AP).json()
    assert followers["type"] == "OrderedCollection"
    assert followers["totalItems"] == 1
    assert client.get("/actors/bob/following", **AP).json()["totalItems"] == 1
    assert client.get("/actors/nobody/followers", **AP).status_code == 404
