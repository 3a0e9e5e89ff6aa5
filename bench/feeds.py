"""Feeds benchmark: home timeline reads and writes on a big follow graph.

    .venv/bin/python bench/feeds.py              # PostgreSQL (full size), then SQLite (a tenth)
    .venv/bin/python bench/feeds.py --scale 0.5  # everything at half size
    .venv/bin/python bench/feeds.py --only postgres
    .venv/bin/python bench/feeds.py --reuse           # measure again, data as built
    .venv/bin/python bench/feeds.py --server gunicorn # REST over WSGI instead of Daphne
    .venv/bin/python bench/feeds.py --server serve    # manage.py serve: a Daphne per core
    .venv/bin/python bench/feeds.py --smoke           # a hundredth of the size, seconds (CI)

On PostgreSQL it (re)creates the database `bench_feeds` (BENCH_PG_URL, default
postgres://postgres@127.0.0.1:5432/bench_feeds; `bench_feeds_smoke` with `--smoke`) and builds 20,000 actors,
1,000,000 follows (five streams with ~20,000 followers each, two with 4,500)
and 200,000 activities, with the home timelines the fan-out would have written.
Then, over real HTTP against a Daphne server (and a Celery worker on Redis for
the fan-out), it prints:

- home timeline read (50 items): p50 / p95 from one client, the throughput
  and p50 / p95 of 8 concurrent clients, and the ratio to one raw SQL query
  returning the same 50 rows;
- the notifications list (20 items) in-process, each reader given 30 notifications;
- a write on a 20,000-follower stream: the writer's request p50 / p95 and the
  time until its followers see it; the same for a 4,500-follower stream that
  is fanned out by the worker;
- the same on SQLite with a tenth of the data (fan-out in-process, no Redis).

Not a test: it takes minutes and needs the services. Each backend runs in a
subprocess of its own, since Django's settings are fixed per process.
"""

import argparse
import http.client
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    column_defaults,
    create_postgres_database,
    create_sqlite_database,
    free_port,
    wrk_reads,
)

BIN = Path(sys.executable).parent
# `--smoke` (BENCH_SMOKE=1, inherited by the per-backend subprocesses): the
# same steps at a size that runs in seconds, so the script cannot rot. On data of
# its own: CI's smoke run must not replace the full-size data a `--reuse` measures.
SMOKE = os.environ.get("BENCH_SMOKE") == "1"
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/" + ("bench_feeds_smoke" if SMOKE else "bench_feeds"))
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
SQLITE_PATH = Path(os.environ.get("BENCH_SQLITE_PATH", "/tmp/bench_feeds_smoke.sqlite3" if SMOKE else "/tmp/bench_feeds.sqlite3"))

