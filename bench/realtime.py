"""Live-stream benchmark (issue 6, "Speed"): fan-out latency of /ws/stream/ on one Daphne.

For each channel layer (in-memory, then Redis) it starts one Daphne on a fresh
database, opens N authenticated websockets of people following one city, has
writer accounts follow that city once a second over HTTP (each follow is one
activity on `city:<handle>`), and prints:

- delivery latency from the HTTP write's response to each frame (p50/p95/p99),
  also from the request's start, and the HTTP write time itself;
- frames lost (expected activities x N minus received) and duplicates;
- per-activity fan-out spread (first to last client) and the implied
  server time per connection;
- server RSS per connection (VmRSS of the Daphne process before/after connecting);
- a raw Redis PUBLISH -> SUBSCRIBE round trip measured in the same run, and
  the ratio of the websocket p95 to its p95.

Run from the worktree root:

    .venv/bin/python bench/realtime.py --connections 200 --seconds 10
    .venv/bin/python bench/realtime.py                       # 2000 connections, 30 s, both layers
    .venv/bin/python bench/realtime.py --database postgres   # fresh PostgreSQL database
    .venv/bin/python bench/realtime.py --layers redis --rest apart  # writes answered by a second process

The verdict ("target") is judged on the latency from the write's request.

Everything stays on 127.0.0.1 and every wait is bounded.
"""

import argparse
import asyncio
import base64
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)

from tqdm import tqdm  # noqa: E402

from bench.common import cpu_seconds, ms, pct, postgres_template, raise_fd_limit, sqlite_template  # noqa: E402

DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/bench_rt"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=2000, help="websocket clients (default 2000)")
    parser.add_argument("--seconds", type=int, default=30, help="writes, one a second (default 30)")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--postgres-url", default=DEFAULT_PG, help="server and name base for --database postgres")
    parser.add_argument("--redis-url", default=DEFAULT_REDIS)
    parser.add_argument("--layers", default="memory,redis", help="comma list of memory, redis")
    parser.add_argument("--drain", type=float, default=120.0,
                        help="max seconds to wait after the last write for frames still on their way")
    parser.add_argument("--connect-concurrency", type=int, default=50, help="handshakes in flight at once")
    parser.add_argument("--baseline-samples", type=int, default=500, help="Redis PUBLISH->SUBSCRIBE samples")
    parser.add_argument("--py-spy", metavar="PREFIX", default="",
                        help="if set, record the Daphne process with py-spy during the writes "
                             "(raw collapsed stacks, idle included, to PREFIX.<layer>.txt; needs py-spy in the venv)")
    parser.add_argument("--client", choices=["websockets", "raw"], default="websockets",
                        help="the clients: the websockets library, or a bare frame splitter that costs "
                             "the bench's process far less per frame (see RawWebsocket)")
    parser.add_argument("--server", choices=["wsserver", "daphne"], default="wsserver",
                        help="python -m novosphere.wsserver (what manage.py serve runs), or plain Daphne "
                             "(no frame shortcut: frames take the ASGI send)")
    parser.add_argument("--rest", choices=["same", "apart"], default="same",
                        help="apart: the writes go to a second server process, as on the scale stack (REST "
                        "workers apart from the websocket process); the redis layer only")
    parser.add_argument("--smoke", action="store_true", help="a tiny run that takes seconds (CI): 20 clients, 3 writes")
    args = parser.parse_args()
    if args.smoke:
        args.connections, args.seconds, args.drain, args.baseline_samples = 20, 3, 30.0, 20
        args.rest = "apart"  # the in-memory layer keeps its writes in-process; Redis takes the second process
    return args


# --- helpers -----------------------------------------------------------------




