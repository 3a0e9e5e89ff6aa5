"""The inboxes: signed deliveries from a real remote server on the loopback are
taken, everything else is refused with nothing stored."""

import json

import pytest

from federation.keys import key_for
from federation.models import DomainBlock, InboxItem, RemoteActor, RemoteObject
from federation.signatures import verify_request
from feeds.models import Activity, Follow, TimelineEntry

pytestmark = pytest.mark.django_db

INBOX = "/actors/alice/inbox"


def follow_activity(remote, name="ana", target="https://rennes.example/actors/alice", n=1):
    return {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{remote.uri(name)}#follow/{n}",
            "type": "Follow", "actor": remote.uri(name), "object": target}


def nothing_stored():
    return (InboxItem.objects.count(), Follow.objects.count(), RemoteObject.objects.count()) == (0, 0, 0)


def test_a_mastodon_style_follow_is_accepted_with_a_signed_accept(remote, post_inbox, alice):
    remote.add_actor("ana")
    response = post_inbox(remote, "ana", INBOX, follow_activity(remote))
    assert response.status_code == 202
    ana = RemoteActor.objects.get(uri=remote.uri("ana")).actor
    assert ana.handle == f"ana@{remote.host}"
    assert Follow.objects.filter(follower=ana, target_actor=alice).exists()
    alice.refresh_from_db()
    assert alice.followers_count == 1
    path, headers, accept = remote.deliveries()[-1]
    assert path == "/inbox"  # the instance's shared inbox: one destination per instance
    assert accept["type"] == "Accept"
    assert accept["actor"] == "https://rennes.example/actors/alice"
    assert accept["object"]["id"] == follow_activity(remote)["id"]
    # signed by alice's key, as Mastodon checks it
    key_id = verify_request(
        method="POST", url=remote.base + path, headers=headers, body=json.dumps(accept, ensure_ascii=False).encode(),
        public_key_for=lambda _k: key_for("actor:alice").public_pem,
    )
    assert key_id == "https://rennes.example/actors/alice#main-key"


def test_the_shared_inbox_and_a_city_inbox_take_follows_too(remote, post_inbox, rennes, alice):
    remote.add_actor("ana")
    assert post_inbox(remote, "ana", "/inbox", follow_activity(remote, target="https://rennes.example/actors/rennes")).status_code == 202
    assert Follow.objects.filter(target_actor=rennes).count() == 1


def test_a_repeated_delivery_changes_nothing(remote, post_inbox, alice):
    remote.add_actor("ana")
    post_inbox(remote, "ana", INBOX, follow_activity(remote))
    assert post_inbox(remote, "ana", INBOX, follow_activity(remote)).status_code == 202
    assert InboxItem.objects.count() == 1
    assert len([d for d in remote.deliveries() if d[2]["type"] == "Accept"]) == 1


def test_undo_follow_ends_the_follow(remote, post_inbox, alice):
    remote.add_actor("ana")
    follow = follow_activity(remote)
    post_inbox(remote, "ana", INBOX, follow)
    undo = {"id": f"{remote.uri('ana')}#undo/1", "type": "Undo", "actor": remote.uri("ana"), "object": follow}
    assert post_inbox(remote, "ana", INBOX, undo).status_code == 202
    assert not Follow.objects.exists()


# --- refused, nothing stored -----------------------------------------------------


def test_unsigned_is_refused(client, remote, alice):
    remote.add_actor("ana")
    response = client.post(INBOX, data=json.dumps(follow_activity(remote)), content_type="application/activity+json",
                           HTTP_HOST="rennes.example")
    assert response.status_code == 401
    assert "detail" in response.json()
    assert nothing_stored()


def test_badly_signed_is_refused(remote, post_inbox, alice):
    remote.add_actor("ana")
    remote.add_actor("mallory")
    # ana's key id, mallory's private key
    remote.keys["ana"] = (remote.keys["mallory"][0], remote.keys["ana"][1])
    response = post_inbox(remote, "ana", INBOX, follow_activity(remote))
    assert response.status_code == 401
    assert nothing_stored()


