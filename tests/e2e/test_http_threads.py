"""HTTP requests on the server's thread pool (novosphere/http_handler.py), over a real Daphne."""

import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.e2e.server import Daphne, Database


@pytest.fixture
def narrow_server():
    """Four request threads, and (on PostgreSQL) a pool of two connections that makes a
    request wait one second at most: a thread that kept its connection after its
    request would leave the others none."""
    database = Database()
    server = Daphne(database, env={"HTTP_THREADS": "4", "DATABASE_POOL_MAX": "2", "DATABASE_POOL_TIMEOUT": "1",
                                   "READ_CACHE_SECONDS": "0"})
    yield server
    server.stop()
    database.drop()


def test_concurrent_requests_share_the_threads_and_give_their_connections_back(narrow_server):
    token = narrow_server.register("camille")
    for n in range(6):
        status, _project = narrow_server.request(
            "POST", "/api/v1/projects/", {"title": f"Atelier {n}", "slug": f"atelier-{n}"}, token=token)
        assert status == 201

    def read(n: int) -> tuple[int, int]:
        request = urllib.request.Request(f"{narrow_server.base}/api/v1/projects/?page_size={1 + n % 6}")
        request.add_header("Authorization", f"Token {token}")
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, len(response.read())

    with ThreadPoolExecutor(max_workers=12) as clients:
        answers = list(clients.map(read, range(120)))
    assert all(status == 200 for status, _size in answers)
    status, page = narrow_server.request("GET", "/api/v1/projects/", token=token)
    assert status == 200 and {item["title"] for item in page["results"]} >= {f"Atelier {n}" for n in range(6)}
    assert "Traceback" not in narrow_server.logs()
