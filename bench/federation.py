"""Federation benchmark (issue 19, "Speed"): one instance with many remote followers, and its inbox under load.

One instance (`manage.py serve`: Daphne processes on one port, PUBLIC_URL on
it, FEDERATION_ALLOW_PRIVATE=true) on PostgreSQL and a private redis-server, a
Celery worker (thread pool, `nice`d) draining the outbox and the delivery
outbox. Fifty remote instances are fifty loopback HTTP servers (one aiohttp
process, one port each, a shared inbox each), which check every delivery's
HTTP signature (draft-cavage, with the `cryptography` package, not our code)
and note when it arrived. Two measures:

1. Fan-out: a writer with 2,000 remote followers spread over the 50 instances
   posts (creates projects); each post leaves as one signed Create per remote
   shared inbox. Printed: per delivery, and per post the time until *every*
   remote inbox had it (target: p95 under 10 s), from the writer's response.
2. Inbox: a load generator posts signed Create(Note) activities of 50 remote
   actors (each followed by a local reader) to the shared inbox at `--rate`
   per second (open loop, target 200/s), while another local writer writes as
   before. Printed: the rate of 202s reached, the inbox's p50/p95, refusals,
   how fast the worker processed what was taken, and the writer's p50/p95
   beside the same writes with no inbox load, and their ratio.

Run from the worktree root (PostgreSQL on 127.0.0.1:5432, `redis-server` on PATH):

    .venv/bin/python bench/federation.py                 # 2,000 followers on 50 instances, 200/s for 20 s
    .venv/bin/python bench/federation.py --smoke         # tiny: seconds
    .venv/bin/python bench/federation.py --rate 100 --seconds 10 --web-workers 1

Everything stays on 127.0.0.1 and every wait is bounded.
"""

import argparse
import base64
import hashlib
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)

from bench.common import (  # noqa: E402
    Processes,
    create_postgres_database,
    free_port,
    ms,
    pct,
    raise_fd_limit,
    wait_for_http,
)

BIN = Path(sys.executable).parent
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/bench_federation"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instances", type=int, default=50, help="remote instances (one loopback port each)")
    parser.add_argument("--followers", type=int, default=2000, help="remote followers, spread over the instances")
    parser.add_argument("--posts", type=int, default=20, help="posts of the writer with remote followers")
    parser.add_argument("--post-pause", type=float, default=0.5, help="seconds between two posts")
    parser.add_argument("--rate", type=float, default=200.0, help="signed deliveries per second to the inbox")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long the inbox load lasts")
    parser.add_argument("--writes", type=int, default=40, help="writes in each writer series of part 2")
    parser.add_argument("--write-pause", type=float, default=0.25, help="seconds between two writes of part 2")
    parser.add_argument("--web-workers", type=int, default=2, help="Daphne processes (manage.py serve --workers)")
    parser.add_argument("--worker-threads", type=int, default=8, help="threads of the Celery worker")
    parser.add_argument("--postgres-url", default=DEFAULT_PG, help="dropped and created afresh")
    parser.add_argument("--drain-timeout", type=float, default=300.0,
                        help="max seconds to wait for deliveries or processing to finish")
    parser.add_argument("--smoke", action="store_true", help="a tiny run that takes seconds (make bench-smoke)")
    args = parser.parse_args()
    if args.smoke:
        args.instances, args.followers, args.posts, args.post_pause = 3, 9, 2, 0.2
        args.rate, args.seconds, args.writes, args.write_pause, args.drain_timeout = 20.0, 2.0, 4, 0.2, 90.0
        args.web_workers, args.worker_threads = 1, 4
    return args


# --- The remote instances: one process, one port each ------------------------------------


