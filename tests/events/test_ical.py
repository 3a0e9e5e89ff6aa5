from datetime import datetime
from zoneinfo import ZoneInfo

import icalendar
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from events.models import Event
from tests.conftest import client_for, fields_of, make_person

pytestmark = pytest.mark.django_db


def parse(response) -> icalendar.Calendar:
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/calendar")
    return icalendar.Calendar.from_ical(response.content)


def test_event_ics_keeps_zone_rrule_and_a_stable_uid(api, post_event):
    slug = post_event(title="Web-apéro", recurrence="FREQ=MONTHLY;BYDAY=1TH")["slug"]
    calendar = parse(api.get(f"/api/v1/events/{slug}.ics"))
    (event,) = calendar.walk("VEVENT")
    assert event.start == datetime(2027, 3, 4, 19, 0, tzinfo=ZoneInfo("Europe/Paris"))
    assert event.end == datetime(2027, 3, 4, 21, 0, tzinfo=ZoneInfo("Europe/Paris"))
    assert event["DTSTART"].params["TZID"] == "Europe/Paris"
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Paris"]
    assert event["RRULE"].to_ical() == b"FREQ=MONTHLY;BYDAY=1TH"
    assert str(event["SUMMARY"]) == "Web-apéro"
    assert event["GEO"].latitude == pytest.approx(48.11)
    uid = str(event["UID"])
    assert uid == Event.objects.get().uid
    # Edits keep the UID, so calendar apps update the event instead of adding another.
    client_for(Event.objects.get().organizers.get().members.get().person).patch(
        f"/api/v1/events/{slug}/", {"title": "Web-apéro de mars"}, format="json"
    )
    again = parse(api.get(f"/api/v1/events/{slug}.ics")).walk("VEVENT")[0]
    assert str(again["UID"]) == uid and str(again["SUMMARY"]) == "Web-apéro de mars"


def test_calendar_apps_asking_for_text_calendar_are_answered(api, post_event):
    slug = post_event()["slug"]
    assert parse(api.get(f"/api/v1/events/{slug}.ics", HTTP_ACCEPT="text/calendar"))
    assert api.get("/api/v1/events/nothing.ics", HTTP_ACCEPT="text/calendar").status_code == 404


def test_city_and_actor_feeds_hold_only_what_the_caller_may_see(api, rennes, quebec, post_event, organizer_api):
    post_event(title="Public", start="2027-03-04T19:00:00+01:00")
    post_event(title="Privé", visibility="private")
    post_event(title="À Québec", city="quebec", timezone="America/Toronto",
               start="2027-06-01T10:00:00-04:00", end="2027-06-01T12:00:00-04:00")
    city = parse(api.get("/api/v1/cities/rennes/events.ics"))
    assert [str(e["SUMMARY"]) for e in city.walk("VEVENT")] == ["Public"]
    actor = parse(api.get("/api/v1/actors/cantine/events.ics"))
    assert sorted(str(e["SUMMARY"]) for e in actor.walk("VEVENT")) == ["Public", "À Québec"]
    quebec_event = [e for e in actor.walk("VEVENT") if str(e["SUMMARY"]) == "À Québec"][0]
    assert quebec_event.start.tzinfo == ZoneInfo("America/Toronto")
    assert {tz["TZID"] for tz in actor.walk("VTIMEZONE")} == {"Europe/Paris", "America/Toronto"}
    uids = [str(e["UID"]) for e in actor.walk("VEVENT")]
    assert len(set(uids)) == 2
    # The organizers' circle sees the private one too.
    mine = parse(organizer_api.get("/api/v1/cities/rennes/events.ics"))
    assert sorted(str(e["SUMMARY"]) for e in mine.walk("VEVENT")) == ["Privé", "Public"]
    assert api.get("/api/v1/cities/atlantis/events.ics").status_code == 404
    assert api.get("/api/v1/cities/cantine/events.ics").status_code == 404  # not a city
    assert api.get("/api/v1/actors/nobody/events.ics").status_code == 404


