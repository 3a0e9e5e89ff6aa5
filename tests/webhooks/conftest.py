"""Webhook tests: receivers are real HTTP servers on the loopback, so private addresses are allowed.

`drains` runs the deliveries as the embedded default does, in threads of this
process, on PostgreSQL. SQLite's in-memory test database cannot be written by
the test while those threads read it (shared-cache table locks), so there the
same drains run in the test's own thread, between its writes
(DELIVERY_IN_PROCESS_THREADS=0, as with `manage.py drain_deliveries`).
"""

import time

import pytest
from django.db import connection

from delivery import services
from delivery.runner import runner
from tests.receiver import Receiver


@pytest.fixture(autouse=True)
def allow_loopback_receivers(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True


@pytest.fixture
def receiver():
    with Receiver() as server:
        yield server


class Threads:
    """The process's own drain threads deliver; the test only waits."""

    threaded = True

    def wait_for(self, receiver: Receiver, count: int, timeout: float = 30.0):
        return receiver.wait_for(count, timeout)

    def settle(self, seconds: float) -> None:
        time.sleep(seconds)


class InTestThread:
    """The test's thread drains what is due while it waits."""

    threaded = False

    def _pump_until(self, done, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            services.drain_due()
            if done():
                return True
            time.sleep(0.05)
        return done()

    def wait_for(self, receiver: Receiver, count: int, timeout: float = 30.0):
        if not self._pump_until(lambda: len(receiver.requests) >= count, timeout):
            raise AssertionError(f"the receiver got {len(receiver.requests)} requests, expected {count}")
        return list(receiver.requests)

    def settle(self, seconds: float) -> None:
        self._pump_until(lambda: False, seconds)


@pytest.fixture
def drains(settings, transactional_db):
    if connection.vendor == "postgresql":
        yield Threads()
        runner.stop()
    else:
        settings.DELIVERY_IN_PROCESS_THREADS = 0
        yield InTestThread()
