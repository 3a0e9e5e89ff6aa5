"""A collaboration request's deadline: optional (a default the answer tells), and a bare date
means the end of that day in the instance's time zone (Europe/Paris)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from projects.models import CollaborationRequest

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")


def post_request(client, **overrides):
    body = {"title": "Cherche labo", "message": "Pour tester nos capteurs", "to_actor": "bob", **overrides}
    return client.post("/api/v1/collaborations/", body, format="json")


def test_a_request_without_a_deadline_gets_the_end_of_the_day_thirty_days_on(alice_api, bob):
    response = post_request(alice_api)
    assert response.status_code == 201, response.content
    answered = datetime.fromisoformat(response.json()["deadline"]).astimezone(PARIS)
    day = timezone.now().astimezone(PARIS).date() + timedelta(days=30)
    assert answered == datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=PARIS)
    # What the answer says is what is stored, and the request is open.
    stored = CollaborationRequest.objects.get()
    assert stored.deadline == answered and stored.status == "open"
    assert alice_api.get(f"/api/v1/collaborations/{stored.pk}/").json()["deadline"] == response.json()["deadline"]


@pytest.mark.parametrize(("given", "answered"), [
    ("2027-03-01", "2027-03-01T23:59:59+01:00"),   # winter: UTC+1
    ("2027-07-14", "2027-07-14T23:59:59+02:00"),   # summer time: UTC+2
    ("2027-03-28", "2027-03-28T23:59:59+02:00"),   # the day clocks go forward
])
def test_a_date_without_a_time_means_the_end_of_that_day_in_paris(alice_api, bob, given, answered):
    response = post_request(alice_api, deadline=given)
    assert response.status_code == 201, response.content
    assert response.json()["deadline"] == answered
    stored = CollaborationRequest.objects.get().deadline
    assert stored == datetime.fromisoformat(answered)
    # Not the start of the day: the whole day is still open.
    assert stored > datetime.fromisoformat(given).replace(hour=23, tzinfo=PARIS)


def test_a_deadline_of_today_is_open_until_tonight(alice_api, bob):
    today = timezone.now().astimezone(PARIS).date()
    if timezone.now().astimezone(PARIS).time() >= datetime(2000, 1, 1, 23, 59, 59).time():
        pytest.skip("the last second of the day in Paris: today's end has come")
    response = post_request(alice_api, deadline=today.isoformat())
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "open"
    assert alice_api.get(f"/api/v1/collaborations/{response.json()['id']}/").json()["status"] == "open"


def test_a_time_with_its_offset_is_kept_as_given(alice_api, bob):
    response = post_request(alice_api, deadline="2027-03-01T09:30:00+05:00")
    assert response.status_code == 201, response.content
    assert datetime.fromisoformat(response.json()["deadline"]) == datetime.fromisoformat("2027-03-01T09:30:00+05:00")


@pytest.mark.parametrize("given", ["2020-01-01", "2027-02-30", "2027-13-01", "01/03/2027", None])
def test_a_past_or_impossible_date_is_a_400_naming_deadline_and_writes_nothing(alice_api, bob, given):
    response = post_request(alice_api, deadline=given)
    assert response.status_code == 400, response.content
    assert "deadline" in response.json()["fields"]
    assert not CollaborationRequest.objects.exists()


def test_french_and_english_say_why_a_past_date_is_refused(alice_api, bob):
    french = post_request(alice_api, deadline="2020-01-01").json()["fields"]["deadline"]
    english = alice_api.post(
        "/api/v1/collaborations/", {"title": "t", "message": "m", "to_actor": "bob", "deadline": "2020-01-01"},
        format="json", HTTP_ACCEPT_LANGUAGE="en",
    ).json()["fields"]["deadline"]
    assert english == ["The deadline must be in the future."]
    assert french != english and french[0]


def test_the_schema_says_the_deadline_is_optional_and_what_the_default_is(api):
    schema = api.get("/api/schema/?format=json").json()
    request_body = schema["components"]["schemas"]["CollaborationRequestRequest"]
    assert "deadline" not in request_body.get("required", [])
    description = request_body["properties"]["deadline"]["description"]
    assert "30 days" in description and "end of that day" in description