def test_tampered_body_is_refused(remote, post_inbox, alice):
    remote.add_actor("ana")
    activity = follow_activity(remote)
    tampered = json.dumps({**activity, "object": "https://rennes.example/actors/rennes"}).encode()
    assert post_inbox(remote, "ana", INBOX, activity, body=tampered).status_code == 401
    assert nothing_stored()


def test_oversized_is_refused_before_it_is_read(remote, post_inbox, alice, settings):
    settings.FEDERATION_INBOX_MAX_BYTES = 1000
    remote.add_actor("ana")
    activity = {**follow_activity(remote), "padding": "x" * 2000}
    assert post_inbox(remote, "ana", INBOX, activity).status_code == 413
    assert nothing_stored()
    assert remote.fetches() == []  # not even the key was looked up


def test_forged_actor_is_refused(remote, post_inbox, alice):
    """Signed by mallory, claiming to be ana: the key's owner must be the actor."""
    remote.add_actor("ana")
    remote.add_actor("mallory")
    response = post_inbox(remote, "ana", INBOX, follow_activity(remote), key_of="mallory")
    assert response.status_code == 403
    assert not InboxItem.objects.exists() and not Follow.objects.exists()


def test_an_object_from_another_host_is_refused(remote, post_inbox, alice):
    remote.add_actor("ana")
    create = {"id": f"{remote.uri('ana')}#create/1", "type": "Create", "actor": remote.uri("ana"),
              "object": {"id": "https://elsewhere.example/notes/1", "type": "Note", "content": "hi",
                         "attributedTo": remote.uri("ana"), "to": ["https://www.w3.org/ns/activitystreams#Public"]}}
    assert post_inbox(remote, "ana", INBOX, create).status_code == 403
    assert nothing_stored()


@pytest.mark.parametrize("how", ["setting", "moderator"])
def test_a_blocked_domain_is_dropped_unread(remote, post_inbox, alice, settings, how):
    remote.add_actor("ana")
    if how == "setting":
        settings.FEDERATION_BLOCKED_DOMAINS = ["127.0.0.1"]
    else:
        DomainBlock.objects.create(domain="127.0.0.1")
    assert post_inbox(remote, "ana", INBOX, follow_activity(remote)).status_code == 403
    assert nothing_stored() and not RemoteActor.objects.exists()
    assert remote.fetches() == []


def test_a_private_address_is_refused_without_the_switch(remote, post_inbox, alice, settings):
    settings.FEDERATION_ALLOW_PRIVATE = False
    remote.add_actor("ana")
    assert post_inbox(remote, "ana", INBOX, follow_activity(remote)).status_code == 401
    assert nothing_stored() and not RemoteActor.objects.exists()
    assert remote.fetches() == []  # the outbound client refused the loopback before connecting


def test_an_unknown_inbox_is_404_and_get_is_405(client, remote, alice):
    assert client.post("/actors/nobody/inbox", data="{}", content_type="application/activity+json").status_code == 404
    assert client.get("/inbox").status_code == 405


# --- remote posts ------------------------------------------------------------------


def note(remote, n=1, content="<p>Bonjour <script>alert(1)</script><b>Rennes</b></p>", public=True):
    uri = f"{remote.uri('ana')}/notes/{n}"
    return {"id": uri, "type": "Note", "attributedTo": remote.uri("ana"), "content": content,
            "published": "2026-12-01T10:00:00Z",
            "to": ["https://www.w3.org/ns/activitystreams#Public"] if public else [remote.uri("ana") + "/followers"]}


def create(remote, obj, n=1):
    return {"id": f"{obj['id']}/activity", "type": "Create", "actor": remote.uri("ana"), "object": obj}


@pytest.fixture
def followed_ana(remote, post_inbox, alice, django_capture_on_commit_callbacks):
    """ana, on the remote instance, followed by alice (as if alice's Follow had been accepted)."""
    from federation.services import fetch_remote_actor
    from feeds.services import follow

    remote.add_actor("ana")
    ana = fetch_remote_actor(remote.uri("ana")).actor
    with django_capture_on_commit_callbacks(execute=True):
        follow(follower=alice, target=ana)
    return ana


