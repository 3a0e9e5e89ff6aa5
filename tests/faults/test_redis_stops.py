"""Redis stops while the service runs, then comes back empty (no persistence).

Two real Daphne processes and a real Celery worker use a private redis-server
for the channel layer, the Celery broker and the cache (rate-limit counters).
While it is down, REST writes still succeed and websocket readers are closed
with 4503; once it is back, a reader resumes with `?after=` and gets every
activity written meanwhile, once and in order, live delivery works again on
the same Daphne processes, and the home timeline holds everything.
"""

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from websockets.asyncio.client import connect

from novosphere.ws_guard import CLOSE_UNAVAILABLE
from tests.e2e.server import ROOT, Daphne, Database
from tests.e2e.test_websocket import close_code, frames_for, receive, run
from tests.faults.services import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.redis]

CELERY = Path(sys.executable).with_name("celery")


@pytest.fixture
def stack(private_redis, tmp_path):
    """(writer's Daphne, reader's Daphne, the private Redis, start_worker), all on the private Redis.

    `start_worker()` starts a Celery worker with its beat (the fan-out sweep every second)."""
    database = Database()
    env = {"REDIS_URL": private_redis.url}
    writer_server = Daphne(database, env=env)
    reader_server = Daphne(database, env=env, migrate=False)
    workers = []

    def start_worker() -> None:
        log = open(tmp_path / "worker.log", "w")  # noqa: SIM115 - closed at the end
        workers.append((log, subprocess.Popen(
            [str(CELERY), "-A", "novosphere", "worker", "-B", "-s", str(tmp_path / "beat-schedule"),
             "--pool=solo", "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "info"],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "DATABASE_URL": database.url,
                 "REDIS_URL": private_redis.url, "OUTBOX_SWEEP_SECONDS": "1",
                 "OUTBOX_SWEEP_GRACE": "1"},
        )))

    yield writer_server, reader_server, private_redis, start_worker
    for log, worker in workers:
        worker.terminate()
        worker.wait(timeout=10)
        log.close()
    for server in (writer_server, reader_server):
        logs = server.logs()
        server.stop()
        assert "Internal Server Error" not in logs, logs[-3000:]
    database.drop()


def test_redis_outage_loses_no_write_and_readers_resume(stack):
    writer_server, reader_server, redis_server, start_worker = stack
    alice_token = reader_server.register("alice")
    bob_token = writer_server.register("bob")
    targets = [f"target{n}" for n in range(5)]
    for target in targets:
        writer_server.register(target)
    assert reader_server.request("POST", "/api/v1/actors/bob/follow/", token=alice_token)[0] == 200

    def bob_follows(target: str) -> None:
        status, body = writer_server.request("POST", f"/api/v1/actors/{target}/follow/", token=bob_token)
        assert status == 200, (status, body)

    async def scenario():
        async with connect(reader_server.ws + f"?token={alice_token}") as ws:
            await asyncio.sleep(0.2)
            # No worker runs yet: this fan-out task waits in Redis and is lost with it.
            bob_follows(targets[0])
            before = (await receive(ws))["activity"]
            assert before["object"]["id"] == targets[0]

            redis_server.stop()
            # The reader is told, with the documented code, rather than left deaf.
            assert await close_code(ws, timeout=15) == CLOSE_UNAVAILABLE

        # Writes go on: the activity is in the database, the fan-out runs in-process.
        for target in targets[1:4]:
            bob_follows(target)
        status, health = writer_server.request("GET", "/api/health/")
        assert status == 503 and health["channel_layer"]["ok"] is False and health["database"]["ok"] is True
        # A socket opened during the outage is refused with the same code.
        async with connect(reader_server.ws + f"?token={alice_token}") as ws:
            assert await close_code(ws, timeout=15) == CLOSE_UNAVAILABLE

        redis_server.start()
        start_worker()

        # Both Daphne processes use the fresh Redis again without a restart.
        wait_until(lambda: reader_server.request("GET", "/api/health/")[0] == 200, timeout=15, what="reader health")
        wait_until(lambda: writer_server.request("GET", "/api/health/")[0] == 200, timeout=15, what="writer health")
        async with connect(reader_server.ws + f"?token={alice_token}&after={before['id']}") as ws:
            frames = await frames_for(ws, seconds=15, until=lambda got: any(f["type"] == "resumed" for f in got))
            missed = [f["activity"]["object"]["id"] for f in frames if f["type"] == "activity"]
            assert missed == targets[1:4]  # each once, oldest first
            assert frames[-1]["type"] == "resumed"

            bob_follows(targets[4])
            live = await receive(ws)
            assert live["type"] == "activity" and live["activity"]["object"]["id"] == targets[4]

    run(scenario())

    # Every one of bob's follows reaches alice's home timeline: those of the outage
    # through the in-process fallback, the last one through the worker on the new
    # Redis, and the first, whose task Redis lost, through the worker's sweep.
    wanted = set(targets)

    def feed_objects():
        status, body = reader_server.request("GET", "/api/v1/feed/?limit=100", token=alice_token)
        assert status == 200, body
        objects = [a["object"]["id"] for a in body["results"] if a["actor"]["handle"] == "bob"]
        return objects if wanted <= set(objects) else None

    objects = wait_until(feed_objects, timeout=20, what="the worker's fan-out after Redis came back")
    assert sorted(o for o in objects if o in wanted) == sorted(wanted)
    assert len([o for o in objects if o in wanted]) == len(wanted)  # none twice
