"""Property 10: the API survives its own schema, fuzzed.

schemathesis reads /api/schema/ from the application itself (WSGI, in this
process, so pytest-django's database applies) and, for every operation, sends
a few generated requests with a real token: no answer is a 5xx, and every
answer matches what the schema documents.
"""

import os
from datetime import timedelta

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from django.utils import timezone
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
)

from events.models import Event
from projects.models import CollaborationRequest, Project, ProjectMember
from tests.conftest import make_admin, make_org, make_person, token_for

# Bounded to keep the suite quick; FUZZ_EXAMPLES=20 makes a deeper run by hand.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "2"))
app = get_wsgi_application()
schema = schemathesis.openapi.from_wsgi("/api/schema/", app)


@pytest.fixture
def keep_test_connection():
    """Django closes the database connection when a WSGI request ends; that would end the
    test's transaction (PostgreSQL fails every later query). The test client avoids it
    the same way: by not listening for those signals while a test runs."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def token(db, rennes, keep_test_connection):
    """A person who administers an organization and the city, so writes get past "not yours",
    and one object of each kind, so lists hold something whose shape is checked."""
    alice = make_person("alice", rennes)
    make_admin(alice, rennes)
    cantine = make_org("cantine", rennes)
    make_admin(alice, cantine)
    project = Project.objects.create(slug="open-lab", title="Open", owner=alice, city=rennes)
    ProjectMember.objects.create(project=project, actor=alice, role=ProjectMember.Role.OWNER)
    CollaborationRequest.objects.create(title="t", message="m", author=alice, to_actor=cantine,
                                        deadline=timezone.now() + timedelta(days=3))
    start = timezone.now() + timedelta(days=3)
    event = Event.objects.create(slug="open-meetup", uid="u@x", title="t", city=rennes, start=start,
                                 end=start + timedelta(hours=1))
    event.organizers.add(cantine)
    return token_for(alice)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case, token):
    case.headers = {**(case.headers or {}), "Authorization": f"Token {token}"}
    # Undocumented 4xx codes (404 for a generated key, 400 for bad input) are a documentation
    # gap, not a fault: the checks are no 5xx and bodies that match their schema.
    case.call_and_validate(checks=[not_a_server_error, response_schema_conformance, content_type_conformance])
