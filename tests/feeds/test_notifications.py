import pytest

from feeds.models import Notification
from tests.feeds.conftest import post_update

pytestmark = pytest.mark.django_db


def notifications(client, **params) -> dict:
    response = client.get("/api/v1/notifications/", params)
    assert response.status_code == 200, response.content
    return response.json()


def test_following_a_person_notifies_them(committed, alice_api, bob_api, rennes):
    assert committed(alice_api.post, "/api/v1/actors/bob/follow/").status_code == 200
    committed(alice_api.post, "/api/v1/actors/rennes/follow/")  # a city gets no notification
    body = notifications(bob_api)
    assert body["unread_count"] == 1 and body["next"] is None
    [item] = body["results"]
    assert item["reason"] == "followed" and item["read"] is False
    assert item["activity"]["type"] == "Follow"
    assert item["activity"]["actor"] == {"handle": "alice", "name": "Alice", "kind": "person"}
    assert item["activity"]["summary"] == "Alice suit désormais Bob"
    assert notifications(alice_api)["results"] == []  # never notified of one's own action


def test_unread_filter_and_marking_read_by_ids_and_all(committed, alice, alice_api, bob, bob_api, carol_api):
    for client in (bob_api, carol_api):
        committed(client.post, "/api/v1/actors/alice/follow/")
    committed(alice_api.post, "/api/v1/actors/bob/follow/")
    bobs_id = notifications(bob_api)["results"][0]["id"]
    newest, older = (item["id"] for item in notifications(alice_api)["results"])

    marked = alice_api.post("/api/v1/notifications/read/", {"ids": [newest, bobs_id]}, format="json")
    assert marked.status_code == 200
    assert marked.json() == {"marked": 1, "unread_count": 1}
    assert [item["id"] for item in notifications(alice_api, unread=1)["results"]] == [older]
    assert [item["read"] for item in notifications(alice_api)["results"]] == [True, False]
    assert Notification.objects.get(pk=bobs_id).read is False  # someone else's: untouched

    everything = alice_api.post("/api/v1/notifications/read/", {"all": True}, format="json")
    assert everything.json() == {"marked": 1, "unread_count": 0}
    assert notifications(alice_api, unread=1)["results"] == []
    assert notifications(bob_api)["unread_count"] == 1


def test_notifications_page_newest_first(committed, alice, alice_api, rennes):
    from tests.conftest import make_person

    for index in range(5):
        committed(post_update, make_person(f"fan{index}", rennes), notify=[(alice, Notification.Reason.FOLLOWED)])
    first = notifications(alice_api, limit=2)
    second = notifications(alice_api, limit=2, before=first["next"])
    third = notifications(alice_api, limit=2, before=second["next"])
    ids = [item["id"] for page in (first, second, third) for item in page["results"]]
    assert len(ids) == 5 and ids == sorted(ids, reverse=True)
    assert third["next"] is None


@pytest.mark.parametrize(
    "body", [{}, {"ids": "1"}, {"ids": ["x"]}, {"ids": [1], "all": True}, {"all": "maybe"}, []]
)
def test_marking_read_refuses_bad_input(alice_api, body):
    response = alice_api.post("/api/v1/notifications/read/", body, format="json")
    assert response.status_code == 400


def test_notifications_need_a_token(api):
    assert api.get("/api/v1/notifications/").status_code == 401
    assert api.post("/api/v1/notifications/read/", {"all": True}, format="json").status_code == 401
    assert api.get("/api/v1/notifications/", {"limit": 101}).status_code == 401


def test_the_list_and_its_unread_count_ask_the_visibility_rule_once(committed, alice, bob_api, carol_api):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from feeds import selectors

    for client in (bob_api, carol_api):
        committed(client.post, "/api/v1/actors/alice/follow/")
    with CaptureQueriesContext(connection) as queries:
        page, unread = selectors.notifications_for(viewer=alice.user, limit=1)
    assert (len(page.items), page.next is not None, unread) == (1, True, 2)
    # The reader's blocks, whether any is private, the page, the count.
    assert len(queries) == 4, "\n".join(query["sql"][:200] for query in queries)


def test_a_notification_built_directly_is_what_its_serializer_declares(committed, alice, bob_api, carol_api, settings):
    """`notification_json` skips DRF's per-field machinery; the declared fields say the same."""
    from django.utils import timezone, translation
    from rest_framework import serializers

    from feeds.serializers import NotificationSerializer, notification_json

    class Declared(NotificationSerializer):
        to_representation = serializers.ModelSerializer.to_representation

    for client in (bob_api, carol_api):
        committed(client.post, "/api/v1/actors/alice/follow/")
    Notification.objects.filter(recipient=alice).update(read=True)
    for language, zone in (("fr", "Europe/Paris"), ("en", "America/Toronto")):
        with translation.override(language), timezone.override(zone):
            for notification in Notification.objects.filter(recipient=alice).select_related("activity__actor"):
                assert notification_json(notification) == dict(Declared(notification).data)