FULL = {"actors": 20_000, "follows": 1_000_000, "activities": 200_000, "big_followers": 20_000, "medium_followers": 4_500}
BIG_STREAMS = 5  # actors 1..5: three cities, a famous person (a writer), an association
MEDIUM_STREAMS = 2  # actors 6..7: people just under the fan-out threshold (writers)
READERS = 20
READ_REQUESTS = 20 if SMOKE else 300
WRITES = 3 if SMOKE else 60
CONCURRENT_CLIENTS = 8
CONCURRENT_SECONDS = 1 if SMOKE else 10
BASELINE_REQUESTS = 10 if SMOKE else 100  # the health check and the in-process reads
# The command of each server under test, given its port.
SERVERS = {
    "daphne": lambda port: [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port), "novosphere.asgi:application"],
    # Two processes of four threads: the same two cores, without the ASGI bridge.
    "gunicorn": lambda port: [str(BIN / "gunicorn"), "-w", "2", "--threads", "4", "-b", f"127.0.0.1:{port}",
                              "novosphere.wsgi:application"],
    # What a deployment runs (`manage.py serve`): one Daphne per core on one socket
    # (one on SQLite, where there is no Redis to share the read cache's generation).
    "serve": lambda port: [sys.executable, "manage.py", "serve", "--host", "127.0.0.1", "--port", str(port),
                           "--workers", str(os.cpu_count() if os.environ.get("REDIS_URL") else 1)],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="size of the PostgreSQL data (1.0: the full size)")
    parser.add_argument("--only", choices=["postgres", "sqlite"])
    parser.add_argument("--reuse", action="store_true", help="measure again on the data already built")
    parser.add_argument("--server", choices=sorted(SERVERS), default="daphne",
                        help="the server under test: Daphne (ASGI, as deployed) or gunicorn (WSGI, "
                             "for REST beside Daphne; `pip install gunicorn` first)")
    parser.add_argument("--smoke", action="store_true", help="a tiny size that runs in seconds (CI)")
    parser.add_argument("--backend", choices=["postgres", "sqlite"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.smoke:
        os.environ["BENCH_SMOKE"] = "1"
    if args.backend:
        run_backend(args.backend, args.scale, args.reuse, args.server)
        return
    plan = [("postgres", 0.01), ("sqlite", 0.01)] if args.smoke else [("postgres", args.scale), ("sqlite", args.scale / 10)]
    for backend, scale in plan:
        if args.only in (None, backend):
            reuse = ["--reuse"] if args.reuse else []
            subprocess.run([sys.executable, __file__, "--backend", backend, "--scale", str(scale), *reuse,
                            "--server", args.server], check=True)


# --- Setting up one backend ----------------------------------------------------


def configure(backend: str, scale: float, reuse: bool = False) -> dict:
    """Environment for this process, the server and the worker; Django is set up after."""
    env = {
        "SECRET_KEY": "bench-only-secret",
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOCAL_HTTP": "true",  # plain HTTP on this machine: no redirect to https
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "novosphere.settings",
        # The same shape at every size: streams of a quarter of the actors are "big".
        "FEEDS_FANOUT_MAX_FOLLOWERS": str(max(1, int(5000 * scale))),
    }
    if backend == "postgres":
        if not reuse:
            create_postgres_database(PG_URL)
        env.update({"DATABASE_URL": PG_URL, "REDIS_URL": REDIS_URL, "CONN_MAX_AGE": "600"})
    else:
        if not reuse:
            create_sqlite_database(SQLITE_PATH)
        env.update({"DATABASE_URL": f"sqlite:///{SQLITE_PATH}", "REDIS_URL": ""})
    os.environ.update(env)
    return env


def run_backend(backend: str, scale: float, reuse: bool = False, server_name: str = "daphne") -> None:
    env = configure(backend, scale, reuse)
    import django

    django.setup()
    from django.core.management import call_command

    sizes = {key: max(50, int(value * scale)) for key, value in FULL.items()}
    if SMOKE:
        # Ordinary people keep ~45 followers at every scale while the fan-out limit
        # shrinks with it: at a hundredth most streams would be merged at read time
        # and each read would cost seconds. Ten follows each keep the full-size shape.
        sizes["follows"] = (BIG_STREAMS * sizes["big_followers"] + MEDIUM_STREAMS * sizes["medium_followers"]
                            + 10 * sizes["actors"])
    print(f"\n=== {backend}: {sizes['actors']:,} actors, ~{sizes['follows']:,} follows, "
          f"{sizes['activities']:,} activities (scale {scale:g}) ===", flush=True)
    call_command("migrate", verbosity=0)
    started = time.monotonic()
    if reuse:
        people = existing_people()
    else:
        people = build(backend, sizes)
        print(f"built in {time.monotonic() - started:.0f} s", flush=True)

    worker = server = None
    try:
        if backend == "postgres":
            subprocess.run(["redis-cli", "-u", REDIS_URL, "flushdb"], check=True, capture_output=True)
            worker = start([str(BIN / "celery"), "-A", "novosphere", "worker", "--pool=solo", "-l", "warning",
                            "--without-gossip", "--without-mingle", "--without-heartbeat"], env)
        port = free_port()
        server = start(SERVERS[server_name](port), env)
        print(f"server: {server_name}", flush=True)
        wait_for_port(port)
        measure(backend, port, people)
    finally:
        for process in (server, worker):
            if process is not None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:  # busy with requests still queued: no orphan left behind
                    process.kill()
                    process.wait()


def start(command: list[str], env: dict) -> subprocess.Popen:
    return subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=sys.stderr)




def wait_for_port(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the server did not start on port {port}")


# --- Building the data -----------------------------------------------------------


def build(backend: str, sizes: dict) -> dict:
    """Bulk-load actors, follows, activities and the timelines their fan-out writes."""
    from django.conf import settings
    from django.db import connection, transaction
    from knox.models import AuthToken
    from tqdm import tqdm
    from ulid import ULID

    from profiles.models import Actor, User

    rng = random.Random(2026)
    n = sizes["actors"]
    now = datetime.now(UTC)
    kinds = {1: "city", 2: "city", 3: "city", 5: "organization"}
    actors = [
        Actor(id=i, handle=f"a{i}", kind=kinds.get(i, "person"), name=f"Acteur {i}", country="FR")
        for i in range(1, n + 1)
    ]
    with transaction.atomic():
        Actor.objects.bulk_create(tqdm(actors, desc="actors", unit="row"), batch_size=5000)
    if backend == "postgres":  # ids were given: move the sequence past them
        with connection.cursor() as cursor:
            cursor.execute("SELECT setval(pg_get_serial_sequence('profiles_actor', 'id'), %s)", [n])

    def follow_rows():
        for target in range(1, BIG_STREAMS + 1):
            for follower in rng.sample(range(1, n + 1), min(sizes["big_followers"], n - 1) + 1):
                if follower != target:
                    yield follower, target
        for target in range(BIG_STREAMS + 1, BIG_STREAMS + MEDIUM_STREAMS + 1):
            for follower in rng.sample(range(BIG_STREAMS + MEDIUM_STREAMS + 1, n + 1), sizes["medium_followers"]):
                yield follower, target
        rest = sizes["follows"] - BIG_STREAMS * sizes["big_followers"] - MEDIUM_STREAMS * sizes["medium_followers"]
        per_person = max(1, rest // n)
        ordinary = range(BIG_STREAMS + MEDIUM_STREAMS + 1, n + 1)
        for follower in range(1, n + 1):
            for target in rng.sample(ordinary, per_person):
                if target != follower:
                    yield follower, target

    follows = set(follow_rows())  # a set: each pair once, as the unique constraint wants
    copy_rows(backend, "feeds_follow", ["follower_id", "target_actor_id", "created"],
              ((f, t, now) for f, t in follows), len(follows), "follows")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE profiles_actor SET followers_count = (SELECT COUNT(*) FROM feeds_follow f "
            "WHERE f.target_actor_id = profiles_actor.id), following_count = (SELECT COUNT(*) "
            "FROM feeds_follow f WHERE f.follower_id = profiles_actor.id)"
        )
    followers = dict(Actor.objects.values_list("id", "followers_count"))
    limit = settings.FEEDS_FANOUT_MAX_FOLLOWERS

    # Activities over the last 30 days, ids in time order; 2% by the big streams.
    start_ms = int((now - timedelta(days=30)).timestamp() * 1000)
    stamps = sorted(rng.randrange(start_ms, int(now.timestamp() * 1000)) for _ in range(sizes["activities"]))
    activities = []
    for stamp in stamps:
        author = rng.randint(1, BIG_STREAMS) if rng.random() < 0.02 else rng.randint(BIG_STREAMS + 1, n)
        activities.append((str(ULID.from_timestamp(stamp / 1000)), author, stamp))
    activities.sort()
    copy_rows(
        backend, "feeds_activity",
        ["id", "type", "actor_id", "object_type", "object_id", "object_name", "target_type", "target_id",
         "target_name", "object_url", "target_url", "subject_kind", "subject_id", "audience", "published"],
        # A profile update: about its public author, whom everyone may see.
        ((aid, "Update", author, "person", f"a{author}", f"Acteur {author}", "", "", "",
          f"/api/v1/actors/a{author}/", "", "actor", str(author), "everyone",
          datetime.fromtimestamp(stamp / 1000, UTC)) for aid, author, stamp in activities),
        len(activities), "activities",
    )

    def stream_of(author: int) -> str:
        return f"{'city' if kinds.get(author) == 'city' else 'actor'}:a{author}"

    copy_rows(backend, "feeds_streamentry", ["stream", "activity_id", "merged_at_read"],
              ((stream_of(author), aid, followers[author] > limit) for aid, author, _stamp in activities),
              len(activities), "stream entries")
    from feeds.models import MergedStream

    MergedStream.objects.bulk_create(
        [MergedStream(stream=stream_of(a)) for a, count in followers.items() if count > limit], ignore_conflicts=True
    )
    print("fanning out into home timelines (one INSERT ... SELECT)...", flush=True)
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if backend == "postgres" else "ANALYZE")
        rebuild = []
        if backend == "postgres":
            # Millions of rows load far faster into a table without indexes, which
            # are then built in one sorted pass each.
            cursor.execute("SET maintenance_work_mem = '1GB'")
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'feeds_timelineentry' "
                "AND indexname NOT IN ('feeds_timelineentry_pkey', 'one_timeline_entry_per_owner')"
            )
            rebuild = cursor.fetchall()
            for name, _definition in rebuild:
                cursor.execute(f'DROP INDEX "{name}"')
            cursor.execute("ALTER TABLE feeds_timelineentry DROP CONSTRAINT one_timeline_entry_per_owner")
            # Nor check each row's foreign keys one by one at commit: the rows come
            # from the tables they point to.
            cursor.execute("SET session_replication_role = replica")
        cursor.execute(
            "INSERT INTO feeds_timelineentry (owner_id, activity_id) "
            "SELECT f.follower_id, s.activity_id FROM feeds_streamentry s "
            "JOIN feeds_activity a ON a.id = s.activity_id "
            "JOIN feeds_follow f ON f.target_actor_id = a.actor_id WHERE NOT s.merged_at_read "
            "UNION ALL SELECT a.actor_id, a.id FROM feeds_activity a"
        )
        if backend == "postgres":
            cursor.execute("SET session_replication_role = DEFAULT")
            cursor.execute(
                "ALTER TABLE feeds_timelineentry ADD CONSTRAINT one_timeline_entry_per_owner "
                "UNIQUE (owner_id, activity_id)"
            )
            for _name, definition in rebuild:
                cursor.execute(definition)
        cursor.execute("SELECT COUNT(*) FROM feeds_timelineentry")
        timeline_rows = cursor.fetchone()[0]
        print(f"{timeline_rows:,} timeline rows in {time.monotonic() - started:.0f} s", flush=True)
        cursor.execute("VACUUM ANALYZE" if backend == "postgres" else "ANALYZE")

    # Accounts for the readers and the writers.
    writers = {"big": 4, "medium": BIG_STREAMS + 1}
    reader_ids = rng.sample(range(BIG_STREAMS + MEDIUM_STREAMS + 1, n + 1), READERS)
    tokens = {}
    for actor_id in [*reader_ids, *writers.values()]:
        user = User.objects.create_user(username=f"a{actor_id}")
        Actor.objects.filter(pk=actor_id).update(user=user)
        tokens[actor_id] = AuthToken.objects.create(user)[1]
    return {"readers": reader_ids, "writers": writers, "tokens": tokens, "followers": followers, "n": n}


def existing_people() -> dict:
    """Readers, writers and tokens of data built by an earlier run."""
    from knox.models import AuthToken

    from profiles.models import Actor

    writers = {"big": 4, "medium": BIG_STREAMS + 1}
    with_accounts = Actor.objects.filter(user__isnull=False).order_by("user_id")
    reader_ids = [a.pk for a in with_accounts if a.pk not in writers.values()][:READERS]
    tokens = {a.pk: AuthToken.objects.create(a.user)[1] for a in with_accounts if a.pk in [*reader_ids, *writers.values()]}
    followers = dict(Actor.objects.values_list("id", "followers_count"))
    return {"readers": reader_ids, "writers": writers, "tokens": tokens, "followers": followers, "n": len(followers)}


def copy_rows(backend: str, table: str, columns: list[str], rows, total: int, label: str) -> None:
    """COPY on PostgreSQL, executemany on SQLite, with a progress bar."""
    from django.db import connection, transaction
    from tqdm import tqdm

    extra_columns, extra_values = column_defaults(table, columns)
    columns = [*columns, *extra_columns]
    rows = tqdm((tuple(row) + extra_values for row in rows), total=total, desc=label, unit="row", mininterval=1)
    with transaction.atomic(), connection.cursor() as cursor:
        if backend == "postgres":
            with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})"
            batch = []
            for row in rows:
                # Stored as Django stores times on SQLite: naive UTC text.
                batch.append(tuple(
                    value.astimezone(UTC).replace(tzinfo=None).isoformat(" ") if isinstance(value, datetime) else value
                    for value in row
                ))
                if len(batch) == 10_000:
                    cursor.executemany(sql, batch)
                    batch.clear()
            if batch:
                cursor.executemany(sql, batch)


