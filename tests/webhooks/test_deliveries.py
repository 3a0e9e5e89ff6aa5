"""Deliveries to a real HTTP receiver on the loopback, drained in-process as on the embedded default.

Signatures are checked with the Standard Webhooks library itself, as a
receiver would; retries, order and visibility are seen from the receiver.
"""

import json
import threading
import time
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient
from standardwebhooks import Webhook

from delivery.models import Delivery, Destination
from tests.conftest import client_for, make_city, make_person
from tests.projects.helpers import create_project

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def city(db):
    return make_city("rennes", "Rennes")


@pytest.fixture
def alice(city):
    return client_for(make_person("alice", city))


def subscribe(client, receiver, streams=("city:rennes",)) -> dict:
    response = client.post("/api/v1/webhooks/", {"url": receiver.url("/hook"), "streams": list(streams)},
                           format="json")
    assert response.status_code == 201, response.content
    return response.json()


def verified(request, secret: str) -> dict:
    """The payload, after the Standard Webhooks library accepted its signature."""
    return Webhook(secret).verify(request.body, request.headers)


def test_each_activity_is_posted_signed_with_the_same_json_as_the_rest_stream(alice, city, receiver, drains):
    hook = subscribe(client_for(make_person("hub", city)), receiver)
    create_project(alice, title="Capteurs du Blosne", summary="Des capteurs citoyens")

    [request] = drains.wait_for(receiver, 1)
    assert request.method == "POST" and request.path == "/hook"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["webhook-id"].startswith("msg_")
    payload = verified(request, hook["secret"])
    stream = APIClient().get("/api/v1/cities/rennes/activity/").json()["results"]
    assert payload == {"type": "activity", "activity": stream[0]}
    assert payload["activity"]["summary"] == "Alice a créé le projet «\u00a0Capteurs du Blosne\u00a0»"

    # A wrong secret or a changed body is refused by the same library.
    with pytest.raises(Exception, match="signature"):
        Webhook("whsec_" + "A" * 43 + "=").verify(request.body, request.headers)
    with pytest.raises(Exception, match="signature"):
        Webhook(hook["secret"]).verify(request.body.replace(b"Blosne", b"Bl0sne"), request.headers)


def test_a_receiver_that_fails_twice_then_recovers_gets_it_within_a_minute_under_the_same_id(
    alice, city, receiver, drains
):
    hook = subscribe(client_for(make_person("hub", city)), receiver)
    receiver.answers = [500, 503]
    started = time.monotonic()
    create_project(alice, title="Têtu", summary="x")

    attempts = drains.wait_for(receiver, 3, timeout=60)
    assert time.monotonic() - started < 60
    assert len({r.headers["webhook-id"] for r in attempts}) == 1
    assert all(verified(r, hook["secret"])["activity"]["object"]["name"] == "Têtu" for r in attempts)
    # Backed off, not hammered: the gaps grow.
    gaps = [b.at - a.at for a, b in zip(attempts, attempts[1:], strict=False)]
    assert gaps[0] > 0.3 and gaps[1] > 0.3

    def settled():
        state = client_for_hub.get(f"/api/v1/webhooks/{hook['id']}/").json()
        return state if state["last_success"] else None

    client_for_hub = APIClient()
    client_for_hub.force_authenticate(Destination.objects.get().webhook.owner)
    state = wait_for(settled)
    assert state["state"] == "active" and state["failing_since"] is None
    drains.settle(1.5)
    assert len(receiver.requests) == 3  # delivered once it worked, then nothing more


def test_deliveries_to_one_receiver_keep_stream_order_through_failures(alice, city, receiver, drains):
    hook = subscribe(client_for(make_person("hub", city)), receiver)
    receiver.answers = [500, 500]
    titles = ["Un", "Deux", "Trois", "Quatre"]
    for title in titles:
        create_project(alice, title=title, summary="x")

    requests = drains.wait_for(receiver, len(titles) + 2, timeout=60)
    names = [verified(r, hook["secret"])["activity"]["object"]["name"] for r in requests]
    assert names == ["Un", "Un", "Un", "Deux", "Trois", "Quatre"]
    ids = [verified(r, hook["secret"])["activity"]["id"] for r in requests[2:]]
    assert ids == sorted(ids)


