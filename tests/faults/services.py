"""Private Redis and PostgreSQL servers that a fault test may stop and start at will.

Each runs from the real binaries on a free port of its own, never the shared
services on 6379 / 5432, so stopping one disturbs nobody else.
"""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from tests.e2e.server import free_port

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))


def wait_until(predicate, *, timeout: float, what: str, interval: float = 0.1):
    """Poll `predicate` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class RedisServer:
    """`redis-server` without persistence: a restart comes back empty, as a crashed one would."""

    binary = shutil.which("redis-server")

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.directory = tempfile.TemporaryDirectory(prefix="faults-redis-")
        self.process: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        log = open(Path(self.directory.name) / "redis.log", "a")  # noqa: SIM115 - lives with the process
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", self.directory.name],
            stdout=log, stderr=subprocess.STDOUT,
        )
        log.close()
        wait_until(self.answers, timeout=10, what=f"redis-server on port {self.port}")

    def answers(self) -> bool:
        import redis

        try:
            return bool(redis.Redis.from_url(self.url, socket_connect_timeout=0.5, socket_timeout=0.5).ping())
        except redis.exceptions.RedisError:
            return False

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=10)
        self.process = None
        wait_until(lambda: not port_open(self.port), timeout=5, what="redis port to close")

    def close(self) -> None:
        self.stop()
        self.directory.cleanup()


class PostgresCluster:
    """A throwaway PostgreSQL cluster (initdb, trust auth) that can be stopped and restarted."""

    def __init__(self):
        self.port = free_port()
        # The server refuses to run as root: the files belong to `postgres` then.
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.directory = tempfile.mkdtemp(prefix="faults-pg-")
        if self.as_postgres:
            shutil.chown(self.directory, "postgres", "postgres")
        self.data = os.path.join(self.directory, "data")
        self.log = os.path.join(self.directory, "server.log")
        self._run(str(PG_BIN / "initdb"), "-D", self.data, "-A", "trust", "-U", "postgres", "--no-sync",
                  "-E", "UTF8", "--locale", "C")
        self.options = (
            f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self.admin_url = f"postgres://postgres@127.0.0.1:{self.port}/postgres"
        self.start()

    def _run(self, *command: str) -> None:
        subprocess.run([*self.as_postgres, *command], check=True, capture_output=True, timeout=60)

    def _pg_ctl(self, action: str) -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", self.data, "-o", self.options, "-l", self.log, "-w",
                  "-m", "fast", action)

    def start(self) -> None:
        self._pg_ctl("start")

    def stop(self) -> None:
        self._pg_ctl("stop")

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def close(self) -> None:
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass  # already stopped
        shutil.rmtree(self.directory, ignore_errors=True)