def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def threads_of(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    return 0








class RawWebsocket:
    """`--client raw`: a websocket client that only splits frames (asyncio streams, no
    parsing, queue or task hop per frame), so that at 10,000 sockets the bench's own
    process costs a fraction of what the `websockets` library does and the figures say
    more about the server. Text frames, pings answered, a close ends the iteration."""

    close_code = None

    @classmethod
    async def connect(cls, url: str, timeout: float) -> "RawWebsocket":
        self = cls()
        host_port, _, path = url.removeprefix("ws://").partition("/")
        host, port = host_port.split(":")
        self.reader, self.writer = await asyncio.wait_for(asyncio.open_connection(host, int(port)), timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        self.writer.write(f"GET /{path} HTTP/1.1\r\nHost: {host_port}\r\nUpgrade: websocket\r\n"
                          f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
                          .encode())
        answer = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), timeout)
        if not answer.startswith(b"HTTP/1.1 101"):
            self.writer.close()
            raise ConnectionError(answer.split(b"\r\n", 1)[0].decode("latin-1"))
        return self

    async def __aiter__(self):
        buffer = b""
        while chunk := await self.reader.read(1 << 16):
            buffer += chunk
            while len(buffer) >= 2:
                length, start = buffer[1] & 0x7F, 2
                if length == 126:
                    length, start = int.from_bytes(buffer[2:4], "big"), 4
                elif length == 127:
                    length, start = int.from_bytes(buffer[2:10], "big"), 10
                if len(buffer) < start + length:
                    break
                opcode, payload, buffer = buffer[0] & 0x0F, buffer[start:start + length], buffer[start + length:]
                if opcode == 1:
                    yield payload.decode()
                elif opcode == 9:  # ping: a masked pong (zero mask) with its payload
                    self.writer.write(bytes([0x8A, 0x80 | len(payload)]) + b"\0\0\0\0" + payload)
                elif opcode == 8:
                    self.close_code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
                    return

    async def close(self) -> None:
        self.writer.close()


# --- seeding (ORM, in this process) -------------------------------------------


