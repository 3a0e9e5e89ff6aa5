"""PostgreSQL stops under a running Daphne, then starts again.

Daphne runs on a private cluster (Django's psycopg pool, as in production).
While the database is down, reads, writes and the health check answer 503 with
a JSON `detail` and no traceback, and a websocket is closed with 4503; once it
is back, the same requests succeed on the same Daphne process.
"""

import asyncio

import pytest
from websockets.asyncio.client import connect

from novosphere.ws_guard import CLOSE_UNAVAILABLE
from tests.e2e.server import Daphne
from tests.e2e.test_websocket import close_code, receive, run
from tests.faults.services import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]


class ClusterDatabase:
    """A database on the private cluster, in the shape `Daphne` takes."""

    def __init__(self, cluster):
        self.url = cluster.create_database("faults")


@pytest.fixture
def server(private_postgres):
    # Short pool timeouts: a request waits 2 s for a connection before its 503, and
    # the pool gives up its backed-off reconnection attempts after 3 s (10 by default).
    daphne = Daphne(
        ClusterDatabase(private_postgres),
        env={"DATABASE_POOL_TIMEOUT": "2", "DATABASE_POOL_RECONNECT_TIMEOUT": "3"},
    )
    yield daphne
    daphne.stop()


def assert_unavailable(status: int, body) -> None:
    assert status == 503, (status, body)
    assert isinstance(body, dict) and isinstance(body.get("detail"), str), body
    assert "Traceback" not in str(body) and "psycopg" not in str(body), body


def test_requests_answer_503_while_postgres_is_down_and_recover_without_restart(server, private_postgres):
    alice_token = server.register("alice")
    server.register("bob")
    server.register("carol")

    def read():
        return server.request("GET", "/api/v1/actors/bob/")

    def write():
        return server.request("PATCH", "/api/v1/me/", {"headline": "still here"}, token=alice_token)

    assert read()[0] == 200 and write()[0] == 200

    private_postgres.stop()

    assert_unavailable(*read())
    assert_unavailable(*write())
    status, health = server.request("GET", "/api/health/")
    assert status == 503 and health["database"] == {"backend": "postgresql", "ok": False}

    async def socket_while_down():
        async with connect(server.ws + f"?token={alice_token}") as ws:
            return await close_code(ws, timeout=15)

    assert run(socket_while_down()) == CLOSE_UNAVAILABLE

    private_postgres.start()

    # The same process serves again once its pool has reconnected, within seconds.
    wait_until(lambda: server.request("GET", "/api/health/")[0] == 200, timeout=15, what="health after the restart")
    status, bob = read()
    assert status == 200 and bob["handle"] == "bob"
    status, me = write()
    assert status == 200 and me["headline"] == "still here"
    assert server.request("POST", "/api/v1/actors/bob/follow/", token=alice_token)[0] == 200

    async def socket_after():
        async with connect(server.ws + f"?token={alice_token}") as ws:
            await asyncio.sleep(0.2)
            server.request("POST", "/api/v1/actors/carol/follow/", token=alice_token)
            return await receive(ws, timeout=10)

    frame = run(socket_after())
    assert frame["type"] == "activity" and frame["activity"]["object"]["id"] == "carol"

    # A restart between two requests: the pooled connections are all dead, none is
    # handed out (each is checked as it leaves the pool), no request sees the restart.
    private_postgres.stop()
    private_postgres.start()
    assert [read()[0] for _ in range(4)] == [200] * 4
    assert write()[0] == 200

    logs = server.logs()
    assert "Internal Server Error" not in logs, logs[-3000:]
    assert "unavailable service=database" in logs
