"""A real Daphne serving the project, on its own database, for end-to-end tests."""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# What `manage.py serve` runs: Daphne with the live stream's frame shortcut (novosphere/wsserver.py).
SERVER = [sys.executable, "-m", "novosphere.wsserver"]
# Daphne itself, as installed (no shortcut: the consumer's fallback).
PLAIN_DAPHNE = [sys.executable, "-m", "daphne"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _migrate(url: str) -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "DATABASE_URL": url, "DEBUG": "false"}
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)


class _Template:
    """One migrated database per test process, copied for each `Database`: migrating
    takes seconds, copying a file or a PostgreSQL template a fraction of one."""

    sqlite: Path | None = None
    postgres: str | None = None
    _directory: tempfile.TemporaryDirectory | None = None

    @classmethod
    def sqlite_file(cls) -> Path:
        if cls.sqlite is None:
            cls._directory = tempfile.TemporaryDirectory()
            path = Path(cls._directory.name) / "template.sqlite3"
            _migrate(f"sqlite:///{path}")
            cls.sqlite = path
        return cls.sqlite

    @classmethod
    def postgres_name(cls, base: str, admin_url: str) -> str:
        if cls.postgres is None:
            import atexit

            import psycopg

            name = f"e2e_template_{uuid.uuid4().hex[:10]}"
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            _migrate(base.rsplit("/", 1)[0] + "/" + name)
            atexit.register(cls._drop_postgres, admin_url, name)
            cls.postgres = name
        return cls.postgres

    @staticmethod
    def _drop_postgres(admin_url: str, name: str) -> None:
        import psycopg

        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Database:
    """A fresh, migrated database of the same engine as the suite's (SQLite file or PostgreSQL)."""

    migrated = True

    def __init__(self):
        base = os.environ.get("DATABASE_URL", "")
        self.name = f"e2e_{uuid.uuid4().hex[:10]}"
        if base.startswith(("postgres://", "postgresql://")):
            import psycopg

            self.admin_url = base.rsplit("/", 1)[0] + "/postgres"
            template = _Template.postgres_name(base, self.admin_url)
            with psycopg.connect(self.admin_url, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{self.name}" TEMPLATE "{template}"')
            self.url = base.rsplit("/", 1)[0] + "/" + self.name
            self.directory = None
        else:
            self.admin_url = None
            self.directory = tempfile.TemporaryDirectory()
            path = Path(self.directory.name) / f"{self.name}.sqlite3"
            template = _Template.sqlite_file()
            for suffix in ("", "-wal"):  # the journal too, should the last connection not have checkpointed
                if Path(f"{template}{suffix}").exists():
                    shutil.copyfile(f"{template}{suffix}", f"{path}{suffix}")
            self.url = f"sqlite:///{path}"

    def drop(self) -> None:
        if self.admin_url:
            import psycopg

            with psycopg.connect(self.admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        elif self.directory:
            self.directory.cleanup()


class Daphne:
    """One Daphne process; `env` adds settings (REDIS_URL, WS_* limits...)."""

    def __init__(self, database: Database, env: dict | None = None, migrate: bool = True,
                 wait_for_health: bool = True, argv=None, port: int | None = None):
        """`argv(port)`, if given, is the command that serves instead of one plain Daphne;
        `port`, when the settings must name it beforehand (PUBLIC_URL of a federating instance)."""
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.ws = f"ws://127.0.0.1:{self.port}/ws/stream/"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": database.url,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DEBUG": "false",
            "LOG_LEVEL": "INFO",
            **(env or {}),
        }
        self.env.pop("REDIS_URL", None) if "REDIS_URL" not in (env or {}) else None
        if migrate and not getattr(database, "migrated", False):
            subprocess.run(
                [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
                cwd=ROOT, env=self.env, check=True,
            )
        self.log = tempfile.NamedTemporaryFile(prefix="daphne-", suffix=".log", delete=False)
        self.process = subprocess.Popen(
            argv(self.port) if argv else
            [*SERVER, "-b", "127.0.0.1", "-p", str(self.port), "novosphere.asgi:application"],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
        )
        self._wait_until_serving(healthy=wait_for_health)

    def _wait_until_serving(self, timeout: float = 120, healthy: bool = True) -> None:
        """Until health answers 200 (or, with `healthy=False`, anything: a part may be down on purpose)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"daphne exited: {Path(self.log.name).read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(self.base + "/api/health/", timeout=2) as response:
                    if response.status == 200:
                        return
            except urllib.error.HTTPError:
                if not healthy:
                    return
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.05)  # short: the tests wait on this; and no busy loop while health answers 503
        raise RuntimeError("daphne did not serve /api/health/ in time")

    def request(self, method: str, path: str, body=None, token: str | None = None) -> tuple[int, dict | None]:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        req.add_header("Accept-Language", "en")
        if token:
            req.add_header("Authorization", f"Token {token}")
        try:
            with urllib.request.urlopen(req, timeout=10) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as error:
            raw = error.read()
            return error.code, json.loads(raw) if raw else None

    def register(self, username: str, city: str | None = None) -> str:
        body = {"username": username, "password": "a long enough passphrase", "email": f"{username}@example.org",
                "name": username.title()}
        if city:
            body["city"] = city
        status, answer = self.request("POST", "/api/v1/auth/register/", body)
        assert status == 201, answer
        return answer["token"]

    def logs(self) -> str:
        return Path(self.log.name).read_text()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        os.unlink(self.log.name)
