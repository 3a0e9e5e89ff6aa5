"""Benchmark of the partner suggestions endpoint on 50,000 actors.

    DJANGO_SETTINGS_MODULE=novosphere.settings SECRET_KEY=x .venv/bin/python bench/suggestions.py --db sqlite
    DJANGO_SETTINGS_MODULE=novosphere.settings SECRET_KEY=x .venv/bin/python bench/suggestions.py --db postgres

Each database is the benchmark's own: a SQLite file under /tmp, or the
PostgreSQL database `bench_suggestions` (created here when missing). The data
is built once (bulk_create, deterministic) and reused by later runs.

What is measured:
- the endpoint, `GET /api/v1/collaborations/{id}/suggestions/`, over HTTP
  semantics through Django's test Client: the full middleware, DRF,
  authentication, serialization path, in-process, without the ASGI server hop
  (DESIGN.md measures that hop separately: it is Django's sync-to-async
  bridge, the same for every view);
- one raw SQL query that fetches the same candidate rows (top N ranked
  actors with handle, name, kind and score), hand-written here.
Both run over the same mix of requests (popular and rare needs), p50 and p95
over ~200 calls each, after a warm-up.
"""

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import create_postgres_database, create_sqlite_database  # noqa: E402

# `--smoke`: the same steps on a thousand actors, in seconds (CI), in a database of its own.
SMOKE = "--smoke" in sys.argv[1:]
ACTORS = 1_000 if SMOKE else 50_000
SKILLS = 200
SECTORS = 40
CITIES = 12
REQUESTS = 3 if SMOKE else 10
CALLS = 10 if SMOKE else 200
SQLITE_PATH = os.environ.get("BENCH_SQLITE_PATH",
                             "/tmp/bench_suggestions_smoke.sqlite3" if SMOKE else "/tmp/bench_suggestions.sqlite3")
PG_SERVER, PG_NAME = os.environ.get(
    "BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/" + ("bench_suggestions_smoke" if SMOKE else "bench_suggestions")
).rsplit("/", 1)


def configure(db: str) -> None:
    if db == "sqlite":
        os.environ["DATABASE_URL"] = f"sqlite:///{SQLITE_PATH}"
        if not Path(SQLITE_PATH).exists():
            create_sqlite_database(SQLITE_PATH)  # a copy of a migrated file
    else:
        import psycopg

        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [PG_NAME]).fetchone()
        if not exists:
            create_postgres_database(f"{PG_SERVER}/{PG_NAME}")  # a copy of the migrated template
        os.environ["DATABASE_URL"] = f"{PG_SERVER}/{PG_NAME}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "novosphere.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("LOCAL_HTTP", "true")  # the test client speaks plain HTTP: no TLS redirect
    os.environ["ALLOWED_HOSTS"] = "testserver,localhost"
    import django

    django.setup()
    import logging

    logging.disable(logging.INFO)  # one log line per request would measure the terminal


def zipf_choice(rng: random.Random, items: list, k: int, s: float = 1.1) -> list:
    """k distinct items, popular ones far more often: real tag use is heavily skewed."""
    weights = [1 / (rank + 1) ** s for rank in range(len(items))]
    chosen: dict = {}
    while len(chosen) < k:
        chosen[rng.choices(items, weights)[0]] = None
    return list(chosen)


