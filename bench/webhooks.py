"""Webhook benchmark (issue 18, "Speed"): many subscriptions on one city stream, as at scale.

One Daphne takes the writes (projects created in the city, each an activity on
`city:<handle>`), a Celery worker (thread pool, `nice`d: background work
yields to requests on a shared box) drains the delivery outbox through a
private redis-server, and a receiver process (aiohttp) on the loopback checks
every signature with the Standard Webhooks library and notes when each
delivery arrived. It prints:

- the writer's request p50/p95 with no subscription, then the same writes
  with N subscriptions, and their ratio (target: under 1.2);
- deliveries p50/p95 from the write's commit (the activity's commit lies
  between its `published` time and the writer's response: both are shown);
- the outbox's drain rate (deliveries per second, first to last arrival),
  and deliveries lost, duplicated, badly signed or out of stream order.

Run from the worktree root (PostgreSQL on 127.0.0.1:5432, `redis-server` on PATH):

    .venv/bin/python bench/webhooks.py                  # 200 subscriptions, 60 activities
    .venv/bin/python bench/webhooks.py --smoke          # 3 subscriptions, 4 activities: seconds
    .venv/bin/python bench/webhooks.py --subscriptions 50 --activities 20 --workers 4

Everything stays on 127.0.0.1 and every wait is bounded.
"""

import argparse
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)

from bench.common import Processes, create_postgres_database, free_port, ms, pct, wait_for_http  # noqa: E402

BIN = Path(sys.executable).parent
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/bench_webhooks"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscriptions", type=int, default=200)
    parser.add_argument("--activities", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=10, help="writes before each measured series")
    parser.add_argument("--pause", type=float, default=0.05, help="seconds between two writes")
    parser.add_argument("--workers", type=int, default=8, help="threads of the Celery worker")
    parser.add_argument("--postgres-url", default=DEFAULT_PG, help="dropped and created afresh")
    parser.add_argument("--drain-timeout", type=float, default=300.0,
                        help="max seconds to wait for the last delivery after the last write")
    parser.add_argument("--smoke", action="store_true", help="a tiny run that takes seconds (make bench-smoke)")
    args = parser.parse_args()
    if args.smoke:
        args.subscriptions, args.activities, args.warmup, args.drain_timeout = 3, 4, 1, 60.0
    return args


# --- The receiver, in a process of its own ------------------------------------------


def receive(port: int, secrets_by_path: dict, ready, results) -> None:
    """An aiohttp server that verifies each delivery and keeps (path, webhook-id, activity id, published, time)."""
    import asyncio
    import signal

    from aiohttp import web

    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the parent's Ctrl-C handler: terminate() just ends it
    from standardwebhooks import Webhook

    hooks = {path: Webhook(secret) for path, secret in secrets_by_path.items()}
    seen, bad = [], [0]

    async def hook(request: web.Request) -> web.Response:
        body = await request.read()
        arrived = time.time()
        try:
            payload = hooks[request.path].verify(body, dict(request.headers))
        except Exception:
            bad[0] += 1
            return web.Response(status=400)
        activity = payload["activity"]
        seen.append((request.path, request.headers["webhook-id"], activity["id"], activity["published"], arrived))
        return web.Response(text="ok")

    async def report(request: web.Request) -> web.Response:
        return web.json_response({"seen": seen, "bad": bad[0]})

    async def main() -> None:
        app = web.Application()
        app.router.add_post("/hook/{n}", hook)
        app.router.add_get("/report", report)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        ready.set()
        await asyncio.Event().wait()

    asyncio.run(main())


def receiver_report(port: int) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/report", timeout=30) as response:
        return json.loads(response.read())


# --- Setting up ---------------------------------------------------------------------


def environment(pg_url: str, redis_url: str) -> dict:
    return {
        "SECRET_KEY": "bench-only-secret",
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOCAL_HTTP": "true",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "novosphere.settings",
        "DATABASE_URL": pg_url,
        "REDIS_URL": redis_url,
        "WEBHOOKS_ALLOW_PRIVATE": "true",  # the receiver is on the loopback
        "WEBHOOKS_MAX_PER_ACCOUNT": "1000",
    }


def fresh_database(pg_url: str) -> None:
    create_postgres_database(pg_url)  # a copy of the migrated template


def seed(subscriptions: int, receiver_port: int) -> tuple[str, dict]:
    """The city, a writer living there (its token), and the hubs' subscriptions (path -> secret), not yet made."""
    from knox.models import AuthToken

    from profiles.models import Actor, User

    city = Actor.objects.create(handle="rennes", kind=Actor.Kind.CITY, name="Rennes", country="FR")
    user = User.objects.create_user(username="writer", password="bench-only-password")
    Actor.objects.create(handle="writer", kind=Actor.Kind.PERSON, user=user, name="Écrivaine", city=city,
                         country="FR")
    _instance, token = AuthToken.objects.create(user)
    return token, {f"/hook/{n}": f"http://127.0.0.1:{receiver_port}/hook/{n}" for n in range(subscriptions)}


def subscribe_all(urls: dict) -> dict:
    from profiles.models import User
    from webhooks.services import subscribe

    hub = User.objects.create_user(username="hub", password="bench-only-password")
    return {path: subscribe(owner=hub, url=url, streams=["city:rennes"]).secret for path, url in urls.items()}


# --- Measuring ----------------------------------------------------------------------


