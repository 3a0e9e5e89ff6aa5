"""An account acting in bad faith, probing from outside with ordinary requests:
header games against the limits, inputs that used to break things, headers
that used to be reflected."""

import json

import pytest
from django.test import Client

from tests.conftest import fields_of, make_person

pytestmark = pytest.mark.django_db

WRONG = {"username": "alice", "password": "not her password"}


@pytest.fixture
def limits(settings):
    from django.core.cache import cache

    cache.clear()
    yield lambda scope, rate: settings.RATE_LIMITS.__setitem__(scope, rate) or None
    cache.clear()


@pytest.fixture(autouse=True)
def own_limits(settings):
    settings.RATE_LIMITS = dict(settings.RATE_LIMITS)


def login(api, body=WRONG, **headers):
    return api.post("/api/v1/auth/token/", body, format="json", **headers)


def test_rotating_x_forwarded_for_does_not_reset_the_address_limit(api, alice, limits):
    limits("login_address", "3/day")
    codes = [login(api, {"username": f"nobody{n}", "password": "x"}, HTTP_X_FORWARDED_FOR=f"10.55.55.{n}").status_code
             for n in range(5)]
    assert codes == [400, 400, 400, 429, 429]


def test_an_account_is_limited_whatever_the_address(api, alice, limits):
    limits("login_account", "3/day")
    codes = [login(api, REMOTE_ADDR=f"192.0.2.{n}").status_code for n in range(4)]
    assert codes == [400, 400, 400, 429]
    # Past the limit even the right password is refused: the answer must not tell.
    right = login(api, {"username": "ALICE", "password": "correct horse battery staple"}, REMOTE_ADDR="192.0.2.99")
    assert right.status_code == 429 and int(right["Retry-After"]) > 0


def test_successful_logins_from_one_address_are_not_counted(api, rennes, limits):
    """A room full of people behind one address logs in together."""
    limits("login_address", "3/day")
    for n in range(6):
        make_person(f"guest{n}", rennes)
        ok = login(api, {"username": f"guest{n}", "password": "correct horse battery staple"})
        assert ok.status_code == 200, ok.content


