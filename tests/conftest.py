"""Shared fixtures: an API client, people with tokens, cities and organizations.

Tests that need PostgreSQL or Redis skip with a reason that starts with
"needs PostgreSQL" / "needs Redis" when the service is not there; under
CI=true such a skip fails the whole run (see pytest_sessionfinish).
"""

import os

import pytest
from django.db import connection
from knox.models import AuthToken
from rest_framework.test import APIClient

from profiles.models import Actor, CityLink, Membership, User

SERVICE_SKIP_PREFIXES = ("needs PostgreSQL", "needs Redis")
_service_skips: list[str] = []


# What makes a test touch a database: pytest-django's fixtures, the e2e servers (a
# Daphne on a database of its own) and anything a module starts in a subprocess or
# reads of the database settings (its file is searched for these words).
DATABASE_FIXTURES = {"db", "transactional_db", "django_db_setup", "live_server", "server", "e2e_database"}
DATABASE_WORDS = ("subprocess", "DATABASE", "connection", "Daphne", "Database(", "manage.py", "call_command")
_module_touches_database: dict[str, bool] = {}


def touches_database(item) -> bool:
    if item.get_closest_marker("django_db") or item.get_closest_marker("e2e"):
        return True
    if DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())):
        return True
    from django.test import TransactionTestCase

    if getattr(item, "cls", None) and issubclass(item.cls, TransactionTestCase):
        return True
    path = str(item.path)
    if path not in _module_touches_database:
        source = item.path.read_text()
        _module_touches_database[path] = any(word in source for word in DATABASE_WORDS)
    return _module_touches_database[path]


def pytest_collection_modifyitems(config, items):
    # A test that needs Redis is marked so, whichever fixture brings it in: `make test`
    # runs those once, on the PostgreSQL half (the scale stack is PostgreSQL + Redis).
    for item in items:
        if "redis_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.redis)
    # A test that touches no database gives the same answer on both halves: `make test`
    # runs it once, on the SQLite half. Every test that touches one runs on both.
    if os.environ.get("TEST_EVERY_BACKEND") == "true":
        return
    if connection.vendor == "postgresql":
        once = [item for item in items if not item.get_closest_marker("redis") and not touches_database(item)]
    else:
        # A test on a PostgreSQL cluster of its own (tests/faults) does not use the suite's
        # database either: it runs once, on the PostgreSQL half.
        once = [item for item in items if "private_postgres" in getattr(item, "fixturenames", ())]
    if once:
        config.hook.pytest_deselected(items=once)
        kept = set(map(id, once))
        items[:] = [item for item in items if id(item) not in kept]


def _walk_the_static_finders_once():
    """Django's test client builds the middleware anew for each client, and WhiteNoise (with
    WHITENOISE_USE_FINDERS, as the service runs) walks every finder's files then: some 60 ms
    and 400 files each time, a quarter of an API test's time. The files do not change during
    a run: each process walks them once per WhiteNoise configuration and hands every later
    client's WhiteNoise the same answers (the same headers, the same files)."""
    from django.conf import settings
    from whitenoise.middleware import WhiteNoiseMiddleware

    walk = WhiteNoiseMiddleware.add_files_from_finders
    walked: dict[tuple, dict] = {}

    def add_files_from_finders(self):
        key = (self.static_prefix, self.max_age, self.allow_all_origins, self.charset, self.index_file,
               repr(self.media_types.types_map), tuple(settings.INSTALLED_APPS), repr(settings.STATICFILES_DIRS),
               repr(getattr(settings, "WHITENOISE_ADD_HEADERS_FUNCTION", None)),
               repr(getattr(settings, "WHITENOISE_IMMUTABLE_FILE_TEST", None)))
        if key not in walked:
            before, self.files = self.files, {}
            walk(self)
            walked[key], self.files = self.files, before
        self.files.update(walked[key])

    WhiteNoiseMiddleware.add_files_from_finders = add_files_from_finders


_walk_the_static_finders_once()


def pytest_runtest_logreport(report):
    if report.skipped and isinstance(report.longrepr, tuple):
        reason = str(report.longrepr[2])
        if any(prefix in reason for prefix in SERVICE_SKIP_PREFIXES):
            _service_skips.append(f"{report.nodeid}: {reason}")