# --- Measuring ---------------------------------------------------------------------


class Client:
    """One keep-alive HTTP connection to the server under test."""

    def __init__(self, port: int):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def call(self, method: str, path: str, token: str) -> tuple[float, int, dict]:
        started = time.perf_counter()
        try:
            self.connection.request(method, path, headers={"Authorization": f"Token {token}", "Host": "127.0.0.1"})
            response = self.connection.getresponse()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            # The server closed an idle keep-alive connection: open a new one, once.
            self.connection.close()
            started = time.perf_counter()
            self.connection.request(method, path, headers={"Authorization": f"Token {token}", "Host": "127.0.0.1"})
            response = self.connection.getresponse()
        body = response.read()
        elapsed = time.perf_counter() - started
        return elapsed, response.status, json.loads(body) if body else {}


def give_notifications(readers: list[int], each: int) -> None:
    """`each` of the newest public activities, not their own, as notifications of each reader."""
    from feeds.models import Activity, Notification
    from novosphere import kinds

    public = list(Activity.objects.filter(audience=kinds.Audience.EVERYONE).order_by("-id")
                  .values_list("id", "actor_id")[: each + len(readers)])
    notifications = []
    for reader in readers:
        theirs = [activity for activity, author in public if author != reader][:each]
        notifications += [Notification(recipient_id=reader, activity_id=activity, reason=Notification.Reason.FOLLOWED)
                          for activity in theirs]
    Notification.objects.bulk_create(notifications, ignore_conflicts=True)


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[int(len(ordered) * 0.95) - 1] * 1000


