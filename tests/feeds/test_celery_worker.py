"""The fan-out in a real Celery worker on the Redis broker, as at scale.

Each test starts `celery -A novosphere worker` as a subprocess, pointed at
this test's PostgreSQL database and at Redis, on a queue of its own. The test
database must be shared with another process, hence transactional tests and
PostgreSQL only (SQLite test databases live in memory).
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import kombu.pools
import pytest
from django.db import connection

from feeds import services
from feeds.models import TimelineEntry
from novosphere.celery import app
from tests.conftest import client_for, make_city, make_person

ROOT = Path(__file__).resolve().parents[2]
CELERY = Path(sys.executable).parent / "celery"
WAIT_SECONDS = 60

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def broker(redis_url):
    """Send tasks to Redis on a fresh queue instead of running them in-process."""
    if connection.vendor != "postgresql":
        pytest.skip("a worker process can share only a PostgreSQL test database, not SQLite's in-memory one")
    queue = f"feeds-test-{uuid.uuid4().hex[:12]}"
    saved = {key: app.conf[key] for key in ("task_always_eager", "broker_url", "task_default_queue")}
    app.conf.update(task_always_eager=False, broker_url=redis_url, task_default_queue=queue)
    _reset_connections()
    yield {"queue": queue, "redis_url": redis_url}
    app.conf.update(saved)
    _reset_connections()


def _reset_connections():
    # The connection and producer pools are built from broker_url on first use;
    # drop them so the next send uses the URL just set.
    kombu.pools.reset()  # closes and forgets the producer pools kept per connection
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def start_worker(broker, tmp_path):
    """Start a worker (returns the process); every worker started is stopped at the end."""
    settings = connection.settings_dict
    database_url = (
        f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{settings['NAME']}"
    )
    processes = []

    def start(**env) -> subprocess.Popen:
        log = open(tmp_path / f"worker-{len(processes)}.log", "w")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(
            [str(CELERY), "-A", "novosphere", "worker", "--pool=solo", "-Q", broker["queue"],
             "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "info"],
            cwd=ROOT,
            stdout=log,
            start_new_session=True,  # a process group of its own: its beat child goes with it
            stderr=subprocess.STDOUT,
            env={
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "tests.settings",
                "DATABASE_URL": database_url,
                "REDIS_URL": broker["redis_url"],
                "CONN_MAX_AGE": "0",
                **{key: str(value) for key, value in env.items()},
            },
        )
        processes.append((process, log))
        return process

    yield start
    for process, log in processes:
        if process.poll() is None:  # the test has seen what it came for: no warm shutdown to wait for
            process.kill()
            process.wait()
        try:  # what it forked (the embedded beat) outlives a killed parent
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        log.close()


def entries_for(activity_id: str, people) -> int:
    return TimelineEntry.objects.filter(activity_id=activity_id, owner__in=people).count()


def wait_until(condition, timeout: float = WAIT_SECONDS) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def network(followers: int):
    """alice and `followers` people who follow her (written directly: only alice's next act matters)."""
    city = make_city("brest")
    alice = make_person("alice", city)
    fans = [make_person(f"fan{index}", city) for index in range(followers)]
    app.conf.task_always_eager = True  # the setup's own fan-outs run here, not in the worker under test
    try:
        for fan in fans:
            services.follow(follower=fan, target=alice)
    finally:
        app.conf.task_always_eager = False
    return alice, fans, city


def test_a_real_worker_fills_the_followers_timelines(start_worker):
    alice, fans, _city = network(12)
    response = client_for(alice).post("/api/v1/actors/brest/follow/")
    assert response.status_code == 200
    activity_id = client_for(alice).get("/api/v1/feed/").json()["results"][0]["id"]

    # The writer did not wait: with no worker running yet, nobody else has it.
    assert entries_for(activity_id, fans) == 0
    worker = start_worker()
    assert wait_until(lambda: entries_for(activity_id, fans) == len(fans)), "the worker did not fan out"
    assert worker.poll() is None
    fan_feed = client_for(fans[-1]).get("/api/v1/feed/").json()["results"]
    assert fan_feed[0]["id"] == activity_id
    assert fan_feed[0]["summary"] == "Alice suit désormais Brest"


def test_a_worker_killed_mid_task_loses_nothing(start_worker):
    alice, fans, _city = network(40)
    assert client_for(alice).post("/api/v1/actors/brest/follow/").status_code == 200
    activity_id = client_for(alice).get("/api/v1/feed/").json()["results"][0]["id"]
    # Small, slow batches so the task is surely killed half-way; an unacknowledged
    # task goes back to the queue after 2 s.
    slow = {"FEEDS_FANOUT_BATCH_SIZE": 2, "FEEDS_FANOUT_BATCH_PAUSE": 0.25, "CELERY_VISIBILITY_TIMEOUT": 2}

    first = start_worker(**slow)
    assert wait_until(lambda: entries_for(activity_id, fans) >= 4), "the worker never started the task"
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    halfway = entries_for(activity_id, fans)
    assert 0 < halfway < len(fans)

    time.sleep(2.5)  # past the visibility timeout: the task is due again
    start_worker(**{**slow, "FEEDS_FANOUT_BATCH_PAUSE": 0})  # the same small batches; only the first must be slow
    assert wait_until(lambda: entries_for(activity_id, fans) == len(fans)), "the task was lost with its worker"
    assert TimelineEntry.objects.filter(activity_id=activity_id).count() == len(fans) + 1  # and alice's own


def test_a_transactions_worker_rows_go_as_one_task_and_a_rolled_back_savepoint_adds_nothing(start_worker, tmp_path):
    from django.db import transaction

    from novosphere import publisher
    from novosphere.models import OutboxItem

    alice, fans, city = network(3)
    nantes = make_city("nantes")
    with transaction.atomic():
        services.follow(follower=alice, target=city)  # a fan-out and a delivery fan-out
        try:
            with transaction.atomic():
                services.follow(follower=alice, target=nantes)  # two more rows, rolled back
                raise RuntimeError("changed my mind")
        except RuntimeError:
            pass
        assert OutboxItem.objects.filter(kind__in=["feeds.fan_out", "delivery.fan_out"]).count() == 2
    activity_id = client_for(alice).get("/api/v1/feed/").json()["results"][0]["id"]
    start_worker()
    assert wait_until(lambda: entries_for(activity_id, fans) == len(fans)), "the worker did not fan out"
    assert wait_until(lambda: publisher.pending() == 0), "rows were left behind"
    log = (tmp_path / "worker-0.log").read_text()
    assert log.count("novosphere.tasks.run_outbox_items") >= 1
    assert log.count("] received") == 1, log  # both rows in one message
    from feeds.selectors import is_following

    assert is_following(follower=alice, target=city) and not is_following(follower=alice, target=nantes)
