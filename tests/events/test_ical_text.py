"""An .ics event reads as a calendar app shows it: DESCRIPTION in plain text, URL where a person goes."""

import icalendar
import pytest

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
