"""Property 8: oversize input is refused (400 or 413), never accepted, never a 500.

The write operations come from the project's OpenAPI schema: for each one with
a JSON body, every string field gets 100,001 characters and every list 1,001
items, sent as a user with rights on the object (so the answer is about the
input, not about access). A body beyond the upload limit and page sizes in
the billions are checked too.
"""

import pytest
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from events.models import Event
from projects.models import CollaborationRequest, Project, ProjectMember, Visibility
from tests.conftest import client_for, fields_of, make_admin, make_city, make_org, make_person

SCHEMA = SchemaGenerator().get_schema(request=None, public=True)
HUGE_STRING = "x" * 100_001
HUGE_LIST = 1001


def resolve(node: dict) -> dict:
    while "$ref" in node:
        node = SCHEMA["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    if "allOf" in node and len(node["allOf"]) == 1:
        return resolve(node["allOf"][0])
    return node


def oversize(node: dict, depth: int = 0):
    """A value of this schema's shape, as large as it can be made where it can grow."""
    node = resolve(node)
    kind = node.get("type")
    if node.get("readOnly"):
        return None
    if kind == "object" or "properties" in node:
        return {name: oversize(child, depth + 1) for name, child in node.get("properties", {}).items()
                if not resolve(child).get("readOnly")}
    if kind == "array":
        item = oversize(node.get("items", {}), depth + 1) if depth < 3 else "x"
        return [item if item is not None else "x"] * HUGE_LIST
    if kind == "string" and "enum" not in node and node.get("format") not in ("date-time", "date", "uri", "email"):
        return HUGE_STRING
    if kind == "string" and node.get("format") in ("uri", "email"):
        return "https://example.org/" + HUGE_STRING if node["format"] == "uri" else HUGE_STRING + "@example.org"
    if kind == "integer":
        return 10**30
    if "enum" in node:
        return node["enum"][0]
    return None


def write_operations():
    for path, item in SCHEMA["paths"].items():
        for method in ("post", "patch", "put"):
            operation = item.get(method)
            body = (operation or {}).get("requestBody", {}).get("content", {}).get("application/json")
            if not body:
                continue
            value = oversize(body["schema"])
            if isinstance(value, dict) and any(v is not None for v in value.values()):
                yield pytest.param(path, method, value, id=f"{method.upper()} {path}")


KEYS = {"handle": "cantine", "slug": "open-lab", "pk": None, "peer": "nantes", "city": "rennes", "id": None}
BY_PREFIX = {"/api/v1/events/": {"slug": "open-meetup"}, "/api/v1/territories/": {"handle": "bretagne"},
             "/api/v1/cities/": {"handle": "rennes"}}


@pytest.fixture
def owner(db, rennes):
    """alice administers the city, an organization, a project, an event and a territory place."""
    from events.models import Territory, TerritoryCity

    alice = make_person("alice", rennes)
    alice.user.is_staff = True  # a moderator too, so moderation routes answer about the input
    alice.user.save()
    make_admin(alice, rennes)
    cantine = make_org("cantine", rennes)
    make_admin(alice, cantine)
    make_city("nantes")
    project = Project.objects.create(slug="open-lab", title="Open", owner=alice, city=rennes, visibility=Visibility.PUBLIC)
    ProjectMember.objects.create(project=project, actor=alice, role=ProjectMember.Role.OWNER)
    request = CollaborationRequest.objects.create(title="t", message="m", author=alice, to_actor=cantine,
                                                  deadline=timezone.now() + timezone.timedelta(days=3))
    start = timezone.now() + timezone.timedelta(days=3)
    event = Event.objects.create(slug="open-meetup", uid="u@x", title="t", city=rennes, start=start,
                                 end=start + timezone.timedelta(hours=1))
    event.organizers.add(cantine)
    territory = Territory.objects.create(handle="bretagne", name="Bretagne")
    TerritoryCity.objects.create(territory=territory, city=rennes, status=TerritoryCity.Status.ACCEPTED)
    return client_for(alice), request.pk


@pytest.mark.parametrize("path,method,body", list(write_operations()))
def test_oversize_body_is_refused_not_accepted_not_a_crash(owner, path, method, body):
    client, request_pk = owner
    keys = {**KEYS, "pk": str(request_pk), "id": str(request_pk)}
    for prefix, extra in BY_PREFIX.items():
        if path.startswith(prefix):
            keys.update(extra)
    url = path.format(**keys)
    response = getattr(client, method)(url, body, format="json")
    assert response.status_code in (400, 413), (url, response.status_code, response.content[:300])


def test_a_body_beyond_the_upload_limit_is_refused(owner):
    client, _pk = owner
    response = client.post("/api/v1/projects/", {"title": "t", "description": "x" * 3_000_000}, format="json")
    assert response.status_code in (400, 413)
    # A key no serializer reads has no field bound of its own: only the body limit refuses it.
    padded = client.post("/api/v1/projects/", {"title": "t", "padding": "x" * 3_000_000}, format="json")
    assert padded.status_code in (400, 413)
    assert not Project.objects.filter(title="t").exists()


@pytest.fixture
def more_than_a_page(owner, rennes):
    """101 more organizations and projects, so a page size above 100 would show."""
    from profiles.models import Actor

    alice = Actor.objects.get(handle="alice")
    Actor.objects.bulk_create([Actor(handle=f"org{n}", kind=Actor.Kind.ORGANIZATION, name=f"Org {n}", city=rennes,
                                     country="FR", organization_type="association") for n in range(101)])
    Project.objects.bulk_create([Project(slug=f"lab-{n}", title=f"Lab {n}", owner=alice, city=rennes)
                                 for n in range(101)])


@pytest.mark.parametrize("path", ["/api/v1/actors/", "/api/v1/projects/", "/api/v1/collaborations/",
                                  "/api/v1/events/", "/api/v1/feed/", "/api/v1/notifications/",
                                  "/api/v1/actors/rennes/activity/", "/api/v1/search/"])
def test_huge_page_sizes_are_capped_or_refused(owner, path, more_than_a_page):
    client, _pk = owner
    for params in ({"page_size": 10**12}, {"limit": 10**12}, {"page": 10**30}, {"page_size": -1}, {"limit": "x" * 5000}):
        response = client.get(path, params)
        assert response.status_code < 500, (path, params, response.status_code)
        if response.status_code == 200:
            assert len(response.json().get("results", [])) <= 100


@pytest.mark.django_db
def test_nul_characters_are_a_400_everywhere(alice_api, rennes):
    """PostgreSQL text cannot hold NUL: it must be refused, never reach a query."""
    for path, body in [
        ("/api/v1/events/", {"title": "x", "organizers": ["a\x00b"], "start": "2030-01-01T10:00:00+01:00",
                             "end": "2030-01-01T12:00:00+01:00", "timezone": "Europe/Paris", "kind": "meetup"}),
        ("/api/v1/projects/", {"title": "nul\x00title"}),
        ("/api/v1/actors/rennes/members/", {"actor": "bob\x00"}),
        # Refused whole even where no field would look (a key nothing reads, a nested value).
        ("/api/v1/projects/", {"title": "keys", "note\x00": "x"}),
        ("/api/v1/projects/", {"title": "nested", "needs": {"skills": [], "extra": ["a\x00"]}}),
    ]:
        response = alice_api.post(path, body, format="json")
        assert response.status_code == 400, (path, response.status_code)
    assert not Project.objects.exists()


def test_an_oversize_calendar_upload_is_a_400_and_imports_nothing(owner):
    """The .ics import takes at most 1 MB: a larger file is refused whole, even a valid one."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    client, _pk = owner
    event = ("BEGIN:VEVENT\r\nUID:big-{n}@elsewhere\r\nSUMMARY:Atelier {n}\r\nDTSTART:20270304T180000Z\r\n"
             "DTEND:20270304T200000Z\r\nDESCRIPTION:" + "x" * 900 + "\r\nEND:VEVENT\r\n")
    body = "".join(event.format(n=n) for n in range(1200))
    calendar = f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//big//\r\n{body}END:VCALENDAR\r\n".encode()
    assert len(calendar) > 1024 * 1024
    before = Event.objects.count()
    file = SimpleUploadedFile("big.ics", calendar, content_type="text/calendar")
    response = client.post("/api/v1/events/import/", {"file": file, "organizer": "cantine", "city": "rennes"},
                           format="multipart")
    assert response.status_code == 400 and "file" in fields_of(response.json())
    assert Event.objects.count() == before
