"""Small helpers shared by the benchmarks: ports, percentiles, process lifetimes, /proc readings."""

import json
import os
import resource
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(url: str, process: subprocess.Popen | None = None, timeout: float = 60) -> None:
    """Until `url` answers 200; fails early if `process` exits meanwhile."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{process.args[:4]} exited with {process.returncode} before serving {url}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer 200 in {timeout:.0f} s")


def pct(values, p: float) -> float:
    """The p-th percentile, linearly interpolated; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def ms(seconds: float) -> str:
    return "n/a" if seconds != seconds else f"{seconds * 1000:,.1f} ms"


def raise_fd_limit(needed: int) -> int:
    """Raise this process's open-file limit (children inherit it); exit if it cannot reach `needed`."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else max(soft, needed)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if soft < needed:
        sys.exit(f"open-file limit {soft} is below the {needed} this run needs")
    return soft


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (0 once it has gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Processes:
    """Child processes that all stop when the block ends, on error and on Ctrl-C alike.

    Each child gets a session of its own, so a Ctrl-C reaches only this process,
    which then stops them in order (SIGTERM, then SIGKILL after a grace period).
    SIGTERM to this process is turned into the same KeyboardInterrupt.
    """

    def __init__(self):
        self.children: list[tuple[str, subprocess.Popen]] = []

    def __enter__(self) -> "Processes":
        signal.signal(signal.SIGTERM, self._interrupt)
        return self

    @staticmethod
    def _interrupt(signum, frame):
        raise KeyboardInterrupt

    def start(self, name: str, command: list[str], **popen) -> subprocess.Popen:
        process = subprocess.Popen(command, cwd=ROOT, start_new_session=True, **popen)
        self.children.append((name, process))
        return process

    def stop(self, process: subprocess.Popen, grace: float = 15) -> None:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def __exit__(self, *exc) -> None:
        for _name, process in reversed(self.children):
            self.stop(process)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def column_defaults(table: str, named: list[str]) -> tuple[list[str], tuple]:
    """The columns of `table`'s model that the caller did not name, with their defaults.

    The raw loaders name only what the benchmark varies; a column added to the
    model later (with a default, as a migration needs) is filled here instead of
    breaking the COPY.
    """
    from django.apps import apps
    from django.db.models import NOT_PROVIDED

    model = next(m for m in apps.get_models() if m._meta.db_table == table)
    extra = [
        field for field in model._meta.concrete_fields
        if field.column not in named and field.default is not NOT_PROVIDED
    ]
    # JSON defaults as JSON text: what COPY and an SQL literal both take for a jsonb column.
    values = tuple(json.dumps(value) if isinstance(value, (dict, list)) else value
                   for value in (field.get_default() for field in extra))
    return [field.column for field in extra], values


WRK_SCRIPT = """
tokens = {%(tokens)s}
counter = 0
request = function()
  counter = counter + 1
  local path = "%(path)s"
  if %(unique)s then path = path .. "&n=" .. counter end
  return wrk.format("GET", path, {["Authorization"] = "Token " .. tokens[(counter %% #tokens) + 1], ["Host"] = "127.0.0.1"})
end
"""


def wrk_reads(port: int, path: str, tokens: list[str], *, connections: int, seconds: float, unique: bool) -> dict:
    """`wrk` on one GET from `connections` keep-alive connections, the tokens taken in
    turn; `unique` makes every request's query different, so that no answer is
    served again from the read cache. Returns req/s, p50 and p99 (ms) and errors."""
    import re
    import tempfile

    script = WRK_SCRIPT % {"tokens": ", ".join(f'"{t}"' for t in tokens), "path": path, "unique": str(unique).lower()}
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as lua:
        lua.write(script)
        lua.flush()
        out = subprocess.run(
            ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency", "-s", lua.name,
             f"http://127.0.0.1:{port}"],
            capture_output=True, text=True, check=True, timeout=seconds + 60,
        ).stdout

    def latency(label: str) -> float:
        value, unit = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": latency("50"), "p99": latency("99"),
        "errors": (int(errors.group(1)) if errors else 0) + (sum(map(int, socket_errors.groups())) if socket_errors else 0),
    }


# --- Migrated databases: migrating takes seconds, copying a template a fraction of one ---


def _migrations_key() -> str:
    """A digest of the project's migration files: a new or edited one makes a new template."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted(ROOT.glob("*/migrations/*.py")):
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def _migrate(url: str) -> None:
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": "", "DJANGO_SETTINGS_MODULE": "novosphere.settings"}
    env.setdefault("SECRET_KEY", "bench-only-secret")
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)


def postgres_template(admin_url: str) -> str:
    """The name of a migrated PostgreSQL database to copy, built on first use.

    The scripts still run `migrate` on their copy, so a template missing a
    third-party migration only costs its time.
    """
    import psycopg

    name = f"bench_template_{_migrations_key()}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute("SELECT pg_advisory_lock(hashtext(%s))", [name])  # one builder at a time
        try:
            if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                building = f"{name}_building"
                admin.execute(f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)')
                admin.execute(f'CREATE DATABASE "{building}"')
                _migrate(admin_url.rsplit("/", 1)[0] + "/" + building)
                admin.execute(f'ALTER DATABASE "{building}" RENAME TO "{name}"')
        finally:
            admin.execute("SELECT pg_advisory_unlock(hashtext(%s))", [name])
    return name


def create_postgres_database(url: str) -> None:
    """(Re)create the database at `url` as a copy of the migrated template."""
    import psycopg

    admin_url, name = url.rsplit("/", 1)[0] + "/postgres", url.rsplit("/", 1)[1]
    template = postgres_template(admin_url)
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        for attempt in range(20):
            try:
                admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
                return
            except psycopg.errors.ObjectInUse:  # another script is copying it this instant
                if attempt == 19:
                    raise
                time.sleep(0.1)


def sqlite_template() -> Path:
    """A migrated SQLite file to copy, built on first use."""
    import tempfile

    template = Path(tempfile.gettempdir()) / f"novosphere-bench-template-{_migrations_key()}.sqlite3"
    if not template.exists():
        building = template.with_suffix(f".{os.getpid()}.building")
        _migrate(f"sqlite:///{building}")
        import sqlite3

        sqlite3.connect(building).close()  # the last connection out folds the WAL into the file
        os.replace(building, template)  # atomic: a reader sees the whole file or none
    return template


def create_sqlite_database(path) -> None:
    """(Re)create the SQLite file at `path` as a copy of a migrated one."""
    import shutil

    template = sqlite_template()
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(template, path)
