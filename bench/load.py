"""Mixed load for five minutes: reads, writes, searches and 1,000 open websockets
against two Daphne processes on PostgreSQL and Redis (a benchmark, not a test).

    .venv/bin/python bench/load.py --quick          # 30 s, 200 sockets: a smoke run
    .venv/bin/python bench/load.py                  # 300 s, 1,000 sockets
    .venv/bin/python bench/load.py --split          # REST on one Daphne, websockets on the other
    .venv/bin/python bench/load.py --reuse          # keep the database built by the last run

It (re)creates the PostgreSQL database `bench_load` (BENCH_PG_URL), migrates it,
loads `seed_demo` and adds generated people: readers (one websocket each,
following a city, three writers and two projects) and writers (each owning a
public project and an open collaboration request). It flushes Redis database 5
(BENCH_REDIS_URL: channel layer, cache and Celery broker), starts a Celery
worker (the timeline fan-out goes there when REDIS_URL is set) and two Daphne
processes, then two load processes on the loopback:

- `--role sockets`: every reader's websocket, spread over the Daphnes; a socket
  that closes reconnects with `?after=<last activity id>` (resume);
- `--role http`: an open-loop HTTP workload at `--rate` requests/s across the
  readers' and writers' tokens: home feed, notifications, actor, project and
  city-stream reads, search and suggest, and writes that make activities
  (project updates, follows and unfollows, collaboration responses).

At the end it reads every activity written during the run from the database and
checks, per reader, that each one the reader should see on its home stream
(its follows and its own, by the feed's visibility rule) reached its socket
exactly once, and that the fan-out put it in the reader's home timeline. It
prints throughput and p50/p95/p99 per endpoint, errors by endpoint and status,
frames, activities lost and duplicated, the write-response-to-frame latency and
the load average. Everything it starts stops at the end, Ctrl-C included.
"""

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    Processes,
    cpu_seconds,
    create_postgres_database,
    free_port,
    ms,
    pct,
    raise_fd_limit,
    wait_for_http,
)

# `--smoke` has a database of its own: CI's smoke run must not replace the data a `--reuse` measures.
PG_URL = os.environ.get(
    "BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/" + ("bench_load_smoke" if "--smoke" in sys.argv[1:] else "bench_load"))
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5")
DAPHNES = 2
CONNECT_CONCURRENCY = 50  # websocket handshakes in flight at once
MAX_IN_FLIGHT = 64  # HTTP requests in flight at once; more wait (and are counted as late)
HTTP_TIMEOUT = 30

# The HTTP mix: weight of each operation. Writes need an idle account (one write
# in flight per account, so the follow state the driver keeps stays exact).
MIX = {
    "feed": 24,
    "notifications": 8,
    "actor": 10,
    "project": 10,
    "city_activity": 5,
    "search": 10,
    "suggest": 5,
    "update": 10,
    "follow": 12,
    "respond": 6,
}
SEARCHES = ["innovation", "Quebec", "énergie", "santé", "numérique", "rennes", "laboratoire", "mobilité",
            "startups", "recherche", "projet", "Montreal", "fablab", "donnees ouvertes", "innovaton"]
