"""Property 9: nothing executable survives any field that renders markdown.

Every payload goes in through the API, as a user would post it, and the HTML
that clients will insert into pages is parsed: no scripting tag, no event
handler or style attribute, links and images only to http, https or mailto,
and every link opens with rel="noopener noreferrer".
"""

from datetime import UTC, datetime
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from tests.conftest import make_admin, make_org

pytestmark = pytest.mark.django_db

XSS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    '<img src=x onerror="alert(1)">',
    '<a href="javascript:alert(1)">x</a>',
    "<svg onload=alert(1)><circle/></svg>",
    '<iframe src="javascript:alert(1)"></iframe>',
    '<object data="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="></object>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](javascript&#58;alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](vbscript:msgbox(1))",
    "[x](  javascript:alert(1)  )",
    "[x](java\tscript:alert(1))",
    "![x](javascript:alert(1))",
    '![x](https://ok.example/a.png"onerror="alert(1))',
    "[[x](javascript:alert(1))](https://ok.example)",
    "[x](https://ok.example \"title\" onmouseover=alert(1))",
    "<javascript:alert(1)>",
    "<https://ok.example/\"onmouseover=\"alert(1)>",
    "[x]: javascript:alert(1)\n\n[x]",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "<scr<script>ipt>alert(1)</script>",
    "<a href='https://ok.example' onclick='alert(1)'>x</a>",
    "<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
    "<form action=javascript:alert(1)><input type=submit></form>",
    "<meta http-equiv=refresh content='0;url=javascript:alert(1)'>",
    "<base href=javascript:alert(1)//>",
    "`<script>` stays code and [fine](https://ok.example/p?q=1)",
    "<details open ontoggle=alert(1)>",
    "<a href=\"&#x6A;avascript:alert(1)\">x</a>",
]
CORPUS = "\n\n".join(XSS)

FORBIDDEN_TAGS = {"script", "iframe", "object", "embed", "svg", "math", "style", "form", "input", "base",
                  "meta", "link", "details", "frame", "frameset", "applet"}
SAFE_SCHEMES = {"http", "https", "mailto"}


class Audit(HTMLParser):
    """Collects whatever in the HTML could run, and every link's rel."""

    def __init__(self, schemes=frozenset(SAFE_SCHEMES)):
        super().__init__()
        self.schemes = schemes
        self.problems: list[str] = []
        self.links: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in FORBIDDEN_TAGS:
            self.problems.append(f"tag <{tag}>")
        for name, value in attrs.items():
            if name.startswith("on") or name in ("style", "srcdoc", "formaction", "xlink:href"):
                self.problems.append(f"attribute {name} on <{tag}>")
            if name in ("href", "src", "action", "data"):
                scheme = urlsplit((value or "").strip()).scheme.lower()
                if scheme not in self.schemes:
                    self.problems.append(f"{name}={value!r} on <{tag}>")
        if tag == "a":
            self.links.append(attrs)


def audit(html: str, schemes=frozenset(SAFE_SCHEMES)) -> Audit:
    parser = Audit(schemes)
    parser.feed(html)
    parser.close()
    return parser


def assert_safe(html: str):
    found = audit(html)
    assert found.problems == [], html
    assert found.links, "the corpus holds good links: they must still render"
    assert all(link.get("rel") == "noopener noreferrer" for link in found.links), found.links


@pytest.fixture
def project(alice_api):
    response = alice_api.post("/api/v1/projects/", {"title": "Labo", "stage": "idea"}, format="json")
    return response.json()["slug"]


