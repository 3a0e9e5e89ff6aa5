"""Remote actors in the API: `name@host` looked up through WebFinger then the actor
document, answered like a local actor; following sends a signed Follow and stays
pending until the remote Accept; unfollowing sends an Undo."""

import pytest

from federation.models import OutgoingFollow, RemoteActor
from feeds.models import Follow
from tests.conftest import client_for
from tests.federation.conftest import drained

pytestmark = pytest.mark.django_db


def test_a_remote_actor_is_answered_like_a_local_one(remote, alice_api):
    remote.add_actor("ana", summary="<p>Lyon <b>mobilités</b></p>")
    response = alice_api.get(f"/api/v1/actors/ana@{remote.host}/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["handle"] == f"ana@{remote.host}"
    assert body["remote"] is True
    assert body["kind"] == "person"
    assert body["headline"] == "Lyon mobilités"
    assert remote.fetches()[0].startswith("/.well-known/webfinger?resource=acct:ana@")
    # stored: the second read asks nothing of the remote instance
    count = len(remote.fetches())
    assert alice_api.get(f"/api/v1/actors/ana@{remote.host}/").status_code == 200
    assert len(remote.fetches()) == count


def test_local_actors_say_they_are_not_remote(alice_api, alice):
    assert alice_api.get("/api/v1/actors/alice/").json()["remote"] is False


def test_unknown_remote_actors_and_blocked_hosts_are_404(remote, alice_api, settings):
    assert alice_api.get(f"/api/v1/actors/nobody@{remote.host}/").status_code == 404
    remote.add_actor("ana")
    settings.FEDERATION_BLOCKED_DOMAINS = ["127.0.0.1"]
    assert alice_api.get(f"/api/v1/actors/ana@{remote.host}/").status_code == 404
    assert not RemoteActor.objects.exists()


def test_a_refreshed_actor_is_fetched_again_once_stale(remote, alice_api, settings):
    remote.add_actor("ana")
    alice_api.get(f"/api/v1/actors/ana@{remote.host}/")
    remote.actors["ana"]["name"] = "Ana Renamed"
    settings.FEDERATION_ACTOR_REFRESH_SECONDS = 0
    assert alice_api.get(f"/api/v1/actors/ana@{remote.host}/").json()["name"] == "Ana Renamed"


def test_follow_is_pending_until_the_remote_accept(remote, alice, post_inbox, django_capture_on_commit_callbacks):
    remote.add_actor("ana")
    api = client_for(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/v1/actors/ana@{remote.host}/follow/")
    drained()
    assert response.status_code == 200
    assert response.json() == {"is_following": False, "followers_count": 0, "pending": True}
    path, headers, sent = remote.deliveries()[-1]
    assert path == "/inbox"
    assert sent["type"] == "Follow" and sent["object"] == remote.uri("ana")
    assert sent["actor"] == "https://rennes.example/actors/alice"
    assert 'headers="(request-target) host date digest"' in headers["signature"]
    assert not Follow.objects.exists()

    accept = {"id": f"{remote.uri('ana')}#accepts/1", "type": "Accept", "actor": remote.uri("ana"), "object": sent}
    assert post_inbox(remote, "ana", "/actors/alice/inbox", accept).status_code == 202
    assert Follow.objects.filter(follower=alice, target_actor__handle=f"ana@{remote.host}").exists()
    assert OutgoingFollow.objects.get().accepted is not None
    assert api.get(f"/api/v1/actors/ana@{remote.host}/").json()["is_following"] is True

    with django_capture_on_commit_callbacks(execute=True):
        response = api.delete(f"/api/v1/actors/ana@{remote.host}/follow/")
    drained()
    assert response.json()["is_following"] is False
    _path, _headers, undo = remote.deliveries()[-1]
    assert undo["type"] == "Undo" and undo["object"]["id"] == sent["id"]
    assert not Follow.objects.exists()


def test_an_accept_from_someone_else_grants_nothing(remote, alice, post_inbox, django_capture_on_commit_callbacks):
    remote.add_actor("ana")
    remote.add_actor("mallory")
    with django_capture_on_commit_callbacks(execute=True):
        client_for(alice).post(f"/api/v1/actors/ana@{remote.host}/follow/")
    drained()
    sent = remote.deliveries()[-1][2]
    accept = {"id": f"{remote.uri('mallory')}#accepts/1", "type": "Accept", "actor": remote.uri("mallory"),
              "object": sent}
    assert post_inbox(remote, "mallory", "/actors/alice/inbox", accept).status_code == 202
    assert not Follow.objects.exists()
    assert OutgoingFollow.objects.get().accepted is None