def test_a_project_that_turns_private_stops_delivering_at_once(alice, city, receiver, drains):
    hook = subscribe(client_for(make_person("hub", city)), receiver, streams=["city:rennes"])
    receiver.answers = [500]  # the first attempt fails: the delivery waits for its retry
    slug = create_project(alice, title="Bientôt secret", summary="x")["slug"]
    drains.wait_for(receiver, 1)
    assert alice.patch(f"/api/v1/projects/{slug}/", {"visibility": "private"}, format="json").status_code == 200
    create_project(alice, title="Toujours public", summary="x")

    requests = drains.wait_for(receiver, 2, timeout=60)
    drains.settle(1)
    names = [verified(r, hook["secret"])["activity"]["object"]["name"] for r in receiver.requests]
    assert names == ["Bientôt secret", "Toujours public"]  # the retry never went out; its update neither
    states = dict(Delivery.objects.values_list("activity__object_name", "state"))
    assert states["Bientôt secret"] == "skipped"
    assert len(requests) == 2


def test_only_subscribed_public_streams_are_delivered(alice, city, receiver, drains):
    make_city("brest", "Brest")
    hook = subscribe(client_for(make_person("hub", city)), receiver, streams=["city:brest"])
    create_project(alice, title="À Rennes", summary="x")  # not on Brest's stream
    brest = client_for(make_person("bertrand", make_city("quimper")))
    create_project(brest, title="Secret à Brest", summary="x", visibility="members")
    assert brest.post("/api/v1/actors/brest/follow/").status_code == 200

    [request] = drains.wait_for(receiver, 1)
    assert verified(request, hook["secret"])["activity"]["summary"] == "Bertrand suit désormais Brest"
    drains.settle(1)
    assert len(receiver.requests) == 1


def test_a_slow_receiver_never_slows_the_writer(alice, city, receiver, drains, settings):
    if not drains.threaded:
        pytest.skip("drains run in the test's thread on SQLite: only threads can show the writer does not wait")
    subscribe(client_for(make_person("hub", city)), receiver)
    # Up to 8 s per answer; let go once the test has seen what it came for, so that the
    # drains' stop at teardown does not wait out a held request.
    released = threading.Event()

    def slow(handler):
        released.wait(8)
        handler.close_connection = True  # no answer: the sender's request ends without one

    receiver.default = slow
    try:
        started = time.monotonic()
        for title in ("Un", "Deux", "Trois"):
            create_project(alice, title=title, summary="x")
        assert time.monotonic() - started < 5  # the receiver took 8 s to answer the first
        drains.wait_for(receiver, 1)
    finally:
        released.set()


def test_a_receiver_that_answers_garbage_or_redirects_is_retried_not_followed(alice, city, receiver, drains):
    hook = subscribe(client_for(make_person("hub", city)), receiver)

    def garbage(handler):
        handler.wfile.write(b"\x00\x01 not http\r\n\r\n")
        handler.close_connection = True

    def redirect(handler):
        handler.send_response(307)
        handler.send_header("Location", "/elsewhere")
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    receiver.answers = [garbage, redirect]
    create_project(alice, title="Obstiné", summary="x")
    requests = drains.wait_for(receiver, 3, timeout=60)
    assert [r.path for r in requests] == ["/hook"] * 3
    assert len({r.headers["webhook-id"] for r in requests}) == 1
    verified(requests[-1], hook["secret"])


def test_a_receiver_failing_for_days_is_disabled_and_told_so_on_its_get(alice, city, receiver, drains):
    hub = client_for(make_person("hub", city))
    hook = subscribe(hub, receiver)
    Destination.objects.update(failing_since=timezone.now() - timedelta(days=4))
    receiver.default = 500
    create_project(alice, title="Dans le vide", summary="x")
    drains.wait_for(receiver, 1)

    state = wait_for(lambda: (s := hub.get(f"/api/v1/webhooks/{hook['id']}/").json())["state"] == "disabled" and s)
    assert state["disabled_at"] and state["last_error"] == "HTTP 500"
    assert [w["state"] for w in hub.get("/api/v1/webhooks/").json()["results"]] == ["disabled"]
    create_project(alice, title="Plus rien", summary="x")
    drains.settle(2)
    assert len(receiver.requests) == 1
    assert Delivery.objects.filter(state="pending").count() == 0


def test_a_deleted_webhook_gets_nothing_more(alice, city, receiver, drains):
    hub = client_for(make_person("hub", city))
    hook = subscribe(hub, receiver)
    create_project(alice, title="Avant", summary="x")
    drains.wait_for(receiver, 1)
    assert hub.delete(f"/api/v1/webhooks/{hook['id']}/").status_code == 204
    create_project(alice, title="Après", summary="x")
    drains.settle(1.5)
    assert [json.loads(r.body)["activity"]["object"]["name"] for r in receiver.requests] == ["Avant"]


def wait_for(condition, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError("timed out")