def pytest_sessionfinish(session, exitstatus):
    if os.environ.get("CI") == "true" and _service_skips:
        print("\nCI: tests that need PostgreSQL or Redis were skipped:")
        for line in _service_skips:
            print("  " + line)
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter):
    terminalreporter.write_line(f"database under test: {connection.vendor}")


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def layer(settings):
    """An in-memory channel layer for this test, whatever the settings say."""
    from channels.layers import get_channel_layer

    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    return get_channel_layer()


@pytest.fixture
def redis_url():
    """The Redis server's URL; skips (and fails CI) when none answers."""
    import redis

    # TEST_REDIS_URL lets parallel checkouts each take their own Redis database.
    url = os.environ.get("TEST_REDIS_URL") or os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"needs Redis at {url}")
    return url


# The builders write straight to the tables, and index what they write as the
# services do (search.sync.index_on_commit), so search sees them after commit;
# the actors they make are counted on the map as the services count them.


def indexed(*objects):
    from profiles.services import cities_of, recount_cities
    from search.sync import index_on_commit

    index_on_commit(*objects)
    recount_cities(cities=cities_of(*(thing for thing in objects if isinstance(thing, Actor))))
    return objects[0]


def make_city(handle: str, name: str | None = None, country: str = "FR", **fields) -> Actor:
    return indexed(Actor.objects.create(
        handle=handle, kind=Actor.Kind.CITY, name=name or handle.title(), country=country, **fields
    ))


def make_org(handle: str, city: Actor | None = None, **fields) -> Actor:
    fields.setdefault("organization_type", "association")
    return indexed(Actor.objects.create(
        handle=handle, kind=Actor.Kind.ORGANIZATION, name=handle.title(), city=city,
        country=city.country if city else "FR", **fields,
    ))


def make_person(username: str, city: Actor | None = None, **fields) -> Actor:
    user = User.objects.create_user(username=username, password="correct horse battery staple")
    return indexed(Actor.objects.create(
        handle=username, kind=Actor.Kind.PERSON, user=user, name=username.title(), city=city,
        country=city.country if city else "FR", **fields,
    ))


def fields_of(body: dict) -> set[str]:
    """The top-level fields a validation error names (`venue.latitude` names `venue`)."""
    return {name.split(".")[0] for name in body.get("fields", {})}


def token_for(actor: Actor) -> str:
    _instance, token = AuthToken.objects.create(actor.user)
    return token


def client_for(actor: Actor) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(actor)}")
    return client


def link_cities(a: Actor, b: Actor, accepted: bool = True) -> CityLink:
    return indexed(CityLink.objects.create(
        from_city=a, to_city=b, status=CityLink.Status.ACCEPTED if accepted else CityLink.Status.PENDING
    ))


def make_admin(person: Actor, group: Actor) -> Membership:
    return indexed(Membership.objects.create(person=person, group=group, role=Membership.Role.ADMIN))


@pytest.fixture
def rennes(db):
    return make_city("rennes", "Rennes", region="Bretagne", latitude=48.1173, longitude=-1.6778)


@pytest.fixture
def quebec(db):
    return make_city("quebec", "Québec", country="CA", region="Québec", latitude=46.8139, longitude=-71.208)


@pytest.fixture
def alice(rennes):
    return make_person("alice", rennes)


@pytest.fixture
def bob(rennes):
    return make_person("bob", rennes)


@pytest.fixture
def alice_api(alice):
    return client_for(alice)


@pytest.fixture
def bob_api(bob):
    return client_for(bob)


def invite_and_accept(inviter, members_path: str, handle: str, role: str):
    """POST `{actor, role}` to a members list; an invitation is then accepted by the invitee
    (an organization: by one of its admins). Answers the POST's response."""
    response = inviter.post(members_path, {"actor": handle, "role": role}, format="json")
    if response.status_code == 201 and response.json().get("status") == "invited":
        invitee = Actor.objects.get(handle=handle)
        if invitee.kind != Actor.Kind.PERSON:
            invitee = Actor.objects.filter(memberships__group=invitee, memberships__role="admin").first()
        accepted = client_for(invitee).post(f"{members_path}{handle}/accept/")
        assert accepted.status_code == 200, accepted.content
    return response
