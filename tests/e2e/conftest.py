import itertools

import pytest

from tests.e2e.server import Daphne, Database

_names = itertools.count()
# A browser front-end on another origin that the session's Daphne trusts (CORS_ALLOWED_ORIGINS).
FRONT_ORIGIN = "http://front.localhost:5173"


@pytest.fixture(scope="session")
def e2e_database():
    database = Database()
    yield database
    database.drop()


@pytest.fixture(scope="session")
def server(e2e_database):
    """One Daphne for the session, with small limits so tests can reach them."""
    daphne = Daphne(
        e2e_database,
        env={"WS_RESUME_LIMIT": "20", "WS_FRAME_BURST": "20", "WS_FRAMES_PER_SECOND": "5",
             "CORS_ALLOWED_ORIGINS": FRONT_ORIGIN},
    )
    yield daphne
    daphne.stop()


@pytest.fixture
def unique():
    """A fresh name per call, so tests sharing one server do not collide."""
    return lambda prefix: f"{prefix}{next(_names)}x{id(_names) % 10_000}"
