"""Webhook tests: receivers are real HTTP servers on the loopback, so private addresses are allowed."""

import pytest

from delivery.runner import runner
from tests.receiver import Receiver


@pytest.fixture(autouse=True)
def allow_loopback_receivers(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True


@pytest.fixture
def receiver():
    with Receiver() as server:
        yield server


@pytest.fixture
def in_process_drains():
    """The embedded default's drains, in threads of this process; stopped before the database goes."""
    yield runner
    runner.stop()
