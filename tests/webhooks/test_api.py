"""The webhooks API: subscribing, listing, deleting, and every bad input refused with nothing created."""

import pytest
from rest_framework.test import APIClient
from standardwebhooks import Webhook

from delivery.models import Destination
from tests.conftest import client_for, fields_of, make_city, make_person
from tests.projects.helpers import create_project
from webhooks.models import Subscription

pytestmark = pytest.mark.django_db


@pytest.fixture
def camille(rennes):
    return client_for(make_person("camille", rennes))


def subscribe(client, receiver_url="http://127.0.0.1:9/hook", streams=("city:rennes",)):
    return client.post("/api/v1/webhooks/", {"url": receiver_url, "streams": list(streams)}, format="json")


def test_a_subscription_is_created_listed_and_deleted_and_its_secret_shown_once(camille, rennes):
    response = subscribe(camille, streams=["city:rennes", "actor:camille"])
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["url"] == "http://127.0.0.1:9/hook"
    assert created["streams"] == ["actor:camille", "city:rennes"]
    assert created["secret"].startswith("whsec_")
    Webhook(created["secret"])  # a secret the Standard Webhooks library takes
    assert created["state"] == "active" and created["failing_since"] is None

    listed = camille.get("/api/v1/webhooks/").json()
    assert [w["id"] for w in listed["results"]] == [created["id"]] and listed["next"] is None
    assert "secret" not in listed["results"][0]
    one = camille.get(f"/api/v1/webhooks/{created['id']}/").json()
    assert "secret" not in one and one["streams"] == created["streams"]

    assert camille.delete(f"/api/v1/webhooks/{created['id']}/").status_code == 204
    assert camille.get("/api/v1/webhooks/").json()["results"] == []
    assert not Destination.objects.exists()
    assert camille.delete(f"/api/v1/webhooks/{created['id']}/").status_code == 404


def test_another_accounts_webhook_is_a_404_and_untouched(camille, rennes):
    created = subscribe(camille).json()
    other = client_for(make_person("dominique", rennes))
    assert other.get(f"/api/v1/webhooks/{created['id']}/").status_code == 404
    assert other.delete(f"/api/v1/webhooks/{created['id']}/").status_code == 404
    assert other.get("/api/v1/webhooks/").json()["results"] == []
    assert Subscription.objects.filter(pk=created["id"]).exists()


def test_anonymous_callers_are_refused(rennes):
    assert APIClient().get("/api/v1/webhooks/").status_code == 401
    assert subscribe(APIClient()).status_code == 401


@pytest.mark.parametrize(
    "url",
    ["ftp://hooks.example.org/in", "javascript:alert(1)", "hooks.example.org/in", "", "http://user:pw@127.0.0.1/",
     "http://no-such-host.invalid/hook", "http://exa mple.org/", "x" * 2001],
)
def test_a_url_that_is_not_plain_http_is_refused_and_nothing_created(camille, url):
    response = subscribe(camille, receiver_url=url)
    assert response.status_code == 400, response.content
    assert "url" in fields_of(response.json())
    assert not Subscription.objects.exists() and not Destination.objects.exists()


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8000/hook", "http://localhost/hook", "http://[::1]/", "http://10.0.0.8/",
            "http://169.254.169.254/latest/meta-data/", "https://192.168.1.1/", "http://0.0.0.0/"],
)
def test_a_private_address_is_refused_unless_allowed(camille, settings, url):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    response = subscribe(camille, receiver_url=url)
    assert response.status_code == 400
    assert "privée" in response.json()["fields"]["url"][0]
    assert not Subscription.objects.exists() and not Destination.objects.exists()


def test_streams_that_are_not_public_or_do_not_exist_are_refused(camille, rennes):
    owner = client_for(make_person("olivia", rennes))
    secret = create_project(owner, title="Secret", visibility="private")["slug"]
    members = create_project(owner, title="Entre membres", visibility="members")["slug"]
    for streams in (["city:atlantide"], [f"project:{secret}"], [f"project:{members}"], ["city:rennes", "nope"],
                    ["actor:rennes"], ["city:olivia"], ["actor:nobody"], [], ["city:" + "x" * 200]):
        response = subscribe(camille, streams=streams)
        assert response.status_code == 400, (streams, response.content)
        assert "streams" in fields_of(response.json())
    assert not Subscription.objects.exists() and not Destination.objects.exists()


def test_a_stream_list_that_is_not_a_list_is_refused(camille):
    for body in ({"url": "http://127.0.0.1/", "streams": "city:rennes"}, {"url": "http://127.0.0.1/"},
                 {"streams": ["city:rennes"]}, {"url": 5, "streams": [{"a": 1}]}):
        assert camille.post("/api/v1/webhooks/", body, format="json").status_code == 400
    assert not Subscription.objects.exists()


def test_an_account_has_a_limited_number_of_webhooks(camille, settings, rennes):
    settings.WEBHOOKS_MAX_PER_ACCOUNT = 2
    make_city("brest")
    assert subscribe(camille).status_code == 201
    assert subscribe(camille, streams=["city:brest"]).status_code == 201
    response = subscribe(camille)
    assert response.status_code == 400
    assert "2" in response.json()["fields"]["url"][0]
    assert Subscription.objects.count() == 2
    # Someone else still may.
    assert subscribe(client_for(make_person("dominique", rennes))).status_code == 201


def test_errors_speak_english_when_asked(camille):
    response = camille.post("/api/v1/webhooks/", {"url": "ftp://x.org/", "streams": ["city:rennes"]},
                            format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.json()["fields"]["url"] == ["Give an http or https URL whose host can be found, without a user name or password."]