def build() -> None:
    from django.core.management import call_command
    from django.db import connection, transaction
    from tqdm import tqdm

    from profiles.models import Actor, CityLink, Tag

    call_command("migrate", verbosity=0)
    if Actor.objects.count() >= ACTORS:
        print(f"reusing the {Actor.objects.count()} actors already built")
        return
    rng = random.Random(50_000)
    with transaction.atomic():
        skills = Tag.objects.bulk_create([Tag(slug=f"skill-{i:03d}") for i in range(SKILLS)])
        sectors = Tag.objects.bulk_create([Tag(slug=f"sector-{i:02d}") for i in range(SECTORS)])
        skills = list(Tag.objects.filter(slug__startswith="skill-").order_by("slug"))
        sectors = list(Tag.objects.filter(slug__startswith="sector-").order_by("slug"))
        cities = Actor.objects.bulk_create(
            [Actor(handle=f"city-{i:02d}", kind="city", name=f"Ville {i}", country="FR" if i < 9 else "CA") for i in range(CITIES)]
        )
        cities = list(Actor.objects.filter(kind="city").order_by("handle"))
        CityLink.objects.bulk_create(
            [CityLink(from_city=cities[i], to_city=cities[i + 9], status="accepted") for i in range(3)]
        )
        city_weights = [1 / (rank + 1) ** 0.8 for rank in range(CITIES)]
        skill_through, sector_through = Actor.skills.through, Actor.sectors.through
        with tqdm(total=ACTORS, desc="actors", unit="actor") as progress:
            for start in range(0, ACTORS, 5000):
                batch = [
                    Actor(
                        handle=f"actor-{n:05d}", kind="organization" if n % 10 == 0 else "person",
                        name=f"Acteur {n}", city=rng.choices(cities, city_weights)[0], country="FR",
                        suspended=n % 500 == 0,
                    )
                    for n in range(start, min(start + 5000, ACTORS))
                ]
                Actor.objects.bulk_create(batch, batch_size=1000)
                created = list(Actor.objects.filter(handle__in=[a.handle for a in batch]).values_list("pk", flat=True))
                skill_rows, sector_rows = [], []
                for pk in created:
                    skill_rows += [skill_through(actor_id=pk, tag_id=t.pk) for t in zipf_choice(rng, skills, rng.randint(1, 5))]
                    sector_rows += [sector_through(actor_id=pk, tag_id=t.pk) for t in zipf_choice(rng, sectors, rng.randint(1, 3))]
                skill_through.objects.bulk_create(skill_rows, batch_size=2000)
                sector_through.objects.bulk_create(sector_rows, batch_size=2000)
                progress.update(len(batch))
    with connection.cursor() as cursor:
        # Fresh statistics, and on PostgreSQL a visibility map so index-only scans skip the heap.
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def make_requests() -> list[int]:
    """A mix of requests: popular and rare skills and sectors, to a city or from one."""
    from datetime import timedelta

    from django.utils import timezone

    from feeds.models import Follow
    from profiles.models import Actor, User
    from projects.models import CollaborationRequest
    from projects.services import open_collaboration

    existing = list(CollaborationRequest.objects.order_by("pk").values_list("pk", flat=True))
    if len(existing) >= REQUESTS:
        return existing[:REQUESTS]
    rng = random.Random(7)
    user, _created = User.objects.get_or_create(username="bench-author")
    author = Actor.objects.filter(user=user).first() or Actor.objects.create(
        handle="bench-author", kind="person", user=user, name="Bench", city=Actor.objects.get(handle="city-00"),
    )
    others = list(Actor.objects.filter(kind="person", user__isnull=True).values_list("pk", flat=True)[:5000])
    Follow.objects.bulk_create(
        [Follow(follower=author, target_actor_id=pk) for pk in rng.sample(others, 300)], ignore_conflicts=True
    )
    ids = []
    for i in range(REQUESTS):
        popular = i % 2 == 0
        skills = [f"skill-{n:03d}" for n in (rng.sample(range(0, 10), 3) if popular else rng.sample(range(50, 200), 2))]
        sectors = [f"sector-{n:02d}" for n in (rng.sample(range(0, 5), 2) if popular else rng.sample(range(10, 40), 1))]
        target = {"to_city": Actor.objects.get(handle=f"city-{i % 3 + 9:02d}"), "include_peer_cities": True}
        request = open_collaboration(
            author=user, title=f"Bench {i}", message="Benchmark", deadline=timezone.now() + timedelta(days=3650),
            needs={"skills": skills, "sectors": sectors}, **target,
        )
        ids.append(request.pk)
    return ids


RAW_SQL = """
    SELECT a.id, a.handle, a.name, a.kind,
           m.skill_n * 100 + m.sector_n * 10 + m.followed
           + CASE WHEN a.city_id = %(place)s THEN 3 WHEN a.city_id IN %(peers)s THEN 2 ELSE 0 END AS score
    FROM (
        SELECT aid, SUM(sk) AS skill_n, SUM(se) AS sector_n, MAX(fo) AS followed FROM (
            SELECT actor_id AS aid, 1 AS sk, 0 AS se, 0 AS fo FROM profiles_actor_skills WHERE tag_id IN %(skills)s
            UNION ALL
            SELECT actor_id, 0, 1, 0 FROM profiles_actor_sectors WHERE tag_id IN %(sectors)s
            UNION ALL
            SELECT target_actor_id, 0, 0, 1 FROM feeds_follow WHERE follower_id = %(author)s AND target_actor_id IS NOT NULL
        ) hits GROUP BY aid
    ) m JOIN profiles_actor a ON a.id = m.aid
    WHERE NOT a.suspended AND a.kind <> 'city' AND a.id <> %(author)s
    ORDER BY score DESC, a.handle
    LIMIT 20
"""