def test_project_update_html_is_safe(alice_api, project):
    response = alice_api.post(f"/api/v1/projects/{project}/updates/", {"body": CORPUS}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["body"] == CORPUS  # kept as written
    assert_safe(response.json()["html"])
    listed = alice_api.get(f"/api/v1/projects/{project}/updates/").json()["results"][0]["html"]
    assert_safe(listed)


def test_each_payload_alone_in_a_project_update(alice_api, project):
    # Alone, a payload cannot lean on its neighbours (a reference definition, an open tag).
    for payload in XSS:
        response = alice_api.post(f"/api/v1/projects/{project}/updates/", {"body": payload}, format="json")
        assert response.status_code == 201, response.content
        found = audit(response.json()["html"])
        assert found.problems == [], (payload, response.json()["html"])
        assert all(link.get("rel") == "noopener noreferrer" for link in found.links), payload


def test_event_description_html_is_safe_on_create_and_edit(alice, alice_api, rennes):
    make_admin(alice, make_org("cantine", rennes))
    body = {
        "title": "Atelier", "description": CORPUS, "kind": "workshop", "organizers": ["cantine"], "city": "rennes",
        "online_url": "https://ok.example/live", "start": "2027-03-04T19:00:00+01:00",
        "end": "2027-03-04T21:00:00+01:00", "timezone": "Europe/Paris",
    }
    created = alice_api.post("/api/v1/events/", body, format="json")
    assert created.status_code == 201, created.content
    assert_safe(created.json()["description_html"])
    slug = created.json()["slug"]
    edited = alice_api.patch(f"/api/v1/events/{slug}/", {"description": "\n\n".join(reversed(XSS))}, format="json")
    assert edited.status_code == 200, edited.content
    assert_safe(edited.json()["description_html"])
    assert_safe(alice_api.get(f"/api/v1/events/{slug}/").json()["description_html"])


def test_imported_calendar_descriptions_are_safe(alice, alice_api, rennes):
    """An .ics from another tool carries its own description: it is rendered like any other."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from icalendar import Calendar, Event

    make_admin(alice, make_org("cantine", rennes))
    calendar = Calendar()
    calendar.add("prodid", "-//test//xss//")
    calendar.add("version", "2.0")
    event = Event()
    event.add("uid", "xss-1@elsewhere")
    event.add("summary", "<script>alert(1)</script>")
    event.add("description", CORPUS)
    event.add("dtstart", datetime(2027, 3, 4, 18, tzinfo=UTC))
    event.add("dtend", datetime(2027, 3, 4, 20, tzinfo=UTC))
    calendar.add_component(event)
    file = SimpleUploadedFile("x.ics", calendar.to_ical(), content_type="text/calendar")
    response = alice_api.post("/api/v1/events/import/", {"file": file, "organizer": "cantine", "city": "rennes"},
                              format="multipart")
    assert response.status_code == 200, response.content
    listed = alice_api.get("/api/v1/events/").json()["results"]
    assert len(listed) == 1
    assert_safe(listed[0]["description_html"])


def test_the_sanitizer_alone_holds_against_raw_html():
    """markdown-it escapes raw HTML and refuses `javascript:` links itself, so the payloads above
    never reach nh3 unescaped: the second pass is checked here on its own, with the payloads as
    HTML, as it would receive them if the renderer ever let HTML through."""
    from novosphere.rendering import sanitize_html

    for payload in [*XSS, '<a href="https://ok.example/">ok</a>']:
        html = sanitize_html(payload)
        found = audit(html, SAFE_SCHEMES | {""})  # a relative URL (`src="x"`) runs nothing
        assert found.problems == [], (payload, html)
        assert all(link.get("rel") == "noopener noreferrer" for link in found.links), (payload, html)
    assert audit(sanitize_html('<a href="https://ok.example/">ok</a>')).links  # good links survive


def test_raw_html_in_markdown_is_shown_as_the_text_written_never_as_markup(alice_api, project):
    # Markdown never interprets raw HTML: it reaches the sanitizer already escaped, so what a
    # person typed reads as they typed it (the sanitizer alone would drop it silently).
    body = 'Balises <b onclick="x()">grasses</b> et <span style="color:red">rouges</span>'
    html = alice_api.post(f"/api/v1/projects/{project}/updates/", {"body": body}, format="json").json()["html"]
    assert '&lt;b onclick="x()"&gt;grasses&lt;/b&gt;' in html
    assert "<b" not in html and "<span" not in html