def verify_draft(public_pem: bytes, method: str, path: str, headers: dict, body: bytes) -> bool:
    """A draft-cavage signature checked the way a remote server would, with `cryptography` alone."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    lowered = {name.lower(): value for name, value in headers.items()}
    fields = dict(part.split("=", 1) for part in lowered.get("signature", "").split(","))
    fields = {name.strip(): value.strip().strip('"') for name, value in fields.items()}
    digest = "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()
    if lowered.get("digest") != digest or "headers" not in fields:
        return False
    lines = [f"(request-target): {method.lower()} {path}" if name == "(request-target)" else
             f"{name}: {lowered.get(name, '')}" for name in fields["headers"].split()]
    key = serialization.load_pem_public_key(public_pem)
    try:
        key.verify(base64.b64decode(fields["signature"]), "\n".join(lines).encode(), padding.PKCS1v15(),
                   hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True


def remote_instances(ports: list[int], public_pem: bytes, ready) -> None:
    """Fifty aiohttp sites: each shared inbox verifies and notes (port, activity id, time)."""
    import asyncio
    import signal

    from aiohttp import web

    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    seen, bad = [], [0]

    async def inbox(request: web.Request) -> web.Response:
        body = await request.read()
        arrived = time.time()
        if not verify_draft(public_pem, request.method, request.path_qs, dict(request.headers), body):
            bad[0] += 1
            return web.Response(status=401)
        activity = json.loads(body)
        seen.append((request.url.port, activity["id"].rsplit("/", 1)[-1], activity["type"], arrived))
        return web.Response(status=202)

    async def report(request: web.Request) -> web.Response:
        return web.json_response({"seen": seen, "bad": bad[0]})

    async def main() -> None:
        app = web.Application()
        app.router.add_post("/inbox", inbox)
        app.router.add_get("/report", report)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        for port in ports:
            await web.TCPSite(runner, "127.0.0.1", port).start()
        ready.set()
        await asyncio.Event().wait()

    asyncio.run(main())


def instances_report(port: int) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/report", timeout=30) as response:
        return json.loads(response.read())


# --- The load generator: signed deliveries to our inbox ---------------------------------------


def load(inbox: str, senders: list[tuple[str, str]], rate: float, seconds: float, ready, go, results) -> None:
    """Sign every delivery first (RSA is the generator's cost, not the inbox's), then send them open loop."""
    import asyncio
    import email.utils
    import signal
    from urllib.parse import urlsplit

    import aiohttp
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    parts = urlsplit(inbox)
    keys = [(uri, serialization.load_pem_private_key(pem.encode(), password=None)) for uri, pem in senders]
    requests = []
    for n in range(int(rate * seconds)):
        uri, key = keys[n % len(keys)]
        note = f"{uri}/notes/{n}"
        body = json.dumps({
            "@context": "https://www.w3.org/ns/activitystreams", "id": f"{note}/activity", "type": "Create",
            "actor": uri, "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "object": {"id": note, "type": "Note", "attributedTo": uri, "content": f"<p>Note {n} du banc</p>",
                       "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [f"{uri}/followers"]},
        }).encode()
        date = email.utils.formatdate(usegmt=True)
        digest = "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()
        signed = f"(request-target): post {parts.path}\nhost: {parts.netloc}\ndate: {date}\ndigest: {digest}"
        signature = base64.b64encode(key.sign(signed.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()
        requests.append((body, {
            "Content-Type": "application/activity+json", "Date": date, "Digest": digest,
            "Signature": f'keyId="{uri}#main-key",algorithm="rsa-sha256",headers="(request-target) host date digest",'
                         f'signature="{signature}"',
        }))
    ready.set()
    go.wait()

    async def main() -> list:
        timings = []
        connector = aiohttp.TCPConnector(limit=128)
        async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as session:
            async def send(body, headers):
                started = time.perf_counter()
                try:
                    async with session.post(inbox, data=body, headers=headers) as answer:
                        await answer.read()
                        status = answer.status
                except aiohttp.ClientError:
                    status = 0
                timings.append((status, time.perf_counter() - started, time.time()))

            start = time.monotonic()
            tasks = []
            for n, (body, headers) in enumerate(requests):
                delay = start + n / rate - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(send(body, headers)))
            await asyncio.gather(*tasks)
        return timings

    results.extend(asyncio.run(main()))


# --- Setting up -------------------------------------------------------------------------------


def environment(pg_url: str, redis_url: str, port: int) -> dict:
    return {
        "SECRET_KEY": "bench-only-secret",
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOCAL_HTTP": "true",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "novosphere.settings",
        "DATABASE_URL": pg_url,
        "REDIS_URL": redis_url,
        "PUBLIC_URL": f"http://127.0.0.1:{port}",
        "FEDERATION_ALLOW_PRIVATE": "true",  # the remote instances are on the loopback
    }


def fresh_database(pg_url: str) -> None:
    create_postgres_database(pg_url)  # a copy of the migrated template


def person(username: str, city):
    from knox.models import AuthToken

    from profiles.models import Actor, User

    user = User.objects.create_user(username=username, password="bench-only-password")
    Actor.objects.create(handle=username, kind=Actor.Kind.PERSON, user=user, name=username.title(), city=city,
                         country="FR")
    return AuthToken.objects.create(user)[1]


def seed(args, ports: list[int]) -> dict:
    """The writers, the remote followers (RemoteActor rows, as a lookup would store them) and their follows;
    the inbox's senders (one per instance, with real keys), followed by a local reader."""
    from django.db import transaction
    from django.utils import timezone

    from federation.keys import _new_pair, key_for
    from federation.models import RemoteActor
    from feeds.models import Follow
    from profiles.models import Actor

    with transaction.atomic():
        city = Actor.objects.create(handle="rennes", kind=Actor.Kind.CITY, name="Rennes", country="FR")
        tokens = {name: person(name, city) for name in ("writer", "writer2", "reader")}
        writer, reader = Actor.objects.get(handle="writer"), Actor.objects.get(handle="reader")
        now = timezone.now()
        actors, remotes, senders = [], [], []
        for n in range(args.followers):
            port = ports[n % len(ports)]
            base = f"http://127.0.0.1:{port}"
            actors.append(Actor(handle=f"f{n}@127.0.0.1:{port}", kind=Actor.Kind.PERSON, name=f"F{n}"))
            remotes.append((n, base))
        Actor.objects.bulk_create(actors, batch_size=1000)
        by_handle = dict(Actor.objects.filter(handle__contains="@").values_list("handle", "pk"))
        rows, pairs = [], {}
        for n, base in remotes:
            pem = "-"
            if n < len(ports):  # the first follower of each instance also sends to our inbox
                pairs[n] = _new_pair()
                pem = pairs[n][1]
            uri = f"{base}/users/f{n}"
            rows.append(RemoteActor(
                actor_id=by_handle[f"f{n}@{base.split('//')[1]}"], uri=uri, domain=base.split("//")[1],
                type="Person", inbox=f"{uri}/inbox", shared_inbox=f"{base}/inbox", followers=f"{uri}/followers",
                key_id=f"{uri}#main-key", public_key_pem=pem, fetched=now,
            ))
            if n in pairs:
                senders.append((uri, pairs[n][0]))
        RemoteActor.objects.bulk_create(rows, batch_size=1000)
        follows = [Follow(follower_id=pk, target_actor=writer) for pk in by_handle.values()]
        follows += [Follow(follower=reader, target_actor_id=by_handle[f"f{n}@127.0.0.1:{ports[n]}"])
                    for n in range(len(ports))]
        Follow.objects.bulk_create(follows, batch_size=1000)
        Actor.objects.filter(pk=writer.pk).update(followers_count=args.followers)
        public_pem = key_for("actor:writer").public_pem
    return {"tokens": tokens, "senders": senders, "public_pem": public_pem}