RAW_HOME_SQL = """
SELECT a.id, a.type, a.object_type, a.object_id, a.object_name, a.target_type, a.target_id,
       a.target_name, a.published, p.handle, p.name, p.kind
FROM feeds_activity a JOIN profiles_actor p ON p.id = a.actor_id
WHERE a.id IN (
    SELECT activity_id FROM (SELECT t.activity_id FROM feeds_timelineentry t WHERE t.owner_id = %s
                             ORDER BY t.activity_id DESC LIMIT 50) own
    {merged}
)
ORDER BY a.id DESC LIMIT 50
"""
RAW_MERGED_SQL = """
    UNION SELECT activity_id FROM (SELECT s.activity_id FROM feeds_streamentry s
                                   WHERE s.stream = %s AND s.merged_at_read
                                   ORDER BY s.activity_id DESC LIMIT 50) merged{index}
"""


def measure(backend: str, port: int, people: dict) -> None:
    from django.db import connection

    from feeds.models import Activity, Follow, MergedStream, TimelineEntry
    from feeds.selectors import home_stream_keys
    from profiles.models import Actor

    tokens, readers = people["tokens"], people["readers"]
    client = Client(port)
    for reader in readers:  # warm-up: connections, caches, query plans
        client.call("GET", "/api/v1/feed/?limit=50", tokens[reader])

    samples = []
    for index in range(READ_REQUESTS):
        elapsed, status, body = client.call("GET", "/api/v1/feed/?limit=50", tokens[readers[index % READERS]])
        assert status == 200 and len(body["results"]) == 50, (status, body)
        samples.append(elapsed)
    http_p50, http_p95 = percentiles(samples)

    # The same read from CONCURRENT_CLIENTS connections at once: what the server
    # sustains, where the ASGI bridge shows (a single client barely sees it).
    concurrent, deadline = [], time.monotonic() + CONCURRENT_SECONDS

    def read_until_deadline(first: int) -> None:
        own, index = Client(port), first
        while time.monotonic() < deadline:
            elapsed, status, _body = own.call("GET", "/api/v1/feed/?limit=50", tokens[readers[index % READERS]])
            assert status == 200, status
            concurrent.append(elapsed)
            index += 1

    threads = [threading.Thread(target=read_until_deadline, args=(n,)) for n in range(CONCURRENT_CLIENTS)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    throughput = len(concurrent) / (time.monotonic() - began)

    # What the issue's goal names: 32 connections (wrk), once with the 20 readers'
    # reads repeated (the read cache answers most), once with every read a miss.
    at_32 = {}
    if shutil.which("wrk"):
        reader_tokens = [tokens[reader] for reader in readers]
        for unique in (False, True):
            at_32[unique] = wrk_reads(port, "/api/v1/feed/?limit=50", reader_tokens, connections=32,
                                      seconds=CONCURRENT_SECONDS, unique=unique)
            assert at_32[unique]["errors"] == 0, at_32[unique]

    # What the server hop costs by itself: a trivial endpoint over the same server,
    # and the same feed read in-process, without a server.
    health = [client.call("GET", "/api/health/", tokens[readers[0]])[0] for _ in range(BASELINE_REQUESTS)]
    from django.test import Client as InProcess

    local = InProcess(HTTP_HOST="127.0.0.1")
    in_process = []
    for index in range(BASELINE_REQUESTS):
        started = time.perf_counter()
        response = local.get("/api/v1/feed/?limit=50", HTTP_AUTHORIZATION=f"Token {tokens[readers[index % READERS]]}")
        in_process.append(time.perf_counter() - started)
        assert response.status_code == 200

    # The notifications list (20 items) in-process: each reader is given 30 of the newest
    # public activities as notifications (kept: a later --reuse run finds them).
    give_notifications(readers, each=30)
    notified = []
    for index in range(BASELINE_REQUESTS):
        started = time.perf_counter()
        response = local.get("/api/v1/notifications/?limit=20", HTTP_AUTHORIZATION=f"Token {tokens[readers[index % READERS]]}")
        notified.append(time.perf_counter() - started)
        assert response.status_code == 200 and response.json()["results"], response.content[:200]

    # The floor: one hand-written SQL query returning the same 50 rows.
    raw, checked = [], False
    with connection.cursor() as cursor:
        for index in range(READ_REQUESTS):
            reader = Actor.objects.get(pk=readers[index % READERS])
            keys = list(MergedStream.objects.filter(stream__in=home_stream_keys(reader)).values_list("stream", flat=True))
            sql = RAW_HOME_SQL.format(merged="".join(RAW_MERGED_SQL.format(index=i) for i in range(len(keys))))
            started = time.perf_counter()
            cursor.execute(sql, [reader.pk, *keys])
            rows = cursor.fetchall()
            raw.append(time.perf_counter() - started)
            if not checked:
                api_ids = [a["id"] for a in client.call("GET", "/api/v1/feed/?limit=50", tokens[reader.pk])[2]["results"]]
                assert [row[0] for row in rows] == api_ids, "the raw query and the API disagree"
                checked = True
    raw_p50, raw_p95 = percentiles(raw)

    print(f"home timeline, 50 items, over HTTP ({READ_REQUESTS} requests, {READERS} readers): "
          f"p50 {http_p50:.1f} ms, p95 {http_p95:.1f} ms")
    print(f"same read in-process, no server: p50 {percentiles(in_process)[0]:.1f} ms, p95 {percentiles(in_process)[1]:.1f} ms; "
          f"GET /api/health/ over the same server: p50 {percentiles(health)[0]:.1f} ms, p95 {percentiles(health)[1]:.1f} ms")
    print(f"notifications, 20 items, in-process: p50 {percentiles(notified)[0]:.1f} ms, p95 {percentiles(notified)[1]:.1f} ms")
    print(f"{CONCURRENT_CLIENTS} concurrent clients: {throughput:.0f} reads/s, "
          f"p50 {percentiles(concurrent)[0]:.1f} ms, p95 {percentiles(concurrent)[1]:.1f} ms")
    for unique, figures in at_32.items():
        print(f"32 connections (wrk), {'every read a read-cache miss' if unique else 'reads repeated'}: "
              f"{figures['rps']:.0f} reads/s, p50 {figures['p50']:.1f} ms, p99 {figures['p99']:.1f} ms, "
              f"{figures['errors']} errors")
    print(f"one raw SQL query for the same 50 rows: p50 {raw_p50:.2f} ms, p95 {raw_p95:.2f} ms; "
          f"ratio HTTP/SQL p50 {http_p50 / raw_p50:.1f}, p95 {http_p95 / raw_p95:.1f}; "
          f"ratio in-process/SQL p50 {percentiles(in_process)[0] / raw_p50:.1f}")

    # Writes: each follow by a writer records an activity on the writer's stream.
    for writer in people["writers"].values():
        followers_count = people["followers"][writer]
        fans = list(Follow.objects.filter(target_actor_id=writer).values_list("follower_id", flat=True))
        sample = random.Random(writer).sample(fans, 3)
        sample_tokens = {}
        for fan in sample:
            from knox.models import AuthToken

            from profiles.models import User

            user = Actor.objects.get(pk=fan).user or User.objects.create_user(username=f"a{fan}")
            Actor.objects.filter(pk=fan, user__isnull=True).update(user=user)
            sample_tokens[fan] = AuthToken.objects.create(user)[1]
        latencies, visible_after, everyone_after = [], [], []
        # Actors the writer does not follow yet (earlier runs on reused data followed some).
        followed = set(Follow.objects.filter(follower_id=writer).values_list("target_actor_id", flat=True))
        candidates = [t for t in range(BIG_STREAMS + MEDIUM_STREAMS + 1, people["n"] + 1) if t not in followed]
        targets = random.Random(writer + 1).sample(candidates, WRITES)
        for target in targets[:WRITES]:
            started = time.perf_counter()
            elapsed, status, _body = client.call("POST", f"/api/v1/actors/a{target}/follow/", tokens[writer])
            assert status == 200, status
            latencies.append(elapsed)
            activity_id = Activity.objects.filter(actor_id=writer).order_by("-id").values_list("id", flat=True)[0]
            # Followers see it when it is in their home timeline over the API (a sample of 3)...
            reader_client = Client(port)
            deadline = time.monotonic() + 60
            for token in sample_tokens.values():
                while activity_id not in [a["id"] for a in reader_client.call("GET", "/api/v1/feed/?limit=5", token)[2]["results"]]:
                    assert time.monotonic() < deadline, "a follower never saw the activity"
                    time.sleep(0.005)
            visible_after.append(time.perf_counter() - started)
            # ...and every follower has it once all the fan-out rows exist (or it is merged at read time).
            merged = followers_count > int(os.environ["FEEDS_FANOUT_MAX_FOLLOWERS"])
            while not merged and TimelineEntry.objects.filter(activity_id=activity_id).count() < followers_count + 1:
                assert time.monotonic() < deadline, "the fan-out never finished"
                time.sleep(0.005)
            everyone_after.append(time.perf_counter() - started)
        write_p50, write_p95 = percentiles(latencies)
        path = "merged at read time" if followers_count > int(os.environ["FEEDS_FANOUT_MAX_FOLLOWERS"]) else (
            "fanned out by a Celery worker" if backend == "postgres" else "fanned out in-process after commit")
        print(f"write on a {followers_count:,}-follower stream ({path}), {len(latencies)} writes: "
              f"request p50 {write_p50:.1f} ms, p95 {write_p95:.1f} ms; "
              f"3 sampled followers see it after p95 {percentiles(visible_after)[1]:.0f} ms; "
              f"all {followers_count:,} followers after p50 {percentiles(everyone_after)[0]:.0f} ms, "
              f"max {max(everyone_after) * 1000:.0f} ms", flush=True)


if __name__ == "__main__":
    if shutil.which("redis-cli") is None:
        print("warning: redis-cli not found; the PostgreSQL run needs Redis", file=sys.stderr)
    main()
