"""Activities follow their subject: a thing that turns private or hidden takes its past activity
with it on every path (REST streams and feeds, the live push and resume, notifications, the map).

Written against the leak where an activity's visibility depended only on `Activity.project`:
a public event turned private kept its "created" activity in the city's stream.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from events.models import Event
from events.services import send_event_reminders
from feeds import live
from feeds.models import Activity
from feeds.selectors import home_stream_keys
from moderation.services import suspend_actor
from profiles.models import User
from tests.channel_layer import listen, received
from tests.conftest import client_for, make_person
from tests.events.conftest import event_body
from tests.projects.helpers import open_request


def ids(client, path: str) -> list[str]:
    answer = client.get(path)
    assert answer.status_code == 200, answer.content
    return [activity["id"] for activity in answer.json()["results"]]


def notification_activities(client) -> list[str]:
    answer = client.get("/api/v1/notifications/")
    assert answer.status_code == 200, answer.content
    return [item["activity"]["id"] for item in answer.json()["results"]]


@pytest.fixture
def outsider(rennes, cantine, organizer):
    """Signed in, follows the city, the organization and the organizer; in no circle."""
    person = make_person("outsider", rennes)
    client = client_for(person)
    for path in ("/api/v1/actors/rennes/follow/", "/api/v1/actors/cantine/follow/", "/api/v1/actors/orga/follow/"):
        assert client.post(path).status_code in (200, 201)
    return person


def create_event(client, **overrides) -> dict:
    start = timezone.now() + timedelta(hours=12)
    body = event_body(start=start.isoformat(), end=(start + timedelta(hours=2)).isoformat(), **overrides)
    answer = client.post("/api/v1/events/", body, format="json")
    assert answer.status_code == 201, answer.content
    return answer.json()


def make_private(client, slug: str) -> None:
    answer = client.patch(f"/api/v1/events/{slug}/", {"visibility": "private"}, format="json")
    assert answer.status_code == 200, answer.content


@pytest.fixture
def public_event(django_capture_on_commit_callbacks, organizer, outsider, api):
    with django_capture_on_commit_callbacks(execute=True):
        event = create_event(client_for(organizer), title="Forum des capteurs")
    created = Activity.objects.get(object_type="event", object_id=event["slug"], type="Create")
    return event, created


def test_a_public_event_turned_private_leaves_every_rest_stream_and_feed(public_event, organizer, outsider, api):
    event, created = public_event
    outsider_api = client_for(outsider)
    streams = ["/api/v1/cities/rennes/activity/", "/api/v1/actors/cantine/activity/"]
    for path in streams:
        assert created.id in ids(api, path)
    assert created.id in ids(outsider_api, "/api/v1/feed/")

    make_private(client_for(organizer), event["slug"])

    for path in streams:
        assert created.id not in ids(api, path), f"anonymous still sees it on {path}"
        assert created.id not in ids(outsider_api, path), f"the outsider still sees it on {path}"
    assert created.id not in ids(outsider_api, "/api/v1/feed/")
    # The organizers' circle still sees what is about their event.
    assert created.id in ids(client_for(organizer), "/api/v1/cities/rennes/activity/")


def test_a_public_event_turned_private_is_not_resumed(public_event, organizer, outsider):
    event, created = public_event
    assert client_for(organizer).post("/api/v1/actors/rennes/follow/").status_code in (200, 201)
    make_private(client_for(organizer), event["slug"])
    for reader, expected in ((outsider, False), (organizer, True)):
        _bound, frames = live.resume_read(
            user=reader.user, streams=home_stream_keys(reader), after=live.ZERO, limit=100, language="fr"
        )
        assert (created.id in [activity_id for activity_id, _payload in frames]) is expected, reader.handle


def test_a_push_made_after_the_event_turned_private_is_for_its_circle_only(layer, public_event, organizer, outsider):
    """The push of an activity (or the sweep's catch-up of a dropped wake-up) may come after
    its subject changed: what it sends is decided by the subject as it is then."""
    event, created = public_event
    make_private(client_for(organizer), event["slug"])
    channel = listen(layer, live.group_for_stream("city:rennes"))
    live.push_activity(created.id)
    (pushed,) = received(layer, channel)
    assert pushed["id"] == created.id
    assert not live.shown_without_check(pushed)  # not a frame for every socket
    assert live.may_see(user=outsider.user, event=pushed) is False
    assert live.may_see(user=organizer.user, event=pushed) is True
    # What a socket reads when it catches up on the city's stream says the same.
    caught_up = live.activity_frames_after(user=outsider.user, streams=["city:rennes"], after=live.ZERO, limit=100, language="fr")
    assert created.id not in [activity_id for activity_id, _payload in caught_up]


def test_notifications_about_an_event_turned_private_are_no_longer_shown(public_event, organizer, outsider):
    event, _created = public_event
    outsider_api = client_for(outsider)
    assert outsider_api.post(f"/api/v1/events/{event['slug']}/attend/").status_code in (200, 201)
    assert send_event_reminders() == 1
    (reminder,) = notification_activities(outsider_api)
    assert outsider_api.get("/api/v1/notifications/", {"unread": 1}).json()["unread_count"] == 1
    make_private(client_for(organizer), event["slug"])
    assert reminder not in notification_activities(outsider_api)
    assert outsider_api.get("/api/v1/notifications/", {"unread": 1}).json()["unread_count"] == 0
    assert live.notifications_after(user=outsider.user, actor=outsider, after=0) == []


def test_an_event_turned_private_leaves_the_map(public_event, organizer, api):
    event, _created = public_event

    def on_map(client):
        return [f["properties"]["id"] for f in client.get("/api/v1/map/", {"type": "event"}).json()["features"]]

    assert event["slug"] in on_map(api)
    make_private(client_for(organizer), event["slug"])
    assert event["slug"] not in on_map(api)
    assert event["slug"] in on_map(client_for(organizer))


def test_a_response_to_a_suspended_authors_request_leaves_the_responders_stream(
    django_capture_on_commit_callbacks, alice, bob, api
):
    """Bob offers a response to Alice's request; Alice is suspended: her request is hidden
    from everyone, and "Bob offered a response to <her request>" with it."""
    with django_capture_on_commit_callbacks(execute=True):
        request = open_request(client_for(alice), to_actor="bob", title="Cherche un labo")
        answer = client_for(bob).post(f"/api/v1/collaborations/{request['id']}/responses/", {"message": "Oui"}, format="json")
        assert answer.status_code == 201, answer.content
    offered = Activity.objects.get(type="Offer")
    assert offered.id in ids(api, "/api/v1/actors/bob/activity/")
    moderator = User.objects.create_user("modo", password="x", is_staff=True)
    suspend_actor(actor=alice, suspended=True, moderator=moderator)
    assert offered.id not in ids(api, "/api/v1/actors/bob/activity/")
    assert offered.id not in ids(client_for(bob), "/api/v1/actors/bob/activity/")


def test_an_event_has_its_subject_and_audience_stored(public_event, organizer):
    event, created = public_event
    created.refresh_from_db()
    assert (created.subject_kind, created.subject_id, created.audience) == ("event", event["slug"], "everyone")
    make_private(client_for(organizer), event["slug"])
    created.refresh_from_db()
    assert created.audience == "some"
    assert Event.objects.get(slug=event["slug"]).visibility == "private"


def test_a_hidden_event_leaves_every_path_and_comes_back_when_shown(public_event, organizer, outsider, api):
    event, created = public_event
    moderator = User.objects.create_user("modo", password="correct horse battery staple", is_staff=True)
    moderator_api = client_for_user(moderator)
    outsider_api = client_for(outsider)

    def seen() -> dict:
        return {
            "detail": api.get(f"/api/v1/events/{event['slug']}/").status_code,
            "list": event["slug"] in [e["slug"] for e in api.get("/api/v1/events/").json()["results"]],
            "city": created.id in ids(api, "/api/v1/cities/rennes/activity/"),
            "feed": created.id in ids(outsider_api, "/api/v1/feed/"),
            "map": event["slug"] in [f["properties"]["id"] for f in api.get("/api/v1/map/").json()["features"]],
        }

    assert seen() == {"detail": 200, "list": True, "city": True, "feed": True, "map": True}
    answer = moderator_api.post(f"/api/v1/moderation/events/{event['slug']}/hide/", {"reason": "spam"}, format="json")
    assert answer.status_code == 200, answer.content
    assert answer.json() == {"type": "event", "id": event["slug"], "hidden": True, "changed": True}
    assert seen() == {"detail": 404, "list": False, "city": False, "feed": False, "map": False}
    # Its organizers do not see it either: hidden is hidden for everyone on the public paths.
    assert client_for(organizer).get(f"/api/v1/events/{event['slug']}/").status_code == 404
    assert moderator_api.post(f"/api/v1/moderation/events/{event['slug']}/unhide/").status_code == 200
    assert seen() == {"detail": 200, "list": True, "city": True, "feed": True, "map": True}


def test_a_block_hides_what_is_about_the_blocked_actor_and_theirs(django_capture_on_commit_callbacks, alice, bob, rennes):
    """Bob responds to Eve's request, Carol follows Eve: a reader who blocks Eve sees neither
    "Bob offered a response to <Eve's request>" nor "Carol followed Eve", on REST and in resume."""
    eve, carol, reader = make_person("eve", rennes), make_person("carol", rennes), make_person("reader", rennes)
    reader_api = client_for(reader)
    with django_capture_on_commit_callbacks(execute=True):
        for handle in ("bob", "carol"):
            assert reader_api.post(f"/api/v1/actors/{handle}/follow/").status_code in (200, 201)
        request = open_request(client_for(eve), to_actor="alice", title="Cherche un labo")
        assert client_for(bob).post(f"/api/v1/collaborations/{request['id']}/responses/", {"message": "Oui"}, format="json").status_code == 201
        assert client_for(carol).post("/api/v1/actors/eve/follow/").status_code in (200, 201)
    offered, followed = Activity.objects.get(type="Offer"), Activity.objects.get(type="Follow", actor=carol)
    assert {offered.id, followed.id} <= set(ids(reader_api, "/api/v1/feed/"))
    with django_capture_on_commit_callbacks(execute=True):
        assert reader_api.post("/api/v1/actors/eve/block/").status_code == 200
    for path in ("/api/v1/feed/", "/api/v1/actors/bob/activity/", "/api/v1/actors/carol/activity/"):
        assert not {offered.id, followed.id} & set(ids(reader_api, path)), path
    _bound, frames = live.resume_read(user=reader.user, streams=home_stream_keys(reader), after=live.ZERO, limit=100, language="fr")
    assert not {offered.id, followed.id} & {activity_id for activity_id, _payload in frames}
    # Others still see both.
    assert {offered.id, followed.id} <= set(ids(client_for(alice), "/api/v1/actors/bob/activity/") + ids(client_for(alice), "/api/v1/actors/carol/activity/"))
    # The push names whom a block of hides the subject, for each socket to skip.
    assert live.subject_blocked_with(offered) == [bob.pk, eve.pk] and live.subject_blocked_with(followed) == [eve.pk]


def client_for_user(user):
    from knox.models import AuthToken
    from rest_framework.test import APIClient

    _instance, token = AuthToken.objects.create(user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client