# --- Measuring ----------------------------------------------------------------------------------


def write(port: int, token: str, title: str) -> tuple[float, float, str]:
    """Create a project; returns (request seconds, time of the response, the activity's id)."""
    body = json.dumps({"title": title, "summary": "Banc d'essai de la fédération"}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/projects/", data=body, method="POST")
    request.add_header("Content-Type", "application/json")
    request.add_header("Authorization", f"Token {token}")
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 201, response.status
        slug = json.loads(response.read())["slug"]
    return time.perf_counter() - started, time.time(), slug


def activity_of(slug: str) -> str:
    from feeds.models import Activity

    return Activity.objects.filter(type="Create", object_type="project", object_id=slug).values_list(
        "id", flat=True).get()


def writer_series(port: int, token: str, label: str, count: int, pause: float) -> list[float]:
    durations = []
    for n in range(count):
        seconds, _at, _slug = write(port, token, f"{label} {n}")
        durations.append(seconds)
        time.sleep(pause)
    return durations


def fan_out(args, port: int, token: str, report_port: int) -> None:
    posted = {}
    for n in range(args.posts):
        _seconds, responded, slug = write(port, token, f"Annonce {n}")
        posted[activity_of(slug)] = responded
        time.sleep(args.post_pause)
    expected = args.posts * args.instances
    deadline = time.monotonic() + args.drain_timeout
    report = instances_report(report_port)
    while len(report["seen"]) < expected and time.monotonic() < deadline:
        time.sleep(0.5)
        report = instances_report(report_port)
    each, last_by_post = [], {}
    for port_seen, activity, kind, arrived in report["seen"]:
        if kind == "Create" and activity in posted:
            each.append(arrived - posted[activity])
            last_by_post.setdefault(activity, set()).add(port_seen)
            last_by_post[activity + ":t"] = max(last_by_post.get(activity + ":t", 0), arrived)
    everywhere = [last_by_post[a + ":t"] - t for a, t in posted.items()
                  if len(last_by_post.get(a, ())) == args.instances]
    pairs = {(p, a) for p, a, k, _t in report["seen"] if k == "Create"}
    print(f"fan-out: {args.posts} posts, {args.followers:,} followers on {args.instances} instances "
          f"({args.instances} signed deliveries a post, one per shared inbox)")
    print(f"  each delivery, from the writer's response:  p50 {ms(pct(each, 50))}  p95 {ms(pct(each, 95))}")
    print(f"  every inbox reached, per post:              p50 {ms(pct(everywhere, 50))}  "
          f"p95 {ms(pct(everywhere, 95))}  (target p95 < 10 s)")
    print(f"  posts that reached every inbox {len(everywhere)} of {args.posts}; deliveries {len(pairs):,} of "
          f"{expected:,}, duplicates {len(each) - len(pairs)}, bad signatures {report['bad']}", flush=True)


def inbox_load(args, port: int, token: str, senders: list) -> None:
    from federation.models import InboxItem

    bare = writer_series(port, token, "Sans charge", args.writes, args.write_pause)
    manager = multiprocessing.Manager()
    results, ready, go = manager.list(), multiprocessing.Event(), multiprocessing.Event()
    generator = multiprocessing.Process(target=load, args=(f"http://127.0.0.1:{port}/inbox", senders, args.rate,
                                                          args.seconds, ready, go, results), daemon=True)
    generator.start()
    ready.wait(600)
    taken_before = InboxItem.objects.count()
    go.set()
    started = time.time()
    loaded = []
    while generator.is_alive() and len(loaded) < 10_000:
        seconds, _at, _slug = write(port, token, f"Sous charge {len(loaded)}")
        loaded.append(seconds)
        time.sleep(args.write_pause)
    generator.join(args.drain_timeout)
    timings = list(results)
    accepted = [t for t in timings if t[0] == 202]
    refused = len(timings) - len(accepted)
    span = (max(t[2] for t in accepted) - started) if accepted else float("nan")
    # What the worker did with what the inbox took (a remote post into the reader's timeline).
    deadline = time.monotonic() + args.drain_timeout
    pending = InboxItem.objects.filter(processed__isnull=True)
    while pending.exists() and time.monotonic() < deadline:
        time.sleep(0.5)
    items = InboxItem.objects.all()[: len(timings) + taken_before]
    processed = sorted(i.processed.timestamp() for i in items if i.processed)
    received = sorted(i.received.timestamp() for i in items)
    process_span = (processed[-1] - received[0]) if processed else float("nan")
    latency = [t[1] for t in accepted]
    print(f"inbox: {len(timings):,} signed deliveries offered at {args.rate:.0f}/s for {args.seconds:.0f} s "
          f"from {len(senders)} remote actors")
    print(f"  taken (202) {len(accepted):,}, refused or failed {refused}; rate reached "
          f"{len(accepted) / span:,.0f}/s (target 200/s)")
    print(f"  inbox answer:  p50 {ms(pct(latency, 50))}  p95 {ms(pct(latency, 95))}")
    print(f"  processed after commit {len(processed):,} of {len(received):,} in {process_span:.1f} s from the "
          f"first taken ({len(processed) / process_span:,.0f}/s), still pending {pending.count()}")
    ratio = pct(loaded, 95) / pct(bare, 95)
    print(f"  writer, no inbox load:   p50 {ms(pct(bare, 50))}  p95 {ms(pct(bare, 95))}")
    print(f"  writer, under the load:  p50 {ms(pct(loaded, 50))}  p95 {ms(pct(loaded, 95))}  "
          f"p95 ratio {ratio:.2f}  ({len(loaded)} writes)", flush=True)


def main() -> None:
    args = parse_args()
    if shutil.which("redis-server") is None:
        sys.exit("redis-server is not on PATH")
    raise_fd_limit(4096)
    with Processes() as processes, tempfile.TemporaryDirectory(prefix="bench-federation-") as scratch:
        redis_port = free_port()
        processes.start("redis", ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
                                  "--appendonly", "no", "--dir", scratch], stdout=subprocess.DEVNULL)
        port = free_port()
        env = environment(args.postgres_url, f"redis://127.0.0.1:{redis_port}/0", port)
        os.environ.update(env)
        fresh_database(args.postgres_url)
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        ports = [free_port() for _ in range(args.instances)]
        seeded = seed(args, ports)

        ready = multiprocessing.Event()
        remote = multiprocessing.Process(target=remote_instances,
                                         args=(ports, seeded["public_pem"].encode(), ready), daemon=True)
        remote.start()
        ready.wait(30)
        server = processes.start("serve", [sys.executable, "manage.py", "serve", "--port", str(port),
                                           "--workers", str(args.web_workers)],
                                 env={**os.environ, **env}, stdout=subprocess.DEVNULL)
        processes.start("worker", ["nice", "-n", "10", str(BIN / "celery"), "-A", "novosphere", "worker",
                                   "--pool=threads", f"--concurrency={args.worker_threads}", "-l", "warning",
                                   "--without-gossip", "--without-mingle", "--without-heartbeat"],
                        env={**os.environ, **env}, stdout=subprocess.DEVNULL)
        wait_for_http(f"http://127.0.0.1:{port}/api/health/", server)
        print(f"federation bench: {args.web_workers} Daphne process(es), Celery worker threads "
              f"{args.worker_threads}, {os.cpu_count()} cores", flush=True)
        try:
            fan_out(args, port, seeded["tokens"]["writer"], ports[0])
            inbox_load(args, port, seeded["tokens"]["writer2"], seeded["senders"])
        finally:
            remote.terminate()


if __name__ == "__main__":
    main()
