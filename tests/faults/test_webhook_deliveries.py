"""Webhook deliveries lose nothing when their Celery worker dies mid-delivery or Redis stops.

A real Daphne takes the writes, real Celery workers (with their beat: the
outbox sweeps every second) drain the deliveries through a private
redis-server, and a real HTTP receiver on the loopback verifies every
signature with the Standard Webhooks library.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from standardwebhooks import Webhook

from tests.e2e.server import ROOT, Daphne, Database
from tests.faults.services import wait_until
from tests.receiver import Receiver

pytestmark = [pytest.mark.e2e, pytest.mark.redis]

CELERY = Path(sys.executable).with_name("celery")
FAST_SWEEPS = {
    "WEBHOOKS_ALLOW_PRIVATE": "true",
    "DELIVERY_SWEEP_SECONDS": "1",
    "DELIVERY_SWEEP_GRACE": "1",
    "DELIVERY_LEASE_SECONDS": "3",
    "OUTBOX_SWEEP_SECONDS": "1",
    "OUTBOX_SWEEP_GRACE": "1",
}


@pytest.fixture
def stack(private_redis, tmp_path):
    """(Daphne, the private Redis, start_worker, receiver); every process is stopped at the end."""
    database = Database()
    server = Daphne(database, env={"REDIS_URL": private_redis.url, **FAST_SWEEPS})
    workers = []

    def start_worker() -> subprocess.Popen:
        log = open(tmp_path / f"worker-{len(workers)}.log", "w")  # noqa: SIM115 - closed at the end
        process = subprocess.Popen(
            [str(CELERY), "-A", "novosphere", "worker", "-B", "-s", str(tmp_path / f"beat-{len(workers)}"),
             "--pool=solo", "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "info"],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,  # a process group of its own: its beat child goes with it
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "DATABASE_URL": database.url,
                 "REDIS_URL": private_redis.url, **FAST_SWEEPS},
        )
        workers.append((log, process))
        return process

    with Receiver() as receiver:
        yield server, private_redis, start_worker, receiver
    for log, process in workers:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        try:  # what it forked (the embedded beat) outlives a killed parent
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        log.close()
    logs = server.logs()
    server.stop()
    database.drop()
    assert "Internal Server Error" not in logs, logs[-3000:]


def people(server, receiver) -> tuple:
    """bob, who will act; hub, whose webhook receives bob's stream (its secret); the targets bob follows."""
    bob = server.register("bob")
    hub = server.register("hub")
    targets = [f"target{n}" for n in range(4)]
    for target in targets:
        server.register(target)
    status, hook = server.request("POST", "/api/v1/webhooks/",
                                  {"url": receiver.url("/hook"), "streams": ["actor:bob"]}, token=hub)
    assert status == 201, hook

    def follows(target: str) -> None:
        status, body = server.request("POST", f"/api/v1/actors/{target}/follow/", token=bob)
        assert status == 200, (status, body)

    return follows, hook["secret"], targets


def received(receiver, secret: str) -> list[tuple[str, str]]:
    """(webhook-id, object followed) of every request, each signature checked."""
    return [
        (r.headers["webhook-id"], Webhook(secret).verify(r.body, r.headers)["activity"]["object"]["id"])
        for r in list(receiver.requests)
    ]


def test_a_worker_killed_mid_delivery_loses_nothing(stack):
    server, _redis, start_worker, receiver = stack
    follows, secret, targets = people(server, receiver)
    hanging = []
    receiver.answers = [lambda handler: (hanging.append(1), time.sleep(30))]

    first = start_worker()
    follows(targets[0])
    receiver.wait_for(1, timeout=30)  # the worker is inside the POST, waiting for the receiver
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    follows(targets[1])
    follows(targets[2])  # queued behind the delivery the dead worker was making

    start_worker()
    wait_until(lambda: len(receiver.requests) >= 4, timeout=60, what="the deliveries after the worker died")
    time.sleep(1)
    got = received(receiver, secret)
    assert [target for _id, target in got] == [targets[0], targets[0], targets[1], targets[2]]
    assert got[0][0] == got[1][0]  # the interrupted delivery again, under the same webhook-id
    assert len({message_id for message_id, _target in got}) == 3


def test_redis_stopped_mid_run_loses_nothing(stack):
    server, redis, start_worker, receiver = stack
    follows, secret, targets = people(server, receiver)
    worker = start_worker()
    follows(targets[0])
    receiver.wait_for(1, timeout=30)

    redis.stop()
    for target in targets[1:3]:
        follows(target)  # the writes succeed; their deliveries wait in the database
    time.sleep(1)
    assert len(receiver.requests) == 1

    redis.start()  # empty: every task it held is gone
    worker.terminate()
    worker.wait(timeout=20)
    start_worker()
    follows(targets[3])
    wait_until(lambda: len({t for _i, t in received(receiver, secret)}) == 4, timeout=60,
               what="every delivery once Redis was back")
    got = [target for _id, target in received(receiver, secret)]
    # In stream order; at least once (a delivery cut off by the outage may come twice, never out of turn).
    assert list(dict.fromkeys(got)) == targets
    assert got == sorted(got, key=targets.index)
    payloads = [json.loads(r.body) for r in receiver.requests]
    assert all(p["type"] == "activity" for p in payloads)
