"""Our public activity goes out to remote followers, one delivery per remote inbox,
through the delivery outbox: a delivery the far side does not take now stays and is retried."""

import json

import pytest

from delivery.models import Delivery
from federation.keys import key_for
from federation.signatures import verify_request
from projects.models import Project, Visibility
from projects.services import post_update
from tests.federation.conftest import drained

pytestmark = pytest.mark.django_db


@pytest.fixture
def followers(remote, alice, django_capture_on_commit_callbacks):
    """ana and bea, on the same remote instance, follow alice."""
    from federation.services import fetch_remote_actor
    from feeds.services import follow

    with django_capture_on_commit_callbacks(execute=True):
        for name in ("ana", "bea"):
            remote.add_actor(name)
            follow(follower=fetch_remote_actor(remote.uri(name)).actor, target=alice)


def test_a_public_update_reaches_each_remote_instance_once_signed(remote, alice, followers,
                                                                   django_capture_on_commit_callbacks):
    project = Project.objects.create(slug="velo", title="Vélo", owner=alice)
    project.memberships.create(actor=alice, role="owner")
    with django_capture_on_commit_callbacks(execute=True):
        post_update(project=project, author=alice.user, body="Un **prototype** !")
    drained()
    creates = [d for d in remote.deliveries() if d[2]["type"] == "Create"]
    assert len(creates) == 1  # one per shared inbox, not one per follower
    path, headers, create = creates[0]
    assert path == "/inbox"
    assert create["actor"] == "https://rennes.example/actors/alice"
    note = create["object"]
    assert note["type"] == "Article" and note["name"] == "Vélo"
    assert "<strong>prototype</strong>" in note["content"]
    assert "https://www.w3.org/ns/activitystreams#Public" in note["to"]
    assert verify_request(method="POST", url=remote.base + path, headers=headers,
                          body=json.dumps(create, ensure_ascii=False).encode(),
                          public_key_for=lambda _k: key_for("actor:alice").public_pem)
    assert Delivery.objects.get(activity__isnull=False).state == Delivery.State.DELIVERED


def test_a_private_project_update_does_not_leave(remote, alice, followers, django_capture_on_commit_callbacks):
    project = Project.objects.create(slug="secret", title="Secret", owner=alice, visibility=Visibility.PRIVATE)
    project.memberships.create(actor=alice, role="owner")
    with django_capture_on_commit_callbacks(execute=True):
        post_update(project=project, author=alice.user, body="entre nous")
    drained()
    assert [d for d in remote.deliveries() if d[2]["type"] == "Create"] == []


def test_a_failed_delivery_stays_in_the_outbox_to_be_retried(remote, alice, followers,
                                                              django_capture_on_commit_callbacks):
    remote.receiver.answers = [503]
    project = Project.objects.create(slug="velo", title="Vélo", owner=alice)
    project.memberships.create(actor=alice, role="owner")
    with django_capture_on_commit_callbacks(execute=True):
        post_update(project=project, author=alice.user, body="Un prototype")
    drained()
    delivery = Delivery.objects.get(activity__isnull=False)
    assert (delivery.state, delivery.attempts) == (Delivery.State.PENDING, 1)
    assert "503" in delivery.last_error
    Delivery.objects.filter(pk=delivery.pk).update(due=delivery.created)  # its backoff has passed
    drained()  # the far side is back: the retry delivers
    assert Delivery.objects.get(pk=delivery.pk).state == Delivery.State.DELIVERED
    assert len([d for d in remote.deliveries() if d[2]["type"] == "Create"]) == 2
