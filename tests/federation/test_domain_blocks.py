"""Moderators block instances through the API (and the admin): audited, harmless
to repeat, follows with the instance end, and nothing goes there any more."""

import pytest

from federation.models import DomainBlock
from federation.selectors import is_blocked
from feeds.models import Follow
from novosphere.models import AuditEntry
from tests.conftest import client_for, fields_of, make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def moderator(db):
    person = make_person("mod")
    person.user.is_staff = True
    person.user.save()
    return client_for(person)


def test_a_moderator_blocks_and_unblocks_a_domain(moderator):
    response = moderator.post("/api/v1/moderation/domains/", {"domain": "Spam.Example", "reason": "spam"}, format="json")
    assert response.status_code == 201
    assert response.json() == {"domain": "spam.example", "blocked": True, "changed": True}
    again = moderator.post("/api/v1/moderation/domains/", {"domain": "spam.example"}, format="json")
    assert again.status_code == 200 and again.json()["changed"] is False
    assert is_blocked("https://a.spam.example/users/x") and not is_blocked("https://notspam.example/")
    assert moderator.get("/api/v1/moderation/domains/").json()["results"][0]["domain"] == "spam.example"
    assert AuditEntry.objects.filter(action="block_domain", subject="domain:spam.example").count() == 1
    response = moderator.delete("/api/v1/moderation/domains/spam.example/")
    assert response.json() == {"domain": "spam.example", "blocked": False, "changed": True}
    assert not DomainBlock.objects.exists()


def test_only_moderators_block_domains(alice_api, api):
    assert api.post("/api/v1/moderation/domains/", {"domain": "spam.example"}, format="json").status_code == 401
    response = alice_api.post("/api/v1/moderation/domains/", {"domain": "spam.example"}, format="json")
    assert response.status_code == 403
    assert not DomainBlock.objects.exists()


def test_a_bad_domain_is_a_400(moderator):
    response = moderator.post("/api/v1/moderation/domains/", {"domain": "not a domain!"}, format="json")
    assert response.status_code == 400 and "domain" in fields_of(response.json())
    assert not DomainBlock.objects.exists()


def test_blocking_ends_follows_with_the_instance(moderator, remote, alice, django_capture_on_commit_callbacks):
    from federation.services import fetch_remote_actor
    from feeds.services import follow

    remote.add_actor("ana")
    ana = fetch_remote_actor(remote.uri("ana")).actor
    follow(follower=alice, target=ana)
    follow(follower=ana, target=alice)
    moderator.post("/api/v1/moderation/domains/", {"domain": "127.0.0.1"}, format="json")
    assert not Follow.objects.exists()
    alice.refresh_from_db()
    assert (alice.followers_count, alice.following_count) == (0, 0)
    # and nothing is sent there any more
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(alice).post(f"/api/v1/actors/ana@{remote.host}/follow/")
    assert response.status_code == 404
    assert remote.deliveries() == []