SUGGESTS = ["inno", "queb", "ren", "lab", "mon", "san", "nan", "cant", "proj", "ly"]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=300, help="length of the HTTP load (default 300)")
    parser.add_argument("--sockets", type=int, default=1000, help="open websockets, one per reader (default 1000)")
    parser.add_argument("--rate", type=float, default=40, help="target HTTP requests/s (default 40)")
    parser.add_argument("--writers", type=int, default=0, help="writer accounts (default: sockets / 10, at least 20)")
    parser.add_argument("--quick", action="store_true", help="a short run: 30 s, 200 sockets")
    parser.add_argument("--smoke", action="store_true",
                        help="a tiny run that takes seconds (CI): 3 s, 10 sockets, 5 writers, the demo's cities only")
    parser.add_argument("--split", action="store_true", help="REST on the first Daphne only, websockets on the second")
    parser.add_argument("--reuse", action="store_true", help="keep the database of the last run (same sizes)")
    parser.add_argument("--seed", type=int, default=2026, help="random seed of the data and the workload")
    parser.add_argument("--role", choices=["sockets", "http"], help=argparse.SUPPRESS)
    parser.add_argument("--plan", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.sockets = 30, 200
    if args.smoke:
        args.seconds, args.sockets, args.rate = 3, 10, 10
        args.writers = args.writers or 5  # a reader follows three writers
    args.writers = args.writers or max(20, args.sockets // 10)
    return args


def server_env() -> dict:
    """The environment of the servers, the worker and this process's Django."""
    return {
        "DJANGO_SETTINGS_MODULE": "novosphere.settings",
        "SECRET_KEY": "bench-only-secret",
        "DEBUG": "false",
        "LOCAL_HTTP": "true",  # plain HTTP on the loopback: no redirect to https
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
        "DATABASE_URL": PG_URL,
        "REDIS_URL": REDIS_URL,
    }


# --- Building the data (this process, Django on bench_load, no Redis) ------------------


def setup_django(fresh: bool) -> None:
    if fresh:
        create_postgres_database(PG_URL)  # a copy of the migrated template
    # Seeding and checking must not publish anything: no REDIS_URL here, so
    # the fan-out of the seed's own activities runs in-process.
    os.environ.update({**server_env(), "REDIS_URL": ""})
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", "--noinput", verbosity=0)


def build(sockets: int, writers: int, seed: int, smoke: bool = False) -> None:
    """Demo data, then readers and writers with their follows, projects and requests.

    `smoke`: the demo's cities and their links only, not the whole demo (whose seeding
    alone takes about a minute); the readers and writers are built the same way."""
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone
    from tqdm import tqdm

    from feeds.models import Follow
    from profiles.models import Actor, User
    from projects import services as projects
    from projects.models import Project

    if smoke:
        from profiles.demo import seed_cities

        seed_cities()
    else:
        call_command("seed_demo", verbosity=0)
    rng = random.Random(seed)
    cities = list(Actor.objects.filter(kind=Actor.Kind.CITY).order_by("handle"))
    print(f"building {writers} writers and {sockets} readers...", flush=True)
    writer_actors = []
    for i in tqdm(range(writers), desc="writers", unit="writer"):
        city = rng.choice(cities)
        user = User.objects.create(username=f"writer{i}", email=f"writer{i}@example.org", password="!")
        actor = Actor.objects.create(handle=f"writer{i}", kind=Actor.Kind.PERSON, name=f"Rédactrice {i}",
                                     user=user, city=city, headline="Entrepreneuse en innovation")
        projects.create_project(creator=user, title=f"Projet d'innovation {i}", slug=f"load-project-{i}",
                                summary="Un projet de démonstration pour la charge", city=city)
        projects.open_collaboration(author=user, title=f"Recherche partenaires {i}",
                                    message="Nous cherchons des partenaires.", to_city=rng.choice(cities),
                                    deadline=timezone.now() + timedelta(days=60))
        writer_actors.append(actor)
    load_projects = list(Project.objects.filter(slug__startswith="load-project-"))
    with transaction.atomic():
        users = User.objects.bulk_create(
            [User(username=f"reader{i}", email=f"reader{i}@example.org", password="!") for i in range(sockets)],
            batch_size=500,
        )
        readers = Actor.objects.bulk_create(
            [Actor(handle=f"reader{i}", kind=Actor.Kind.PERSON, name=f"Lectrice {i}", user=user,
                   city=rng.choice(cities)) for i, user in enumerate(users)],
            batch_size=500,
        )
        follows = []
        for reader in readers:
            follows.append(Follow(follower=reader, target_actor=rng.choice(cities)))
            follows += [Follow(follower=reader, target_actor=w) for w in rng.sample(writer_actors, 3)]
            follows += [Follow(follower=reader, target_project=p) for p in rng.sample(load_projects, 2)]
        Follow.objects.bulk_create(follows, batch_size=2000)
        with connection.cursor() as cursor:  # the counters the follow service would have kept
            cursor.execute(
                "UPDATE profiles_actor SET followers_count = (SELECT COUNT(*) FROM feeds_follow f "
                "WHERE f.target_actor_id = profiles_actor.id), following_count = (SELECT COUNT(*) "
                "FROM feeds_follow f WHERE f.follower_id = profiles_actor.id)"
            )
            cursor.execute(
                "UPDATE projects_project SET followers_count = (SELECT COUNT(*) FROM feeds_follow f "
                "WHERE f.target_project_id = projects_project.id)"
            )
    call_command("reindex", "--no-progress", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def make_plan(path: Path, rest_bases: list[str], ws_bases: list[str]) -> dict:
    """Fresh tokens and the state the workload starts from, written for the load processes."""
    from django.db import transaction
    from knox.models import AuthToken

    from feeds.models import Follow
    from profiles.models import Actor
    from projects.models import CollaborationRequest, CollaborationResponse, Project

    def tokens(prefix: str) -> list[dict]:
        people = Actor.objects.filter(handle__startswith=prefix, user__isnull=False).select_related("user")
        with transaction.atomic():
            rows = [{"handle": a.handle, "token": AuthToken.objects.create(a.user)[1]} for a in people]
        return sorted(rows, key=lambda row: int(row["handle"].removeprefix(prefix)))

    writers = tokens("writer")
    for writer in writers:
        writer["project"] = f"load-project-{writer['handle'].removeprefix('writer')}"
        writer["following"] = [
            f"project:{slug}" if slug else f"actor:{handle}"
            for handle, slug in Follow.objects.filter(follower__handle=writer["handle"]).values_list(
                "target_actor__handle", "target_project__slug")
        ]
    requests = list(CollaborationRequest.objects.filter(status="open", author__handle__startswith="writer")
                    .values_list("id", flat=True))
    plan = {
        "rest_bases": rest_bases,
        "ws_bases": ws_bases,
        "readers": tokens("reader"),
        "writers": writers,
        "cities": list(Actor.objects.filter(kind=Actor.Kind.CITY).values_list("handle", flat=True)),
        "actors": list(Actor.objects.values_list("handle", flat=True)),
        "projects": list(Project.objects.filter(visibility="public").values_list("slug", flat=True)),
        "requests": requests,
        "responded": [[r, h] for r, h in CollaborationResponse.objects.filter(request_id__in=requests)
                      .values_list("request_id", "responder__handle")],
    }
    path.write_text(json.dumps(plan))
    return plan


# --- The websockets (a process of their own) ----------------------------------------


async def hold_sockets(plan: dict, out: Path) -> None:
    """Open every reader's socket, report counts on stdout, reconnect with resume, dump on `stop`."""
    from websockets.asyncio.client import connect

    readers = plan["readers"]
    bases = plan["ws_bases"]
    received = [[] for _ in readers]  # (monotonic, activity id)
    notifications = [[] for _ in readers]  # (monotonic, notification id)
    cursors = [""] * len(readers)
    connects = [0] * len(readers)
    closes: Counter = Counter()
    other: Counter = Counter()
    boundary = [""]  # the latest activity id before the load, from `go`
    stopping = asyncio.Event()
    opened = [0]
    first_round = asyncio.Event()
    semaphore = asyncio.Semaphore(CONNECT_CONCURRENCY)
    sockets = {}

    async def client(i: int) -> None:
        reader = readers[i]
        base = bases[i % len(bases)]
        while not stopping.is_set():
            url = f"{base}?token={reader['token']}"
            after = max(cursors[i], boundary[0])
            if connects[i] and after:
                url += f"&after={after}"  # reconnect: resume from the last activity seen
            try:
                async with semaphore:
                    ws = await connect(url, open_timeout=120, ping_interval=None, close_timeout=2, max_queue=None)
                sockets[i] = ws
                connects[i] += 1
                if connects[i] == 1:
                    opened[0] += 1
                    if opened[0] == len(readers):
                        first_round.set()
                async for raw in ws:
                    now = time.monotonic()
                    frame = json.loads(raw)
                    kind = frame.get("type")
                    if kind == "activity":
                        activity_id = frame["activity"]["id"]
                        received[i].append((now, activity_id))
                        cursors[i] = max(cursors[i], activity_id)
                    elif kind == "notification":
                        notifications[i].append((now, frame["notification"]["id"]))
                    else:
                        other[kind] += 1
                reason = f"closed {ws.close_code}"
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - counted and reported
                code = getattr(getattr(error, "rcvd", None), "code", None)
                reason = f"{type(error).__name__} {code}" if code else type(error).__name__
            sockets.pop(i, None)
            if stopping.is_set():
                return
            closes[reason] += 1
            await asyncio.sleep(0.5 + random.random())

    tasks = [asyncio.create_task(client(i)) for i in range(len(readers))]
    try:
        await asyncio.wait_for(first_round.wait(), timeout=max(120, len(readers) * 0.2))
    except TimeoutError:
        pass
    print(f"ready {opened[0]} {sum(closes.values())}", flush=True)

    async def report_counts() -> None:
        while True:
            print(f"count {sum(map(len, received))} {sum(map(len, notifications))} {len(sockets)}", flush=True)
            await asyncio.sleep(1)

    reporter = asyncio.create_task(report_counts())
    loop = asyncio.get_running_loop()
    while True:
        line = (await loop.run_in_executor(None, sys.stdin.readline)).split()
        if not line or line[0] == "stop":
            break
        if line[0] == "go":
            boundary[0] = line[1]
    stopping.set()
    reporter.cancel()
    await asyncio.gather(*(ws.close() for ws in list(sockets.values())), return_exceptions=True)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    out.write_text(json.dumps({
        "readers": [
            {"handle": r["handle"], "activities": received[i], "notifications": notifications[i],
             "connects": connects[i]}
            for i, r in enumerate(readers)
        ],
        "closes": closes, "other": other,
    }))


# --- The HTTP workload (a process of its own) ----------------------------------------


async def drive_http(plan: dict, out: Path, seconds: float, rate: float, seed: int) -> None:
    """Open-loop requests at `rate`/s for `seconds`; each request's endpoint, status and latency."""
    import aiohttp

    rng = random.Random(seed + 1)
    readers, writers = plan["readers"], plan["writers"]
    idle_writers = set(range(len(writers)))
    following = [set(w["following"]) for w in writers]
    follow_targets = ([f"actor:{h}" for h in plan["cities"]] + [f"actor:{r['handle']}" for r in readers]
                      + [f"project:{w['project']}" for w in writers])
    responded = {(r, h) for r, h in plan["responded"]}
    samples: list[tuple[str, int, float]] = []  # (endpoint, status or 0, seconds)
    exceptions: Counter = Counter()
    writes: list[dict] = []  # what each successful write made, and when its answer arrived
    follow_counts: Counter = Counter()
    late, unsent = [0], [0]
    semaphore = asyncio.Semaphore(MAX_IN_FLIGHT)
    timeout = aiohttp.ClientTimeout(total=HTTP_TIMEOUT)
    sessions = [aiohttp.ClientSession(base, timeout=timeout, connector=aiohttp.TCPConnector(limit=MAX_IN_FLIGHT))
                for base in plan["rest_bases"]]
    turn = [0]

    async def call(endpoint: str, method: str, path: str, token: str, body: dict | None = None):
        session = sessions[turn[0] % len(sessions)]
        turn[0] += 1
        headers = {"Authorization": f"Token {token}", "Accept-Language": "fr"}
        started = time.monotonic()
        try:
            async with session.request(method, path, json=body, headers=headers) as response:
                raw = await response.read()
                answered = time.monotonic()
                samples.append((endpoint, response.status, answered - started))
                return response.status, raw, started, answered
        except Exception as error:  # noqa: BLE001 - counted and reported
            samples.append((endpoint, 0, time.monotonic() - started))
            exceptions[(endpoint, type(error).__name__)] += 1
            return 0, b"", started, time.monotonic()

    def reader() -> dict:
        return rng.choice(readers)

    async def operation(name: str) -> None:
        if name == "feed":
            await call("GET /feed/", "GET", "/api/v1/feed/?limit=20", reader()["token"])
        elif name == "notifications":
            await call("GET /notifications/", "GET", "/api/v1/notifications/", reader()["token"])
        elif name == "actor":
            await call("GET /actors/{handle}/", "GET", f"/api/v1/actors/{rng.choice(plan['actors'])}/",
                       reader()["token"])
        elif name == "project":
            await call("GET /projects/{slug}/", "GET", f"/api/v1/projects/{rng.choice(plan['projects'])}/",
                       reader()["token"])
        elif name == "city_activity":
            await call("GET /cities/{handle}/activity/", "GET",
                       f"/api/v1/cities/{rng.choice(plan['cities'])}/activity/", reader()["token"])
        elif name == "search":
            await call("GET /search/", "GET", f"/api/v1/search/?q={rng.choice(SEARCHES)}", reader()["token"])
        elif name == "suggest":
            await call("GET /search/suggest/", "GET", f"/api/v1/search/suggest/?q={rng.choice(SUGGESTS)}",
                       reader()["token"])
        elif name == "respond":
            await respond()
        else:
            await write(name)

    async def respond() -> None:
        for _attempt in range(5):
            request_id, person = rng.choice(plan["requests"]), reader()
            if (request_id, person["handle"]) not in responded:
                break
        else:
            return await operation("feed")
        responded.add((request_id, person["handle"]))
        status, raw, sent, answered = await call(
            "POST /collaborations/{id}/responses/", "POST", f"/api/v1/collaborations/{request_id}/responses/",
            person["token"], {"message": "Nous serions ravis de collaborer."},
        )
        if status == 201:
            writes.append({"key": ["response", str(json.loads(raw)["id"])], "sent": sent, "answered": answered})

    async def write(name: str) -> None:
        if not idle_writers:
            return await operation("feed")
        index = rng.choice(tuple(idle_writers))
        idle_writers.discard(index)
        writer = writers[index]
        try:
            if name == "update":
                status, raw, sent, answered = await call(
                    "POST /projects/{slug}/updates/", "POST", f"/api/v1/projects/{writer['project']}/updates/",
                    writer["token"], {"body": f"Nouvelle étape franchie, **merci** à tous ({rng.randrange(10**6)})."},
                )
                if status == 201:
                    writes.append({"key": ["update", str(json.loads(raw)["id"])], "sent": sent,
                                   "answered": answered})
                return
            target = rng.choice(follow_targets)
            if target == f"actor:{writer['handle']}" or target == f"project:{writer['project']}":
                return await operation("feed")
            kind, name_ = target.split(":")
            path = f"/api/v1/{'projects' if kind == 'project' else 'actors'}/{name_}/follow/"
            template = f"/{'projects/{slug}' if kind == 'project' else 'actors/{handle}'}/follow/"
            if target in following[index]:
                status, *_rest = await call(f"DELETE {template}", "DELETE", path, writer["token"])
                if status == 200:
                    following[index].discard(target)
            else:
                status, _raw, sent, answered = await call(f"POST {template}", "POST", path, writer["token"])
                if status == 200:
                    following[index].add(target)
                    # The n-th follow of this target by this writer: its n-th Follow activity.
                    follow_counts[(writer["handle"], name_)] += 1
                    count = follow_counts[(writer["handle"], name_)]
                    writes.append({"key": ["follow", writer["handle"], name_, count], "sent": sent,
                                   "answered": answered})
        finally:
            idle_writers.add(index)

    async def one(name: str) -> None:
        try:
            await operation(name)
        finally:
            semaphore.release()

    names, weights = list(MIX), list(MIX.values())
    started = time.monotonic()
    deadline = started + seconds
    due = started
    tasks = set()
    while True:
        due += rng.expovariate(rate)  # Poisson arrivals: the load does not wait for answers
        if due >= deadline:
            break
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        if semaphore.locked():
            late[0] += 1
        await semaphore.acquire()
        if time.monotonic() >= deadline:
            # The server fell this far behind: what was still due is not sent, and the run
            # reports the rate it reached rather than going on until every arrival is served.
            semaphore.release()
            unsent[0] = 1 + int(rate * (deadline - due))
            break
        task = asyncio.create_task(one(rng.choices(names, weights)[0]))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    await asyncio.gather(*tasks)
    ended = time.monotonic()
    for session in sessions:
        await session.close()
    out.write_text(json.dumps({
        "samples": samples, "writes": writes, "late": late[0], "unsent": unsent[0], "started": started, "ended": ended,
        "cpu": time.process_time(),
        "exceptions": [[endpoint, error, count] for (endpoint, error), count in exceptions.items()],
    }))


# --- The run ------------------------------------------------------------------------------


class SocketsProcess:
    """The `--role sockets` child: commands on its stdin, counts read from its stdout."""

    def __init__(self, processes: Processes, plan_path: Path, out: Path, env: dict):
        self.process = processes.start(
            "sockets", [sys.executable, __file__, "--role", "sockets", "--plan", str(plan_path), "--out", str(out)],
            env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1,
        )
        self.ready: tuple[int, int] | None = None
        self.activities = self.notifications = self.open = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            parts = line.split()
            if parts[:1] == ["ready"]:
                self.ready = (int(parts[1]), int(parts[2]))
            elif parts[:1] == ["count"]:
                self.activities, self.notifications, self.open = map(int, parts[1:4])

    def send(self, line: str) -> None:
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()


def wait_until(predicate, timeout: float, step: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def celery_idle() -> bool:
    """No fan-out task waiting or being worked on (Celery's Redis broker keys)."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    return client.llen("celery") == 0 and client.hlen("unacked") == 0


def run(args: argparse.Namespace) -> None:
    raise_fd_limit(args.sockets * 3 + 1024)  # both ends of every socket live on this host
    workdir = Path(tempfile.mkdtemp(prefix="bench-load-"))
    print(f"database {PG_URL}, Redis {REDIS_URL}, files in {workdir}", flush=True)
    setup_django(fresh=not args.reuse)
    if not args.reuse:
        started = time.monotonic()
        build(args.sockets, args.writers, args.seed, smoke=args.smoke)
        print(f"built in {time.monotonic() - started:.0f} s", flush=True)
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    env = {**os.environ, **server_env()}
    ports = [free_port() for _ in range(DAPHNES)]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    ws_bases = [f"ws://127.0.0.1:{port}/ws/stream/" for port in ports]
    rest_bases, ws_bases = (bases[:1], ws_bases[1:]) if args.split else (bases, ws_bases)
    plan_path = workdir / "plan.json"
    plan = make_plan(plan_path, rest_bases, ws_bases)
    logs = {}

    with Processes() as processes:
        def start(name: str, command: list[str]) -> subprocess.Popen:
            logs[name] = open(workdir / f"{name}.log", "w")  # noqa: SIM115 - closed with the run
            return processes.start(name, command, env=env, stdout=logs[name], stderr=subprocess.STDOUT)

        worker = start("celery", [sys.executable, "-m", "celery", "-A", "novosphere", "worker", "--pool=solo",
                                  "-l", "warning", "--without-gossip", "--without-mingle", "--without-heartbeat"])
        # Daphne as `manage.py serve` runs it (novosphere/wsserver.py).
        daphnes = [start(f"daphne{k}", [sys.executable, "-m", "novosphere.wsserver", "-v", "0", "-b", "127.0.0.1",
                                        "-p", str(port), "novosphere.asgi:application"]) for k, port in enumerate(ports)]
        for base, daphne in zip(bases, daphnes, strict=True):
            wait_for_http(base + "/api/health/", daphne)
        print(f"Daphne on {', '.join(bases)}; REST to {len(rest_bases)}, websockets to {len(ws_bases)}", flush=True)

        sockets_out = workdir / "sockets.json"
        sockets = SocketsProcess(processes, plan_path, sockets_out, env)
        connect_started = time.monotonic()
        if not wait_until(lambda: sockets.ready is not None or sockets.process.poll() is not None,
                          timeout=max(180, args.sockets * 0.3)):
            raise RuntimeError("the sockets did not open in time")
        if sockets.ready is None:
            raise RuntimeError("the sockets process exited")
        print(f"{sockets.ready[0]} / {args.sockets} sockets open in {time.monotonic() - connect_started:.1f} s",
              flush=True)

        from feeds.live import global_latest_activity_id
        from feeds.models import Notification

        boundary = global_latest_activity_id()
        notification_boundary = Notification.objects.order_by("-id").values_list("id", flat=True).first() or 0
        sockets.send(f"go {boundary}")
        watched = {"daphne0": daphnes[0], "daphne1": daphnes[1], "celery": worker, "sockets": sockets.process}
        cpu_before = {name: cpu_seconds(p.pid) for name, p in watched.items()}
        loads: list[tuple[float, float, float]] = [os.getloadavg()]
        http_out = workdir / "http.json"
        http = start("http", [sys.executable, __file__, "--role", "http", "--plan", str(plan_path), "--out",
                              str(http_out), "--seconds", str(args.seconds), "--rate", str(args.rate),
                              "--seed", str(args.seed)])
        load_started = next_print = time.monotonic()
        while http.poll() is None:
            time.sleep(0.5)
            if time.monotonic() >= next_print:
                next_print += 10
                loads.append(os.getloadavg())
                print(f"  {time.monotonic() - load_started:5.0f} s  load {loads[-1][0]:.2f}  frames "
                      f"{sockets.activities:,}  sockets open {sockets.open}", flush=True)
            if time.monotonic() - load_started > args.seconds + 120:
                raise RuntimeError("the HTTP workload did not end")
        if http.returncode != 0:
            raise RuntimeError(f"the HTTP workload failed: see {workdir / 'http.log'}")
        write_end = time.monotonic()
        cpu_after = {name: cpu_seconds(p.pid) for name, p in watched.items()}
        loads.append(os.getloadavg())

        # Drain: the fan-out queue empties, then every expected frame arrives (bounded).
        wait_until(celery_idle, timeout=120)
        fan_out_drained = time.monotonic() - write_end
        expected = expected_per_reader(plan, boundary, notification_boundary)
        total = sum(len(e["activities"]) for e in expected.values())
        # Until all arrived, or none arrived for 20 s (frames can trail the writes by minutes
        # when a server falls behind: those are late, not lost).
        last = [sockets.activities, time.monotonic()]

        def settled() -> bool:
            if sockets.activities != last[0]:
                last[:] = [sockets.activities, time.monotonic()]
            return sockets.activities >= total or time.monotonic() - last[1] > 20

        wait_until(settled, timeout=600)
        frames_drained = time.monotonic() - write_end
        time.sleep(2)  # a late duplicate would show here
        sockets.send("stop")
        sockets.process.wait(timeout=120)

    for log in logs.values():
        log.close()
    result = analyse(plan, boundary, expected, json.loads(sockets_out.read_text()), json.loads(http_out.read_text()))
    cpu = {name: cpu_after[name] - cpu_before[name] for name in cpu_after}
    cpu["http"] = result["http"]["cpu"]  # measured by the process itself: it has exited by now
    report(args, result, loads, cpu, fan_out_drained,
           frames_drained, workdir)


def expected_per_reader(plan: dict, boundary: str, notification_boundary: int) -> dict:
    """For each reader: the activities and notifications written during the run that it should get live."""
    from feeds.models import Notification, StreamEntry, TimelineEntry
    from feeds.selectors import home_stream_keys, visible_activities
    from profiles.models import Actor

    expected = {}
    people = Actor.objects.filter(handle__in=[r["handle"] for r in plan["readers"]]).select_related("user")
    for person in people:
        on_home = StreamEntry.objects.filter(stream__in=home_stream_keys(person), activity_id__gt=boundary)
        visible = visible_activities(person.user)
        expected[person.handle] = {
            "activities": set(visible.filter(id__in=on_home.values("activity_id")).values_list("id", flat=True)),
            "notifications": set(Notification.objects.filter(
                recipient=person, id__gt=notification_boundary, activity__in=visible).values_list("id", flat=True)),
            "timeline": set(TimelineEntry.objects.filter(owner=person, activity_id__gt=boundary)
                            .values_list("activity_id", flat=True)),
        }
    return expected


def analyse(plan: dict, boundary: str, expected: dict, sockets: dict, http: dict) -> dict:
    from feeds.models import Activity

    # Which write made each activity, to time write response -> frame.
    write_by_key = {tuple(w["key"]): w for w in http["writes"]}
    write_of: dict[str, dict] = {}
    follow_seen: Counter = Counter()
    activities = list(Activity.objects.filter(id__gt=boundary).order_by("id")
                      .values_list("id", "type", "actor__handle", "object_type", "object_id"))
    by_type = Counter(kind for _id, kind, *_rest in activities)
    for activity_id, kind, handle, object_type, object_id in activities:
        if kind == "Follow":
            follow_seen[(handle, object_id)] += 1
            key = ("follow", handle, object_id, follow_seen[(handle, object_id)])
        else:
            key = (object_type, object_id)
        if key in write_by_key:
            write_of[activity_id] = write_by_key[key]
    writes_without_activity = len(write_by_key) - len(write_of)

    lost = duplicates = unexpected = notifications_lost = notification_duplicates = timeline_missing = 0
    from_response: list[float] = []
    from_request: list[float] = []
    frames = notification_frames = 0
    lossy_readers = []
    for row in sockets["readers"]:
        want = expected[row["handle"]]
        got = Counter(activity_id for _t, activity_id in row["activities"])
        frames += len(row["activities"])
        duplicates += sum(n - 1 for n in got.values())
        missing = want["activities"] - got.keys()
        lost += len(missing)
        unexpected += len(got.keys() - want["activities"])
        if missing:
            lossy_readers.append((row["handle"], sorted(missing)[:3]))
        seen = set()
        for when, activity_id in row["activities"]:
            if activity_id not in seen and activity_id in write_of:
                from_response.append(when - write_of[activity_id]["answered"])
                from_request.append(when - write_of[activity_id]["sent"])
            seen.add(activity_id)
        notes = Counter(notification_id for _t, notification_id in row["notifications"])
        notification_frames += len(row["notifications"])
        notification_duplicates += sum(n - 1 for n in notes.values())
        notifications_lost += len(want["notifications"] - notes.keys())
        timeline_missing += len(want["activities"] - want["timeline"])
    return {
        "activities": len(activities), "by_type": by_type, "writes_ok": len(http["writes"]),
        "writes_without_activity": writes_without_activity,
        "expected": sum(len(e["activities"]) for e in expected.values()), "frames": frames, "lost": lost,
        "duplicates": duplicates, "unexpected": unexpected, "lossy_readers": lossy_readers,
        "notifications_expected": sum(len(e["notifications"]) for e in expected.values()),
        "notification_frames": notification_frames, "notifications_lost": notifications_lost,
        "notification_duplicates": notification_duplicates, "timeline_missing": timeline_missing,
        "from_response": from_response, "from_request": from_request, "http": http, "sockets": sockets,
    }


def report(args, result: dict, loads: list, cpu: dict, fan_out_drained: float, frames_drained: float,
           workdir: Path) -> None:
    http = result["http"]
    duration = http["ended"] - http["started"]
    by_endpoint: dict[str, list[float]] = defaultdict(list)
    errors: Counter = Counter()
    for endpoint, status, seconds in http["samples"]:
        by_endpoint[endpoint].append(seconds)
        if not 200 <= status < 300:
            errors[(endpoint, status or "exception")] += 1
    total = len(http["samples"])
    sockets = result["sockets"]
    reconnects = sum(max(0, r["connects"] - 1) for r in sockets["readers"])
    never = sum(1 for r in sockets["readers"] if r["connects"] == 0)

    print()
    print(f"=== bench/load.py: {duration:.0f} s, {args.sockets} websockets, target {args.rate:g} req/s, "
          f"{DAPHNES} Daphne ({'REST on one, websockets on the other' if args.split else 'both serve both'}), "
          "PostgreSQL, Redis, 1 Celery worker ===")
    print(f"HTTP: {total:,} requests, {total / duration:.1f} req/s; errors {sum(errors.values())}; "
          f"started late (>{MAX_IN_FLIGHT} in flight) {http['late']}; "
          f"not sent (due after the end, the server behind) {http.get('unsent', 0)}")
    print(f"  {'endpoint':<38}{'count':>8}{'req/s':>8}{'p50':>12}{'p95':>12}{'p99':>12}{'errors':>8}")
    for endpoint in sorted(by_endpoint, key=lambda e: -len(by_endpoint[e])):
        values = by_endpoint[endpoint]
        failed = sum(n for (e, _s), n in errors.items() if e == endpoint)
        print(f"  {endpoint:<38}{len(values):>8}{len(values) / duration:>8.1f}{ms(pct(values, 50)):>12}"
              f"{ms(pct(values, 95)):>12}{ms(pct(values, 99)):>12}{failed:>8}")
    all_values = [s for _e, _st, s in http["samples"]]
    print(f"  {'all':<38}{total:>8}{total / duration:>8.1f}{ms(pct(all_values, 50)):>12}"
          f"{ms(pct(all_values, 95)):>12}{ms(pct(all_values, 99)):>12}{sum(errors.values()):>8}")
    for (endpoint, status), count in sorted(errors.items(), key=str):
        print(f"  error: {endpoint} -> {status}: {count}")
    for endpoint, error, count in http["exceptions"]:
        print(f"  exception: {endpoint}: {error} x{count}")
    print(f"Websockets: {args.sockets - never} / {args.sockets} opened, reconnects (with resume) {reconnects}, "
          f"closes {dict(sockets['closes']) or 0}, other frames {dict(sockets['other']) or 0}")
    print(f"Activities written: {result['activities']:,} ({dict(result['by_type'])}); writes answered OK "
          f"{result['writes_ok']:,}, of which without an activity {result['writes_without_activity']}")
    print(f"Activity frames: expected {result['expected']:,}, received {result['frames']:,}, "
          f"LOST {result['lost']}, DUPLICATES {result['duplicates']}, not expected {result['unexpected']}")
    for handle, sample in result["lossy_readers"][:5]:
        print(f"  lost on {handle}: {sample}")
    print(f"Notification frames: expected {result['notifications_expected']:,}, received "
          f"{result['notification_frames']:,}, lost {result['notifications_lost']}, "
          f"duplicates {result['notification_duplicates']}")
    print(f"Home timelines (Celery fan-out): entries missing {result['timeline_missing']}; "
          f"queue drained {fan_out_drained:.1f} s, last frame {frames_drained:.1f} s after the last write")
    for label, latencies in (("response", result["from_response"]), ("request", result["from_request"])):
        print(f"Write {label} -> frame: p50 {ms(pct(latencies, 50))}, p95 {ms(pct(latencies, 95))}, "
              f"p99 {ms(pct(latencies, 99))}, max {ms(max(latencies, default=float('nan')))} "
              f"({len(latencies):,} frames{'; negative: the frame came before the answer' if label == 'response' else ''})")
    print("CPU seconds during the load: " + ", ".join(f"{name} {seconds:.0f}" for name, seconds in cpu.items())
          + f" (of {2 * duration:.0f} on 2 cores)")
    ones = [load[0] for load in loads]
    print(f"Load average (1 min): start {ones[0]:.2f}, max {max(ones):.2f}, end {ones[-1]:.2f}; "
          f"at the end {'/'.join(f'{v:.2f}' for v in loads[-1])} (1/5/15 min), {os.cpu_count()} cores")
    clean = not errors and not http["exceptions"] and result["lost"] == 0 and result["duplicates"] == 0
    print(f"Verdict: {'CLEAN' if clean else 'NOT CLEAN'} (errors 0, lost 0, duplicates 0 required); "
          f"logs in {workdir}")


def main() -> None:
    args = parse_args()
    if args.role == "sockets":
        asyncio.run(hold_sockets(json.loads(Path(args.plan).read_text()), Path(args.out)))
    elif args.role == "http":
        asyncio.run(drive_http(json.loads(Path(args.plan).read_text()), Path(args.out), args.seconds, args.rate,
                               args.seed))
    else:
        run(args)


if __name__ == "__main__":
    main()
