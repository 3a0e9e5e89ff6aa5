"""`manage.py serve`: several Daphne processes on one socket, websockets on their own, one service."""

import asyncio
import subprocess
import sys
import time

import pytest
from websockets.asyncio.client import connect

from tests.e2e.server import ROOT, Daphne, Database, free_port
from tests.e2e.test_websocket import receive, run

pytestmark = pytest.mark.e2e


@pytest.fixture
def served(redis_url):
    database = Database()
    ws_port = free_port()
    server = Daphne(
        database, env={"REDIS_URL": redis_url, "READ_CACHE_SECONDS": "60"},
        argv=lambda port: [sys.executable, "manage.py", "serve", "--port", str(port), "--workers", "2",
                           "--ws-port", str(ws_port)],
    )
    server.ws = f"ws://127.0.0.1:{ws_port}/ws/stream/"
    yield server
    server.stop()
    database.drop()


def children_of(pid: int) -> list[str]:
    out = subprocess.run(["ps", "-o", "args=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if "novosphere.wsserver" in line]


def daphnes_of(pid: int, expected: int, timeout: float = 15) -> int:
    """How many Daphne children `pid` has once `expected` are up (the first answers health
    while the others may still be starting), or at the timeout."""
    deadline = time.monotonic() + timeout
    while len(found := children_of(pid)) < expected and time.monotonic() < deadline:
        time.sleep(0.1)
    return len(found)


def test_serve_runs_several_processes_that_act_as_one_service(served):
    assert daphnes_of(served.process.pid, 3) == 3  # two on the web socket, one for websockets
    reader = served.register("anaelle")
    writer = served.register("briac")
    assert served.request("POST", "/api/v1/actors/briac/follow/", token=reader)[0] == 200

    async def scenario():
        async with connect(served.ws + f"?token={reader}") as ws:
            await asyncio.sleep(0.3)
            status, project = served.request("POST", "/api/v1/projects/", {"title": "Fablab mobile"}, token=writer)
            assert status == 201
            frame = await receive(ws)
            assert frame["type"] == "activity" and frame["activity"]["actor"]["handle"] == "briac"
            return project

    project = run(scenario())
    path = f"/api/v1/projects/{project['slug']}/"
    # Reads spread over both web processes; a write in one is seen at once by the other's cache.
    assert {served.request("GET", path)[1]["title"] for _ in range(8)} == {"Fablab mobile"}
    assert served.request("PATCH", path, {"title": "Fablab itinérant"}, token=writer)[0] == 200
    assert {served.request("GET", path)[1]["title"] for _ in range(8)} == {"Fablab itinérant"}


def test_several_processes_without_redis_are_refused():
    result = subprocess.run([sys.executable, "manage.py", "serve", "--workers", "2"], cwd=ROOT,
                            capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", "SECRET_KEY": "x",
                                                                  "LANGUAGE_CODE": "en"}, timeout=60)
    assert result.returncode != 0 and "REDIS_URL" in result.stderr
