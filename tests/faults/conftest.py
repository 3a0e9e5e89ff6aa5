"""Fixtures of the fault tests: private Redis and PostgreSQL servers the tests stop and start."""

import os

import pytest

from tests.faults.services import PG_BIN, PostgresCluster, RedisServer


@pytest.fixture
def private_redis():
    """A redis-server of this test's own on a free port; `.stop()` / `.start()` keep the port."""
    if RedisServer.binary is None:
        pytest.skip("needs Redis: no redis-server binary on PATH")
    server = RedisServer()
    yield server
    server.close()


@pytest.fixture
def private_postgres():
    """A PostgreSQL cluster of this test's own (initdb into a temporary directory, trust auth)."""
    if not (PG_BIN / "initdb").exists() or not (PG_BIN / "pg_ctl").exists():
        pytest.skip(f"needs PostgreSQL: no initdb / pg_ctl in {PG_BIN} (set PG_BIN)")
    if os.geteuid() == 0 and not os.path.exists("/usr/sbin/runuser"):
        pytest.skip("needs PostgreSQL: running as root without runuser to start it as postgres")
    cluster = PostgresCluster()
    yield cluster
    cluster.close()