def raw_query(request) -> list:
    """The same candidate rows, by hand: values inlined as literals (they are integers we made)."""
    from django.db import connection

    from profiles.selectors import peer_cities

    place = request.to_city or request.origin_city
    peers = list(peer_cities(place).values_list("pk", flat=True)) or [0]
    skills = list(request.needed_skills.values_list("pk", flat=True)) or [0]
    sectors = list(request.needed_sectors.values_list("pk", flat=True)) or [0]

    def in_list(values):
        return "(" + ", ".join(str(int(v)) for v in values) + ")"

    sql = RAW_SQL % {
        "place": int(place.pk), "peers": in_list(peers), "skills": in_list(skills),
        "sectors": in_list(sectors), "author": int(request.author_id),
    }
    sql = sql.replace("NOT a.suspended", "a.suspended = " + ("false" if connection.vendor == "postgresql" else "0"))
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def percentile(samples: list[float], q: float) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[int(q) - 1]


def measure(ids: list[int]) -> dict:
    from django.db import connection
    from django.test import Client

    from projects.models import CollaborationRequest

    client = Client()
    requests = {pk: CollaborationRequest.objects.select_related("to_city", "origin_city").get(pk=pk) for pk in ids}
    for pk in ids:  # warm-up: caches, query plans, the first connection
        assert client.get(f"/api/v1/collaborations/{pk}/suggestions/").status_code == 200
        raw_query(requests[pk])
    endpoint, raw, endpoint_cpu, raw_cpu = [], [], [], []
    for call in range(CALLS):
        pk = ids[call % len(ids)]
        started, cpu = time.perf_counter(), time.thread_time()
        response = client.get(f"/api/v1/collaborations/{pk}/suggestions/")
        endpoint.append((time.perf_counter() - started) * 1000)
        endpoint_cpu.append((time.thread_time() - cpu) * 1000)
        assert response.status_code == 200 and len(response.json()["results"]) == 20, response.content[:200]
        started, cpu = time.perf_counter(), time.thread_time()
        rows = raw_query(requests[pk])
        raw.append((time.perf_counter() - started) * 1000)
        raw_cpu.append((time.thread_time() - cpu) * 1000)
        # Same candidates, same order: the endpoint does the same work, not less.
        assert [r[1] for r in rows] == [s["actor"]["handle"] for s in response.json()["results"]], pk
    return {
        "vendor": connection.vendor,
        "endpoint_p50": percentile(endpoint, 50), "endpoint_p95": percentile(endpoint, 95),
        "raw_p50": percentile(raw, 50), "raw_p95": percentile(raw, 95),
        "endpoint_cpu_p50": percentile(endpoint_cpu, 50), "endpoint_cpu_p95": percentile(endpoint_cpu, 95),
        "raw_cpu_p50": percentile(raw_cpu, 50), "raw_cpu_p95": percentile(raw_cpu, 95),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--smoke", action="store_true", help="a tiny size that runs in seconds (CI)")
    args = parser.parse_args()
    configure(args.db)
    build()
    ids = make_requests()
    r = measure(ids)
    print(f"database: {r['vendor']}, {ACTORS} actors, {CALLS} calls over {len(ids)} requests")
    print(f"endpoint  p50 {r['endpoint_p50']:6.1f} ms   p95 {r['endpoint_p95']:6.1f} ms   (Django test Client, in-process)")
    print(f"raw SQL   p50 {r['raw_p50']:6.1f} ms   p95 {r['raw_p95']:6.1f} ms")
    print(f"ratio     p50 {r['endpoint_p50'] / r['raw_p50']:6.2f}      p95 {r['endpoint_p95'] / r['raw_p95']:6.2f}")
    # The machine may be shared: CPU time of this thread is the cost without waiting for
    # other processes (on SQLite it includes the database work; on PostgreSQL the server's is not).
    print(f"this thread's CPU: endpoint p50 {r['endpoint_cpu_p50']:.1f} ms p95 {r['endpoint_cpu_p95']:.1f} ms,"
          f" raw SQL p50 {r['raw_cpu_p50']:.1f} ms p95 {r['raw_cpu_p95']:.1f} ms")
    one, five, fifteen = os.getloadavg()
    print(f"load average (1, 5, 15 min): {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs")
    ok = r["endpoint_p95"] < 50 and r["endpoint_p95"] / r["raw_p95"] < 3
    print("target (p95 < 50 ms, ratio < 3):", "met" if ok else "NOT met")


if __name__ == "__main__":
    main()