def setup_django(database_url: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    os.environ["DATABASE_URL"] = database_url
    os.environ.pop("REDIS_URL", None)  # seeding must not publish anything
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", "--noinput", verbosity=0)


def seed(n: int) -> tuple[str, list[str]]:
    """One city and `n` people following it, each with a knox token. Returns (city handle, tokens)."""
    from django.db import transaction
    from knox.models import AuthToken

    from feeds.models import Follow
    from profiles.models import Actor, User

    city = Actor.objects.create(handle="bench-city", kind=Actor.Kind.CITY, name="Bench City")
    bar = tqdm(total=4, desc="seed", unit="step")
    users = User.objects.bulk_create(
        [User(username=f"reader{i}", email=f"reader{i}@example.org", password="!") for i in range(n)],
        batch_size=500,
    )
    bar.update()
    people = Actor.objects.bulk_create(
        [Actor(handle=f"reader{i}", kind=Actor.Kind.PERSON, name=f"Reader {i}", user=user, city=city,
               following_count=1)
         for i, user in enumerate(users)],
        batch_size=500,
    )
    bar.update()
    Follow.objects.bulk_create([Follow(follower=person, target_actor=city) for person in people], batch_size=500)
    Actor.objects.filter(pk=city.pk).update(followers_count=n)
    bar.update()
    tokens = []
    with transaction.atomic():
        for user in tqdm(users, desc="tokens", unit="tok", leave=False):
            tokens.append(AuthToken.objects.create(user)[1])
    bar.update()
    bar.close()
    return city.handle, tokens


def seed_writers(prefix: str, count: int) -> list[tuple[str, str]]:
    """`count` writer accounts (handle, token) that do not follow the city yet."""
    from django.db import transaction
    from knox.models import AuthToken

    from profiles.models import Actor, User

    writers = []
    with transaction.atomic():
        for i in range(count):
            user = User.objects.create(username=f"{prefix}{i}", email=f"{prefix}{i}@example.org", password="!")
            Actor.objects.create(handle=f"{prefix}{i}", kind=Actor.Kind.PERSON, name=f"Writer {i}", user=user)
            writers.append((f"{prefix}{i}", AuthToken.objects.create(user)[1]))
    return writers


# --- the run -------------------------------------------------------------------


def http(base: str, method: str, path: str, token: str) -> tuple[int, float, float]:
    """(status, sent, answered) in time.monotonic()."""
    request = urllib.request.Request(base + path, data=b"" if method == "POST" else None, method=method)
    request.add_header("Authorization", f"Token {token}")
    request.add_header("Content-Type", "application/json")
    sent = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    return status, sent, time.monotonic()


async def redis_baseline(url: str, samples: int) -> list[float]:
    """Raw PUBLISH -> SUBSCRIBE round trips through the local Redis (redis-py asyncio)."""
    import redis.asyncio as aioredis

    client = aioredis.from_url(url)
    pubsub = client.pubsub()
    channel = f"bench:rt:{os.getpid()}"
    await pubsub.subscribe(channel)
    await pubsub.get_message(timeout=1.0)  # the subscribe confirmation
    sent: dict[int, float] = {}
    rtts: list[float] = []

    async def listen():
        while len(rtts) < samples:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            if message is not None:
                rtts.append(time.monotonic() - sent[int(message["data"])])

    listener = asyncio.create_task(listen())
    for k in range(samples):
        sent[k] = time.monotonic()
        await client.publish(channel, str(k))
        await asyncio.sleep(0.002)
    try:
        await asyncio.wait_for(listener, timeout=10)
    except TimeoutError:
        listener.cancel()
    await pubsub.unsubscribe(channel)
    await pubsub.aclose()
    await client.aclose()
    return rtts


async def run_layer(args, layer: str, database, city: str, tokens: list[str], writers) -> dict:
    from websockets.asyncio.client import connect

    from tests.e2e.server import PLAIN_DAPHNE, Daphne

    env = {"REDIS_URL": args.redis_url} if layer == "redis" else {}
    # Generous client limits: the bench client must not be what closes sockets.
    env.update({"WS_FRAMES_PER_SECOND": "100", "WS_FRAME_BURST": "100", "LOG_LEVEL": "WARNING"})
    argv = None
    if args.server == "daphne":
        argv = lambda port: [*PLAIN_DAPHNE, "-b", "127.0.0.1", "-p", str(port), "novosphere.asgi:application"]  # noqa: E731
    daphne = Daphne(database, env=env, migrate=False, argv=argv)
    # With --rest apart the sockets' process only fans out: the writes are answered by
    # another process on the same database and layer, as the scale stack runs them.
    rest = Daphne(database, env=env, migrate=False, argv=argv) if args.rest == "apart" and layer == "redis" else daphne
    pid = daphne.process.pid
    result: dict = {"layer": layer, "n": len(tokens)}
    sockets = []
    tasks = []
    try:
        await asyncio.sleep(1.0)
        result["rss_before"] = rss_kib(pid)
        arrivals: list[list[tuple[float, str]]] = [[] for _ in tokens]
        opened = asyncio.Event()
        ready = 0
        failures: Counter = Counter()
        failures_after_open = [0]  # closed after the handshake succeeded
        closing = False
        semaphore = asyncio.Semaphore(args.connect_concurrency)
        bar = tqdm(total=len(tokens), desc=f"connect [{layer}]", unit="ws")

        async def client(i: int, token: str) -> None:
            nonlocal ready
            is_open = False
            try:
                async with semaphore:
                    if args.client == "raw":
                        ws = await RawWebsocket.connect(f"{daphne.ws}?token={token}", timeout=120)
                    else:
                        ws = await connect(f"{daphne.ws}?token={token}", open_timeout=120, ping_interval=None,
                                           close_timeout=2, max_queue=None)
                sockets.append(ws)
                is_open = True
                ready += 1
                bar.update()
                if ready + sum(failures.values()) - failures_after_open[0] == len(tokens):
                    opened.set()
                mine = arrivals[i]
                async for message in ws:
                    mine.append((time.monotonic(), message))  # parsed after the run
                reason = f"closed({ws.close_code})"
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - counted and reported
                code = getattr(getattr(error, "rcvd", None), "code", None)
                reason = f"{type(error).__name__}({code})" if code else type(error).__name__
            if closing:
                return  # our own close at the end of the run
            failures[reason] += 1
            if is_open:
                failures_after_open[0] += 1
            else:
                bar.update()
            if ready + sum(failures.values()) - failures_after_open[0] == len(tokens):
                opened.set()

        started = time.monotonic()
        tasks = [asyncio.create_task(client(i, token)) for i, token in enumerate(tokens)]
        try:
            await asyncio.wait_for(opened.wait(), timeout=max(120, len(tokens) * 0.2))
        except TimeoutError:
            pass
        bar.close()
        result["connect_seconds"] = time.monotonic() - started
        result["connected"] = ready
        result["connect_failures"] = dict(failures)
        result["failures"] = failures  # live: sockets closed later are added
        result["closed_after_open"] = failures_after_open
        await asyncio.sleep(2.0)  # let the last connects finish their cursors
        result["rss_after"] = rss_kib(pid)
        result["threads"] = threads_of(pid)

        # Raw Redis round trip, same run, before the writes.
        result["baseline"] = await redis_baseline(args.redis_url, args.baseline_samples)

        # Writes: writer i follows the city at t0 + i seconds.
        profiler = None
        if args.py_spy:
            spy = Path(sys.executable).with_name("py-spy")
            profiler = subprocess.Popen(
                [str(spy), "record", "-p", str(pid), "-d", str(int(args.seconds + 5)), "-r", "200",
                 "--idle", "--threads", "--format", "raw", "-o", f"{args.py_spy}.{layer}.txt", "--nonblocking"],
                stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
            )
        writes: dict[str, tuple[float, float]] = {}
        statuses: Counter = Counter()
        cpu0 = cpu_seconds(pid)
        t0 = time.monotonic() + 0.5
        for k, (handle, token) in enumerate(tqdm(writers, desc=f"write [{layer}]", unit="act")):
            delay = t0 + k - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            status, sent, answered = await asyncio.to_thread(
                http, rest.base, "POST", f"/api/v1/actors/{city}/follow/", token
            )
            statuses[status] += 1
            if status == 200:
                writes[handle] = (sent, answered)
        write_end = time.monotonic()
        expected = len(writes) * ready

        def received() -> int:
            return sum(len(a) for a in arrivals)

        deadline = write_end + args.drain
        while received() < expected and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        result["drain_seconds"] = time.monotonic() - write_end
        await asyncio.sleep(1.0)  # a late duplicate would show up here
        result["cpu_seconds_writes"] = cpu_seconds(pid) - cpu0
        result["wall_seconds_writes"] = time.monotonic() - t0
        result["rss_end"] = rss_kib(pid)
        if profiler is not None:
            try:
                profiler.wait(timeout=args.seconds + 30)
            except subprocess.TimeoutExpired:
                profiler.terminate()

        # Tally.
        result["writes_ok"] = len(writes)
        result["write_statuses"] = dict(statuses)
        result["write_http"] = [answered - sent for sent, answered in writes.values()]
        from_response, from_request = [], []
        per_activity: dict[str, list[float]] = defaultdict(list)
        duplicates = other = 0
        unique = 0
        for mine in arrivals:
            seen: set[str] = set()
            for when, raw in mine:
                frame = json.loads(raw)
                if frame.get("type") != "activity":
                    other += 1
                    continue
                activity = frame["activity"]
                handle = activity["actor"]["handle"]
                if handle not in writes or activity["object"]["id"] != city:
                    other += 1
                    continue
                if activity["id"] in seen:
                    duplicates += 1
                    continue
                seen.add(activity["id"])
                unique += 1
                sent, answered = writes[handle]
                from_response.append(when - answered)
                from_request.append(when - sent)
                per_activity[handle].append(when)
        result.update(
            expected=expected, unique=unique, lost=expected - unique, duplicates=duplicates, other_frames=other,
            from_response=from_response, from_request=from_request,
            spread=[max(ts) - min(ts) for ts in per_activity.values() if ts],
            first=[min(ts) - writes[h][1] for h, ts in per_activity.items() if ts],
            delivery_rate=unique / max(max((max(ts) for ts in per_activity.values()), default=t0) - t0, 1e-9),
        )
    finally:
        closing = True
        for ws in list(sockets):
            try:
                await asyncio.wait_for(ws.close(), timeout=2)
            except Exception:  # noqa: BLE001
                pass
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        log = Path(f"/tmp/bench-rt-{layer}-{args.connections}.log")
        log.write_text(daphne.logs())
        result["log"] = str(log)
        daphne.stop()
        if rest is not daphne:
            rest.stop()
    result["writes_apart"] = rest is not daphne
    return result


def report(results: list[dict], args) -> None:
    def row(label, *values):
        print(f"  {label:<44}" + "".join(f"{v:>22}" for v in values))

    print()
    print(f"=== /ws/stream/ fan-out: {args.connections} connections, {args.seconds} writes (1/s), "
          f"database {args.database}, one {args.server} process, {args.client} clients ===")
    row("", *(r["layer"] for r in results))
    row("connections open / asked", *(f"{r['connected']} / {r['n']}" for r in results))
    row("connect failures", *(str(r["connect_failures"] or 0) for r in results))
    row("sockets closed by server after open", *(str(r["closed_after_open"][0]) for r in results))
    row("all close reasons", *(str(dict(r["failures"]) or 0) for r in results))
    row("time to open all", *(f"{r['connect_seconds']:.1f} s" for r in results))
    row("writes answered by", *("a second process" if r["writes_apart"] else "the sockets' process" for r in results))
    row("writes OK (HTTP 200)", *(f"{r['writes_ok']} {r['write_statuses']}" for r in results))
    row("HTTP write p50 / p95", *(f"{ms(pct(r['write_http'], 50))} / {ms(pct(r['write_http'], 95))}"
                                  for r in results))
    for p in (50, 95, 99):
        row(f"latency from write response p{p}", *(ms(pct(r["from_response"], p)) for r in results))
    row("latency from write response max", *(ms(max(r["from_response"], default=float("nan"))) for r in results))
    row("latency from write request p95", *(ms(pct(r["from_request"], 95)) for r in results))
    row("first client per activity p50", *(ms(pct(r["first"], 50)) for r in results))
    row("fan-out spread first->last client p50", *(ms(pct(r["spread"], 50)) for r in results))
    row("  = server time per connection per activity",
        *(ms(pct(r["spread"], 50) / max(r["connected"] - 1, 1)) for r in results))
    row("delivery rate (frames/s, 1st write->last frame)", *(f"{r['delivery_rate']:,.0f}" for r in results))
    row("  needed to keep up (N x 1/s)", *(f"{r['connected']:,}" for r in results))
    row("frames expected", *(f"{r['expected']:,}" for r in results))
    row("frames received (unique)", *(f"{r['unique']:,}" for r in results))
    row("frames lost", *(f"{r['lost']:,}" for r in results))
    row("duplicates", *(str(r["duplicates"]) for r in results))
    row("other frames", *(str(r["other_frames"]) for r in results))
    row("drain after last write", *(f"{r['drain_seconds']:.1f} s" for r in results))
    row("Daphne CPU during writes / wall", *(f"{r['cpu_seconds_writes']:.1f} / {r['wall_seconds_writes']:.1f} s"
                                             for r in results))
    row("Daphne RSS before / after connect", *(f"{r['rss_before'] / 1024:.0f} / {r['rss_after'] / 1024:.0f} MiB"
                                               for r in results))
    row("Daphne RSS at end", *(f"{r['rss_end'] / 1024:.0f} MiB" for r in results))
    row("RSS per connection", *(f"{(r['rss_after'] - r['rss_before']) / max(r['connected'], 1):.1f} KiB"
                                for r in results))
    row("Daphne threads", *(str(r["threads"]) for r in results))
    row("Redis PUBLISH->SUBSCRIBE p50 / p95",
        *(f"{ms(pct(r['baseline'], 50))} / {ms(pct(r['baseline'], 95))}" for r in results))
    row("ratio p95 ws / p95 Redis round trip",
        *(f"{pct(r['from_response'], 95) / pct(r['baseline'], 95):,.0f}x" for r in results))
    verdict = []
    for r in results:
        # From the write's request: the response-based figure flatters a fan-out that
        # delays the write's own answer (same process, same event loop).
        ok = pct(r["from_request"], 95) < 0.1 and r["lost"] == 0 and r["connected"] == r["n"]
        verdict.append("MET" if ok else "NOT MET")
    row("target (p95 from request < 100 ms, 0 lost, all open)", *verdict)
    for r in results:
        print(f"  Daphne log ({r['layer']}): {r['log']}")
    print()


def main() -> None:
    args = parse_args()
    layers = [layer.strip() for layer in args.layers.split(",") if layer.strip()]
    assert set(layers) <= {"memory", "redis"}, layers
    # Per process: the clients' ends live here, the server's in Daphne (which inherits
    # the limit), so each needs one descriptor per connection, not two.
    raise_fd_limit(args.connections + 1024)

    if args.database == "postgres":
        os.environ["DATABASE_URL"] = args.postgres_url
    else:
        os.environ.pop("DATABASE_URL", None)
    # tests/e2e/server.py runs `python -m novosphere.wsserver` with this interpreter,
    # as `manage.py serve` does in production.
    from tests.e2e import server

    # The database is a copy of the benchmarks' migrated template, not of one migrated here.
    if args.database == "postgres":
        server._Template.postgres = postgres_template(args.postgres_url.rsplit("/", 1)[0] + "/postgres")
    else:
        server._Template.sqlite = sqlite_template()
    database = server.Database()
    try:
        print(f"database: {database.url}")
        setup_django(database.url)
        city, tokens = seed(args.connections)
        results = []
        for layer in layers:
            writers = seed_writers(f"writer-{layer}-", args.seconds)
            results.append(asyncio.run(run_layer(args, layer, database, city, tokens, writers)))
            report(results, args)
        from django.db import connections

        connections.close_all()
    finally:
        database.drop()


if __name__ == "__main__":
    main()