def write(port: int, token: str, title: str) -> tuple[float, float]:
    """Create a project in the writer's city; returns (request seconds, time of the response)."""
    body = json.dumps({"title": title, "summary": "Banc d'essai des webhooks"}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/projects/", data=body, method="POST")
    request.add_header("Content-Type", "application/json")
    request.add_header("Authorization", f"Token {token}")
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 201, response.status
        response.read()
    return time.perf_counter() - started, time.time()


def series(port: int, token: str, label: str, count: int, warmup: int, pause: float) -> tuple[list, list]:
    for n in range(warmup):
        write(port, token, f"{label} échauffement {n}")
        time.sleep(pause)
    durations, responded = [], []
    for n in range(count):
        seconds, at = write(port, token, f"{label} {n}")
        durations.append(seconds)
        responded.append(at)
        time.sleep(pause)
    return durations, responded


def main() -> None:
    args = parse_args()
    if shutil.which("redis-server") is None:
        sys.exit("redis-server is not on PATH")
    with Processes() as processes, tempfile.TemporaryDirectory(prefix="bench-webhooks-") as scratch:
        redis_port = free_port()
        processes.start("redis", ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
                                  "--appendonly", "no", "--dir", scratch], stdout=subprocess.DEVNULL)
        env = environment(args.postgres_url, f"redis://127.0.0.1:{redis_port}/0")
        os.environ.update(env)
        fresh_database(args.postgres_url)
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        receiver_port = free_port()
        token, urls = seed(args.subscriptions, receiver_port)

        port = free_port()
        daphne = processes.start("daphne", [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port),
                                            "novosphere.asgi:application"],
                                 env={**os.environ, **env}, stdout=subprocess.DEVNULL)
        processes.start("worker", ["nice", "-n", "10", str(BIN / "celery"), "-A", "novosphere", "worker",
                                   "--pool=threads", f"--concurrency={args.workers}", "-l", "warning",
                                   "--without-gossip", "--without-mingle", "--without-heartbeat"],
                        env={**os.environ, **env}, stdout=subprocess.DEVNULL)
        wait_for_http(f"http://127.0.0.1:{port}/api/health/", daphne)

        print(f"webhooks: {args.subscriptions} subscriptions on city:rennes, {args.activities} activities "
              f"(+{args.warmup} warm-up), a write every {args.pause * 1000:.0f} ms, "
              f"worker threads {args.workers}", flush=True)
        bare, _ = series(port, token, "Sans abonné", args.activities, args.warmup, args.pause)

        secrets_by_path = subscribe_all(urls)
        ready = multiprocessing.Event()
        receiver = multiprocessing.Process(target=receive, args=(receiver_port, secrets_by_path, ready, None),
                                           daemon=True)
        receiver.start()
        ready.wait(30)
        try:
            # The warm-up's deliveries are counted out below by their activity ids.
            loaded, responded = series(port, token, "Avec abonnés", args.activities, args.warmup, args.pause)
            expected = (args.activities + args.warmup) * args.subscriptions
            deadline = time.monotonic() + args.drain_timeout
            report = receiver_report(receiver_port)
            while len(report["seen"]) < expected and time.monotonic() < deadline:
                time.sleep(1)
                report = receiver_report(receiver_port)
        finally:
            receiver.terminate()
        summarize(args, bare, loaded, responded, report, expected)


def summarize(args, bare, loaded, responded, report, expected) -> None:
    seen = report["seen"]
    ids = sorted({activity for _p, _w, activity, _pub, _at in seen})
    measured = ids[args.warmup:]  # ids sort by time: the warm-up's come first
    by_activity = dict(zip(measured, responded, strict=False))
    from_response, from_published = [], []
    for _path, _wid, activity, published, arrived in seen:
        if activity in by_activity:
            from_response.append(arrived - by_activity[activity])
            from_published.append(arrived - datetime.fromisoformat(published).timestamp())
    pairs = [(path, activity) for path, _w, activity, _p, _a in seen]
    duplicates = len(pairs) - len(set(pairs))
    out_of_order = 0
    last: dict[str, str] = {}
    for path, activity in pairs:
        if activity < last.get(path, ""):
            out_of_order += 1
        last[path] = max(activity, last.get(path, ""))
    arrivals = sorted(at for *_rest, at in seen)
    span = arrivals[-1] - arrivals[0] if len(arrivals) > 1 else float("nan")
    ratio = pct(loaded, 95) / pct(bare, 95)

    print(f"writer, no subscription:   p50 {ms(pct(bare, 50))}  p95 {ms(pct(bare, 95))}")
    print(f"writer, with subscriptions: p50 {ms(pct(loaded, 50))}  p95 {ms(pct(loaded, 95))}  "
          f"p95 ratio {ratio:.2f} (target < 1.2)")
    print(f"deliveries from the write's response:  p50 {ms(pct(from_response, 50))}  "
          f"p95 {ms(pct(from_response, 95))}")
    print(f"deliveries from the activity's published time:  p50 {ms(pct(from_published, 50))}  "
          f"p95 {ms(pct(from_published, 95))}")
    print(f"drain rate: {len(seen) / span:,.0f} deliveries/s ({len(seen):,} in {span:.1f} s)")
    print(f"received {len(set(pairs)):,} of {expected:,} (not yet, at the drain timeout: "
          f"{expected - len(set(pairs)):,}), "
          f"duplicates {duplicates}, bad signatures {report['bad']}, out of stream order {out_of_order}")


if __name__ == "__main__":
    main()