CALENDAR = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//Autre outil//FR\r
BEGIN:VEVENT\r
UID:meetup-1@autre-outil\r
DTSTART;TZID=Europe/Paris:20270415T190000\r
DTEND;TZID=Europe/Paris:20270415T210000\r
SUMMARY:Meetup Python\r
DESCRIPTION:Des talks et des crêpes\r
LOCATION:La Cantine\\, Rennes\r
GEO:48.11;-1.68\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:apero-2@autre-outil\r
DTSTART:20270506T170000Z\r
DURATION:PT2H\r
SUMMARY:Apéro mensuel\r
RRULE:FREQ=MONTHLY;BYDAY=1TH\r
LOCATION:Le Bar\r
END:VEVENT\r
END:VCALENDAR\r
"""


def upload(client, content: str, organizer: str = "cantine", city: str = "rennes", **headers):
    file = SimpleUploadedFile("export.ics", content.encode(), content_type="text/calendar")
    return client.post(
        "/api/v1/events/import/", {"file": file, "organizer": organizer, "city": city}, format="multipart", **headers
    )


def test_import_twice_duplicates_nothing(api, organizer_api, rennes, cantine):
    first = upload(organizer_api, CALENDAR)
    assert first.status_code == 200, first.content
    assert first.json() == {"created": 2, "updated": 0}
    assert upload(organizer_api, CALENDAR).json() == {"created": 0, "updated": 0}
    assert Event.objects.count() == 2
    meetup = Event.objects.get(uid="meetup-1@autre-outil")
    assert meetup.title == "Meetup Python" and meetup.city == rennes and meetup.timezone == "Europe/Paris"
    assert list(meetup.organizers.all()) == [cantine] and meetup.venue_name == "La Cantine, Rennes"
    apero = Event.objects.get(uid="apero-2@autre-outil")
    assert apero.recurrence == "FREQ=MONTHLY;BYDAY=1TH" and (apero.end - apero.start).total_seconds() == 7200
    # A changed event is updated in place.
    changed = upload(organizer_api, CALENDAR.replace("Meetup Python", "Meetup Python #2"))
    assert changed.json() == {"created": 0, "updated": 1}
    assert Event.objects.get(uid="meetup-1@autre-outil").title == "Meetup Python #2"
    # And exported again under the same UIDs.
    exported = parse(api.get("/api/v1/actors/cantine/events.ics"))
    assert {str(e["UID"]) for e in exported.walk("VEVENT")} == {"meetup-1@autre-outil", "apero-2@autre-outil"}


@pytest.mark.parametrize(
    ("broken", "line"),
    [
        (CALENDAR.replace("SUMMARY:Apéro mensuel\r\n", "this is not a property\r\n"), 17),
        (CALENDAR.replace("DTSTART:20270506T170000Z", "DTSTART:2027-05-06 soir"), 15),
        (CALENDAR.replace("DTEND;TZID=Europe/Paris:20270415T210000", "DTEND;TZID=Europe/Paris:20270415T180000"), 7),
        (CALENDAR.replace("UID:apero-2@autre-outil\r\n", ""), 13),
        (CALENDAR.replace("END:VEVENT\r\nBEGIN:VEVENT", "BEGIN:VEVENT", 1), 12),
        (CALENDAR.replace("RRULE:FREQ=MONTHLY;BYDAY=1TH", "RRULE:FREQ=SECONDLY"), 18),
        (CALENDAR.replace("GEO:48.11;-1.68", "GEO:98.11;-1.68"), 11),
        ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n", 2),
    ],
)
def test_malformed_import_is_a_400_naming_the_line_and_writes_nothing(organizer_api, rennes, cantine, broken, line):
    response = upload(organizer_api, broken, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400, response.content
    message = response.json()["fields"]["file"][0]
    assert message.startswith(f"line {line}:"), message
    french = upload(organizer_api, broken).json()["fields"]["file"][0]
    assert french.startswith(f"ligne {line} :"), french
    assert not Event.objects.exists()


def test_import_refusals(organizer_api, alice_api, rennes, cantine):
    assert upload(alice_api, CALENDAR).status_code == 400  # not an admin of the organizer
    assert "organizer" in fields_of(upload(organizer_api, CALENDAR, organizer="nobody").json())
    assert "city" in fields_of(upload(organizer_api, CALENDAR, city="atlantis").json())
    assert "file" in fields_of(organizer_api.post("/api/v1/events/import/", {"organizer": "cantine"}, format="multipart").json())
    assert not Event.objects.exists()
    # Another organizer's UID is not taken over.
    upload(organizer_api, CALENDAR)
    other = make_person("other", rennes)
    taken = upload(client_for(other), CALENDAR, organizer="other")
    assert taken.status_code == 400 and "ligne 4" in taken.json()["fields"]["file"][0]
    assert Event.objects.count() == 2
