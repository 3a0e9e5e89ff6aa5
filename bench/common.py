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
