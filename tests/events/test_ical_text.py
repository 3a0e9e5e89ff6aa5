"""An .ics event reads as a calendar app shows it: DESCRIPTION in plain text, URL where a person goes."""

import icalendar
import pytest

from events.models import Event

pytestmark = pytest.mark.django_db

MARKDOWN = (
    "# Programme\n\nVenez **nombreux** à [la Cantine](https://cantine.example.org) !\n\n"
    "- des *talks*\n- des `crêpes`\n\n1. accueil\n2. démos\n\n<script>alert(1)</script>"
)


def vevent(client, path):
    response = client.get(path)
    assert response.status_code == 200, response.content
    (event,) = icalendar.Calendar.from_ical(response.content).walk("VEVENT")
    return event


def test_description_is_the_markdown_as_plain_text(api, post_event):
    slug = post_event(description=MARKDOWN)["slug"]
    description = str(vevent(api, f"/api/v1/events/{slug}.ics")["DESCRIPTION"])
    assert description == (
        "Programme\n\nVenez nombreux à la Cantine (https://cantine.example.org) !\n\n"
        "• des talks\n• des crêpes\n\n1. accueil\n2. démos\n\n<script>alert(1)</script>"
    )
    for markup in ("**", "# ", "](", "`", "<p>", "<strong>"):
        assert markup not in description


def test_the_same_text_in_the_city_and_actor_feeds(api, post_event):
    post_event(description="Un **atelier**")
    for path in ("/api/v1/cities/rennes/events.ics", "/api/v1/actors/cantine/events.ics"):
        assert str(vevent(api, path)["DESCRIPTION"]) == "Un atelier"


def test_an_online_event_keeps_its_link_in_the_text(api, post_event):
    slug = post_event(venue=None, online_url="https://meet.example.org/apero", description="Un *webinaire*")["slug"]
    event = vevent(api, f"/api/v1/events/{slug}.ics")
    assert str(event["LOCATION"]) == "https://meet.example.org/apero"
    assert str(event["DESCRIPTION"]) == "Un webinaire\n\nEn ligne : https://meet.example.org/apero"
    english = vevent(api.__class__(HTTP_ACCEPT_LANGUAGE="en"), f"/api/v1/events/{slug}.ics")
    assert str(english["DESCRIPTION"]).endswith("Online: https://meet.example.org/apero")


def test_url_is_the_api_url_of_the_event_without_a_front_end(api, post_event, settings):
    settings.FRONTEND_URL = ""
    slug = post_event(venue=None, online_url="https://meet.example.org/apero")["slug"]
    url = str(vevent(api, f"/api/v1/events/{slug}.ics")["URL"])
    assert url == f"{settings.PUBLIC_URL}/api/v1/events/{slug}/"
    assert api.get(url.removeprefix(settings.PUBLIC_URL)).json()["slug"] == slug  # it leads to the event


def test_url_points_at_the_front_end_when_it_is_set(api, post_event, settings):
    settings.FRONTEND_URL = "https://rennes.example.org"
    slug = post_event()["slug"]
    assert str(vevent(api, f"/api/v1/events/{slug}.ics")["URL"]) == f"https://rennes.example.org/events/{slug}/"
    settings.FRONTEND_EVENT_PATH = "/agenda/{slug}"
    assert str(vevent(api, "/api/v1/cities/rennes/events.ics")["URL"]) == f"https://rennes.example.org/agenda/{slug}"


@pytest.mark.parametrize(("name", "value"), [
    ("FRONTEND_URL", "rennes.example.org"),
    ("FRONTEND_URL", "ftp://rennes.example.org"),
    ("FRONTEND_EVENT_PATH", "/events/"),
    ("FRONTEND_EVENT_PATH", "events/{slug}/"),
])
def test_a_bad_front_end_setting_stops_the_start(name, value):
    import subprocess
    import sys

    started = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={"DJANGO_SETTINGS_MODULE": "tests.settings", name: value, "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=60,
    )
    assert started.returncode != 0
    assert "ImproperlyConfigured" in started.stderr and name in started.stderr


def test_an_imported_event_without_a_place_has_it_to_be_announced(api, organizer_api, post_event, settings):
    from tests.events.test_ical import upload

    calendar = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Autre//FR\r\nBEGIN:VEVENT\r\nUID:sans-lieu@autre\r\n"
        "DTSTART;TZID=Europe/Paris:20270415T190000\r\nDTEND;TZID=Europe/Paris:20270415T210000\r\n"
        "SUMMARY:Rencontre sans lieu\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    assert upload(organizer_api, calendar).json() == {"created": 1, "updated": 0}
    slug = api.get("/api/v1/events/").json()["results"][0]["slug"]
    assert api.get(f"/api/v1/events/{slug}/").json()["place"] == "to_be_announced"


@pytest.mark.parametrize("front_end", ["", "https://rennes.example.org"])
def test_our_own_export_imports_back_with_its_place_still_to_be_announced(api, organizer_api, post_event, settings,
                                                                         front_end):
    """Our URL is the event's page, not a link to meet online: it does not come back as `online_url`."""
    from tests.events.test_ical import upload

    settings.FRONTEND_URL = front_end
    slug = post_event(venue=None, title="À annoncer")["slug"]
    exported = api.get(f"/api/v1/events/{slug}.ics").content.decode()
    moved = exported.replace(f"UID:{Event.objects.get(slug=slug).uid}", "UID:copie@ailleurs")
    assert upload(organizer_api, moved).json() == {"created": 1, "updated": 0}
    copy = Event.objects.get(uid="copie@ailleurs")
    assert copy.online_url == "" and copy.place == "to_be_announced"