def test_a_public_post_of_a_followed_actor_reaches_the_home_timeline_sanitized(remote, post_inbox, alice, followed_ana):
    assert post_inbox(remote, "ana", "/inbox", create(remote, note(remote))).status_code == 202
    post = RemoteObject.objects.get()
    assert "<script>" not in post.content and "<b>Rennes</b>" not in post.content
    assert "Bonjour" in post.content
    activity = Activity.objects.get(actor=followed_ana, type="Create")
    assert TimelineEntry.objects.filter(owner=alice, activity=activity).exists()
    assert activity.object_name == "Bonjour Rennes"


def test_a_post_not_public_or_from_an_actor_nobody_follows_is_not_taken(remote, post_inbox, alice, followed_ana):
    post_inbox(remote, "ana", "/inbox", create(remote, note(remote, public=False)))
    assert not Activity.objects.filter(actor=followed_ana, type="Create").exists()
    remote.add_actor("zoe")
    zoe_note = {**note(remote, 2), "id": f"{remote.uri('zoe')}/notes/2", "attributedTo": remote.uri("zoe")}
    post_inbox(remote, "zoe", "/inbox", {"id": zoe_note["id"] + "/a", "type": "Create", "actor": remote.uri("zoe"),
                                         "object": zoe_note})
    assert not RemoteObject.objects.filter(public=True).exists()


def test_update_then_delete_and_a_late_create_after_a_delete(remote, post_inbox, alice, followed_ana):
    obj = note(remote)
    post_inbox(remote, "ana", "/inbox", create(remote, obj))
    post_inbox(remote, "ana", "/inbox", {"id": obj["id"] + "#u", "type": "Update", "actor": remote.uri("ana"),
                                         "object": {**obj, "content": "<p>Changed</p>"}})
    assert RemoteObject.objects.get().content == "<p>Changed</p>"
    post_inbox(remote, "ana", "/inbox", {"id": obj["id"] + "#d", "type": "Delete", "actor": remote.uri("ana"),
                                         "object": obj["id"]})
    assert not Activity.objects.filter(actor=followed_ana, type="Create").exists()
    assert RemoteObject.objects.get().deleted is not None
    # a Delete that arrives before its Create wins
    second = note(remote, 2)
    post_inbox(remote, "ana", "/inbox", {"id": second["id"] + "#d", "type": "Delete", "actor": remote.uri("ana"),
                                         "object": second["id"]})
    post_inbox(remote, "ana", "/inbox", create(remote, second))
    assert not Activity.objects.filter(actor=followed_ana, type="Create").exists()


# --- RFC 9421 deliveries -----------------------------------------------------------


def rfc9421_signed(remote, name, url, activity):
    from http_message_signatures import HTTPMessageSigner, algorithms

    from federation.keys import load_private

    class Message:
        def __init__(self, method, url, headers):
            self.method, self.url, self.headers = method, url, headers

    class Keys:
        def resolve_private_key(self, key_id):
            return load_private(remote.keys[name][0])

    body = json.dumps(activity).encode()
    headers = {"Content-Type": "application/activity+json"}
    HTTPMessageSigner(signature_algorithm=algorithms.RSA_V1_5_SHA256, key_resolver=Keys()).sign(
        Message("POST", url, headers), key_id=f"{remote.uri(name)}#main-key", body=body,
        covered_component_ids=("@method", "@target-uri"),
    )
    return body, headers


def test_an_rfc9421_signed_follow_is_taken_and_a_tampered_one_refused(client, remote, alice,
                                                                      django_capture_on_commit_callbacks):
    from tests.federation.remote import django_headers

    remote.add_actor("ana")
    body, headers = rfc9421_signed(remote, "ana", f"https://rennes.example{INBOX}", follow_activity(remote))
    tampered = json.dumps({**follow_activity(remote), "object": "https://rennes.example/actors/rennes"}).encode()
    response = client.post(INBOX, data=tampered, content_type="application/activity+json",
                           HTTP_HOST="rennes.example", **django_headers(headers))
    assert response.status_code == 401
    assert nothing_stored()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(INBOX, data=body, content_type="application/activity+json",
                               HTTP_HOST="rennes.example", **django_headers(headers))
    assert response.status_code == 202
    assert Follow.objects.filter(target_actor=alice).count() == 1