def test_registration_ignores_forwarded_headers(api, limits):
    limits("register", "2/day")
    codes = [api.post("/api/v1/auth/register/", {
        "username": f"user{n}", "password": "a long enough passphrase", "email": f"u{n}@example.org", "name": "U",
    }, format="json", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}", HTTP_X_REAL_IP=f"10.1.0.{n}").status_code for n in range(3)]
    assert codes == [201, 201, 429]


def test_a_trusted_proxy_names_the_client(api, alice, limits, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.0/8"]
    limits("login_address", "2/day")
    # The client may prepend anything; the proxy appended the address it saw.
    first = [login(api, HTTP_X_FORWARDED_FOR=f"6.6.6.{n}, 198.51.100.7").status_code for n in range(3)]
    assert first == [400, 400, 429]
    assert login(api, HTTP_X_FORWARDED_FOR="198.51.100.8").status_code == 400


def test_the_admin_login_is_limited(alice, limits):
    limits("login_account", "3/day")
    browser = Client()
    codes = [browser.post("/admin/login/", {"username": "alice", "password": f"guess{n}"},
                          HTTP_X_FORWARDED_FOR=f"10.9.9.{n}").status_code for n in range(5)]
    assert codes == [200, 200, 200, 429, 429]


DEEP = "[" * 600 + "]" * 600


@pytest.mark.parametrize("method, path", [("patch", "/api/v1/me/"), ("post", "/api/v1/collaborations/"),
                                          ("post", "/api/v1/auth/token/")])
def test_deeply_nested_json_is_a_400(alice_api, method, path):
    response = getattr(alice_api, method)(path, DEEP, content_type="application/json")
    assert response.status_code == 400, response.content
    # Refused by the depth bound itself, before any serializer reads the body.
    assert response.json()["code"] == "parse_error", response.content


def test_nesting_within_the_bound_still_reaches_the_serializer(alice_api):
    response = alice_api.patch("/api/v1/me/", '{"skills": [[[["python"]]]]}', content_type="application/json")
    assert response.status_code == 400 and "skills" in fields_of(response.json())


@pytest.mark.parametrize("value", ["Alice\u202egpj.exe", "Alice\x07", "Al\x1bice", "\u200b\u200b", "\u200b \ufeff",
                                   "Alice\nBob", "Al\ud800ice"])
def test_names_refuse_control_characters_overrides_and_invisible_text(alice_api, alice, value):
    body = json.dumps({"name": value})  # ASCII escapes: a lone surrogate travels as \\ud800
    response = alice_api.patch("/api/v1/me/", body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert list(response.json()["fields"]) == ["name"]
    alice.refresh_from_db()
    assert alice.name == "Alice"


def test_texts_keep_their_line_breaks_and_refuse_controls_in_nested_fields(alice_api, alice):
    assert alice_api.patch("/api/v1/me/", {"bio": "Line one\nLine two\ttabbed"}, format="json").status_code == 200
    response = alice_api.post("/api/v1/projects/", {
        "title": "Capteurs", "needs": {"skills": [], "partner_kinds": [], "text": "bell\x07"},
    }, format="json")
    assert response.status_code == 400 and list(response.json()["fields"]) == ["needs.text"]


def test_every_answer_carries_a_content_security_policy(api):
    for path in ("/api/v1/actors/", "/api/docs/", "/api/health/", "/admin/login/"):
        policy = api.get(path)["Content-Security-Policy"]
        assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
        assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]


def test_the_docs_have_no_inline_script(api):
    page = api.get("/api/docs/").content.decode()
    assert "<script>" not in page.replace(" ", "")
    assert 'src="' in page


def test_a_body_beyond_the_upload_limit_is_a_json_413(api):
    response = api.post("/api/v1/auth/token/", {"username": "a", "password": "x" * 1_100_000}, format="json")
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json" and "detail" in response.json()


def test_a_server_error_under_the_api_is_json(rf):
    from novosphere.api.fallback import server_error

    response = server_error(rf.get("/api/v1/actors/"))
    assert response.status_code == 500 and response["Content-Type"] == "application/json"
    assert b"detail" in response.content
    assert b"<html" in server_error(rf.get("/admin/")).content.lower()


def test_a_forged_port_and_scheme_are_not_reflected_in_links(api, rennes, settings):
    from tests.conftest import make_org

    settings.PUBLIC_URL = ""  # links from the Host header's name and the port the connection came in on
    for n in range(3):
        make_org(f"org{n}", rennes)
    page = api.get("/api/v1/actors/?page_size=1", HTTP_HOST="localhost:6666", HTTP_X_FORWARDED_PROTO="https",
                   SERVER_PORT="8000").json()
    assert page["next"].startswith("http://localhost:8000/api/v1/actors/")


def test_links_come_from_public_url_when_set(api, rennes, settings):
    from tests.conftest import make_org

    settings.PUBLIC_URL = "https://rennes.example.org"
    for n in range(3):
        make_org(f"org{n}", rennes)
    page = api.get("/api/v1/actors/?page_size=1", HTTP_HOST="localhost:6666").json()
    assert page["next"].startswith("https://rennes.example.org/api/v1/actors/")


FORGED = {"HTTP_HOST": "localhost:6666", "HTTP_X_FORWARDED_PROTO": "https", "HTTP_X_FORWARDED_PORT": "6666",
          "HTTP_X_FORWARDED_HOST": "evil.example", "SERVER_PORT": "8000"}


def unfolded(response) -> str:
    return response.content.decode().replace("\r\n ", "")  # iCalendar folds long lines


def calendar_world(rennes):
    from datetime import timedelta

    from django.utils import timezone

    from events.models import Event

    start = timezone.now() + timedelta(days=3)
    event = Event.objects.create(slug="apero", uid="apero@test", title="Apéro", city=rennes, start=start,
                                 end=start + timedelta(hours=2), venue_name="Le Bar")
    event.organizers.add(rennes)
    return event


def test_a_forged_port_and_scheme_are_not_reflected_in_calendars_and_feeds(api, rennes, settings):
    settings.PUBLIC_URL = ""
    settings.FRONTEND_URL = ""  # an event's URL is then its page in the API
    calendar_world(rennes)
    for path in ("/api/v1/cities/rennes/events.ics", "/api/v1/events/apero.ics"):
        body = unfolded(api.get(path, **FORGED))
        assert "URL:http://localhost:8000/api/v1/events/apero/\r\n" in body, (path, body)
        assert "6666" not in body and "https://" not in body and "evil.example" not in body
    feed = api.get("/api/v1/cities/rennes/activity.atom", **FORGED)
    assert feed.status_code == 200
    text = feed.content.decode()
    assert "http://localhost:8000/api/v1/cities/rennes/activity.atom" in text
    assert "6666" not in text and "https://localhost" not in text and "evil.example" not in text


def test_calendars_and_feeds_link_to_public_url_when_set(api, rennes, settings):
    settings.PUBLIC_URL = "https://rennes.example.org"
    settings.FRONTEND_URL = ""
    calendar_world(rennes)
    body = unfolded(api.get("/api/v1/cities/rennes/events.ics", **FORGED))
    assert "URL:https://rennes.example.org/api/v1/events/apero/\r\n" in body
    text = api.get("/api/v1/cities/rennes/activity.atom", **FORGED).content.decode()
    assert "https://rennes.example.org/api/v1/cities/rennes/activity.atom" in text and "localhost" not in text


def test_password_resets_are_limited_per_address_whatever_the_headers(api, limits):
    limits("login", "2/day")  # the per-client scope of the reset views, beside the per-e-mail limit
    codes = [api.post("/api/v1/auth/password/reset/", {"email": f"n{n}@example.org"}, format="json",
                      HTTP_X_FORWARDED_FOR=f"10.7.7.{n}", HTTP_X_REAL_IP=f"10.8.8.{n}").status_code for n in range(4)]
    assert codes == [202, 202, 429, 429]


def recurring_calendar(count: int) -> str:
    events = "".join(
        f"BEGIN:VEVENT\r\nUID:serie-{n}@ailleurs\r\nDTSTART:20270101T090000Z\r\nDURATION:PT1H\r\n"
        f"SUMMARY:Chaque jour {n}\r\nRRULE:FREQ=DAILY\r\nLOCATION:Salle {n}\r\nEND:VEVENT\r\n"
        for n in range(count)
    )
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Ailleurs//FR\r\n{events}END:VCALENDAR\r\n"


def test_a_calendar_import_cannot_carry_more_series_than_the_organizer_may_keep(alice_api, alice, rennes, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from events.models import Event

    settings.EVENTS_MAX_RECURRING_PER_ORGANIZER = 3

    def upload(count):
        file = SimpleUploadedFile("serie.ics", recurring_calendar(count).encode(), content_type="text/calendar")
        return alice_api.post("/api/v1/events/import/", {"file": file, "organizer": "alice", "city": "rennes"},
                              format="multipart")

    refused = upload(4)
    assert refused.status_code == 400 and list(refused.json()["fields"]) == ["file"]
    assert not Event.objects.exists()  # all or nothing
    assert upload(3).json() == {"created": 3, "updated": 0}


def test_a_name_with_line_breaks_does_not_break_a_calendar(api, rennes):
    from profiles.models import Actor

    Actor.objects.filter(pk=rennes.pk).update(name="Rennes\r\nX-INJECTED:1")  # as old data or the admin may hold
    response = api.get("/api/v1/cities/rennes/events.ics")
    assert response.status_code == 200
    body = response.content.decode()
    assert "X-WR-CALNAME:Rennes\\nX-INJECTED:1\r\n" in body
    assert "\r\nX-INJECTED" not in body


def test_a_taken_slug_gets_a_free_one_without_telling_a_hidden_project_exists(alice_api, bob_api):
    secret = alice_api.post("/api/v1/projects/", {"title": "Secret", "slug": "labo", "visibility": "private"},
                            format="json").json()["slug"]
    assert bob_api.get(f"/api/v1/projects/{secret}/").status_code == 404
    mine = bob_api.post("/api/v1/projects/", {"title": "Mon labo", "slug": "labo"}, format="json")
    assert mine.status_code == 201 and mine.json()["slug"] not in ("labo",)
    assert mine.json()["slug"].startswith("labo-")


def test_an_event_slug_is_taken_the_same_way(alice_api, alice, rennes):
    body = {"title": "Apéro", "slug": "apero", "kind": "meetup", "organizers": ["alice"], "city": "rennes",
            "online_url": "https://visio.example.org/a", "start": "2030-05-01T18:00:00+02:00",
            "end": "2030-05-01T20:00:00+02:00", "timezone": "Europe/Paris", "visibility": "private"}
    first = alice_api.post("/api/v1/events/", body, format="json")
    assert first.status_code == 201, first.content
    second = client_for_new_person(rennes).post("/api/v1/events/", {**body, "organizers": ["zed"]}, format="json")
    assert second.status_code == 201, second.content
    assert second.json()["slug"] != "apero"


def client_for_new_person(city):
    from tests.conftest import client_for

    return client_for(make_person("zed", city))


def request_body(**extra):
    return {"title": "Cherche", "message": "Un mot secret: azalée", "kind": "partnership",
            "needs": {"skills": [], "sectors": []}, "deadline": "2030-01-01T00:00:00+00:00", **extra}


def test_origin_city_is_one_of_the_authors_cities(alice_api, alice, bob, quebec):
    refused = alice_api.post("/api/v1/collaborations/", request_body(to_actor="bob", origin_city="quebec"),
                             format="json")
    assert refused.status_code == 400 and "origin_city" in fields_of(refused.json())
    assert alice_api.post("/api/v1/collaborations/", request_body(to_actor="bob", origin_city="rennes"),
                          format="json").status_code == 201
    from tests.conftest import make_admin

    make_admin(alice, quebec)  # a member of Québec may speak from there
    assert alice_api.post("/api/v1/collaborations/", request_body(to_actor="bob", origin_city="quebec"),
                          format="json").status_code == 201


def test_the_text_of_a_response_is_read_by_the_author_the_target_and_the_responder_only(
    alice_api, bob_api, api, rennes
):
    from tests.conftest import client_for

    carol, eve = make_person("carol", rennes), make_person("eve", rennes)
    request_id = alice_api.post("/api/v1/collaborations/", request_body(to_city="rennes"),
                                format="json").json()["id"]
    carol_api, eve_api = client_for(carol), client_for(eve)
    assert carol_api.post(f"/api/v1/collaborations/{request_id}/responses/", {"message": "Offre de carol"},
                          format="json").status_code == 201
    assert eve_api.post(f"/api/v1/collaborations/{request_id}/responses/", {"message": "Offre d'eve"},
                        format="json").status_code == 201

    def read(client):
        return sorted(item["message"] for item in client.get(f"/api/v1/collaborations/{request_id}/responses/")
                      .json()["results"])

    assert read(alice_api) == ["Offre d'eve", "Offre de carol"]
    assert read(carol_api) == ["Offre de carol"]
    assert read(bob_api) == [] and read(api) == []
    assert api.get(f"/api/v1/collaborations/{request_id}/").json()["responses_count"] == 2
    stream = alice_api.get("/api/v1/cities/rennes/activity/").json()["results"] + \
        alice_api.get("/api/v1/actors/carol/activity/").json()["results"]
    assert "Offre" not in json.dumps(stream)


def test_remote_images_in_markdown_are_not_embedded(alice_api):
    slug = alice_api.post("/api/v1/projects/", {"title": "Atelier"}, format="json").json()["slug"]
    update = alice_api.post(f"/api/v1/projects/{slug}/updates/",
                            {"body": "Voici ![notre photo](https://tracker.example/pixel.gif)"}, format="json").json()
    assert "<img" not in update["html"]
    assert '<a href="https://tracker.example/pixel.gif" rel="noopener noreferrer">notre photo</a>' in update["html"]


def daily_event(n: int, organizer: str = "alice") -> dict:
    return {"title": f"Chaque jour {n}", "kind": "meetup", "organizers": [organizer], "city": "rennes",
            "online_url": "https://visio.example.org/a", "start": "2027-01-01T09:00:00+01:00",
            "end": "2027-01-01T10:00:00+01:00", "timezone": "Europe/Paris", "recurrence": "FREQ=DAILY"}


def test_recurring_events_are_bounded_per_organizer_and_per_list(alice_api, api, settings):
    settings.EVENTS_MAX_RECURRING_PER_ORGANIZER = 3
    settings.EVENTS_MAX_OCCURRENCES_PER_LIST = 50
    codes = [alice_api.post("/api/v1/events/", daily_event(n), format="json").status_code for n in range(4)]
    assert codes == [201, 201, 201, 400]
    one_off = {**daily_event(9), "recurrence": None}
    assert alice_api.post("/api/v1/events/", one_off, format="json").status_code == 201
    page = api.get("/api/v1/events/", {"from": "2027-01-01", "to": "2029-12-31", "page_size": 100}).json()
    # The earliest 50 entries, in time order, whatever the series' length.
    assert page["count"] == 50 and len(page["results"]) == 50
    starts = [item["start"] for item in page["results"]]
    assert starts == sorted(starts) and starts[-1].startswith("2027-01-17")  # 4 the first day, then 3 a day
