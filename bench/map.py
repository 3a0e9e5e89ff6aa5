"""Benchmark of the ecosystem map (a script, not a test).

100,000 actors over 300 cities; `/api/v1/map/?cluster=city` and a city-sized
bbox, over HTTP through a real Daphne, against a raw SQL query of the same rows.
Prints p50 / p95 of each and their ratio. Target: p95 under 10 ms (cluster=city reads the
per-city counts `profiles.services.recount_cities` keeps; the bulk seed recounts once).

    .venv/bin/python bench/map.py                 # SQLite file in /tmp
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_map .venv/bin/python bench/map.py

The database is built once (migrate + bulk insert) and reused by later runs.
"""

import http.client
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import create_postgres_database, create_sqlite_database, free_port, wait_for_http  # noqa: E402

# `--smoke`: the same steps on a few hundred actors, in seconds (CI), in a file of its own.
SMOKE = "--smoke" in sys.argv[1:]
os.environ.setdefault("DATABASE_URL", f"sqlite:////tmp/bench_map{'_smoke' if SMOKE else ''}.sqlite3")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "novosphere.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
os.environ["DEBUG"] = "false"
os.environ.setdefault("LOCAL_HTTP", "true")  # plain HTTP on loopback: no TLS redirect

ACTORS = 500 if SMOKE else 100_000
CITIES = 10 if SMOKE else 300
TARGET_MS = 10
ROUNDS = 5 if SMOKE else int(os.environ.get("ROUNDS", "200"))


def setup_database() -> None:
    if os.environ["DATABASE_URL"].startswith(("postgres://", "postgresql://")):
        import psycopg

        base, name = os.environ["DATABASE_URL"].rsplit("/", 1)
        with psycopg.connect(base + "/postgres", autocommit=True) as conn:
            missing = not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if missing:
            create_postgres_database(os.environ["DATABASE_URL"])  # a copy of the migrated template
    elif not Path(os.environ["DATABASE_URL"].removeprefix("sqlite:///")).exists():
        create_sqlite_database(os.environ["DATABASE_URL"].removeprefix("sqlite:///"))
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, check=True)


def seed() -> None:
    import django

    django.setup()
    from profiles.models import Actor

    if Actor.objects.filter(handle__startswith="bench-").count() >= ACTORS + CITIES:
        return
    rng = random.Random(300)
    Actor.objects.filter(handle__startswith="bench-").delete()
    cities = Actor.objects.bulk_create(
        Actor(handle=f"bench-city-{i}", kind=Actor.Kind.CITY, name=f"Ville {i}", country="FR",
              latitude=round(rng.uniform(42.5, 50.5), 5), longitude=round(rng.uniform(-4.5, 7.5), 5))
        for i in range(CITIES)
    )
    cities = list(Actor.objects.filter(handle__startswith="bench-city-").order_by("pk"))
    batch = []
    for i in range(ACTORS):
        city = cities[i % CITIES]
        organization = i % 2 == 0
        own = organization and i % 3 == 0  # a third of organizations have their own address
        batch.append(Actor(
            handle=f"bench-actor-{i}", kind=Actor.Kind.ORGANIZATION if organization else Actor.Kind.PERSON,
            name=f"Acteur {i}", country="FR", city=city,
            organization_type="startup" if organization else "",
            latitude=round(city.latitude + rng.uniform(-0.03, 0.03), 5) if own else None,
            longitude=round(city.longitude + rng.uniform(-0.04, 0.04), 5) if own else None,
        ))
        if len(batch) == 5000:
            Actor.objects.bulk_create(batch)
            batch = []
    Actor.objects.bulk_create(batch)
    from profiles.services import recount_cities

    recount_cities()  # written straight to the table: the map's per-city counts, as a service keeps them
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")




def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.95) - 1]


def time_http(port: int, path: str) -> tuple[list[float], int]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    samples, size = [], 0
    for index in range(ROUNDS + 10):
        began = time.perf_counter()
        conn.request("GET", path, headers={"Host": "127.0.0.1"})
        response = conn.getresponse()
        body = response.read()
        assert response.status == 200, body[:300]
        if index >= 10:  # warm-up rounds are not counted
            samples.append((time.perf_counter() - began) * 1000)
        size = len(body)
    conn.close()
    return samples, size


def time_sql(sql: str, params: list) -> tuple[list[float], int]:
    from django.db import connection

    samples, rows = [], 0
    for index in range(ROUNDS + 10):
        began = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = len(cursor.fetchall())
        if index >= 10:
            samples.append((time.perf_counter() - began) * 1000)
    return samples, rows


PLACED = """
FROM profiles_actor a LEFT OUTER JOIN profiles_actor c ON a.city_id = c.id
WHERE NOT a.suspended
  AND COALESCE(a.latitude, c.latitude) IS NOT NULL AND COALESCE(a.longitude, c.longitude) IS NOT NULL
"""
CLUSTER_SQL = f"""
SELECT k.id, k.handle, k.name, k.longitude, k.latitude, n.count FROM (
  SELECT CASE WHEN a.kind = 'city' THEN a.id ELSE a.city_id END AS city, COUNT(*) AS count {PLACED}
  GROUP BY 1
) n JOIN profiles_actor k ON k.id = n.city
"""
BBOX_SQL = f"""
SELECT a.handle, a.name, a.kind, COALESCE(a.longitude, c.longitude), COALESCE(a.latitude, c.latitude) {PLACED}
  AND COALESCE(a.longitude, c.longitude) BETWEEN %s AND %s AND COALESCE(a.latitude, c.latitude) BETWEEN %s AND %s
"""


def main() -> None:
    setup_database()
    seed()
    from profiles.models import Actor

    city = Actor.objects.get(handle="bench-city-0")
    # A city-sized box: about 8 km by 8 km around the city centre.
    box = (city.longitude - 0.05, city.latitude - 0.035, city.longitude + 0.05, city.latitude + 0.035)
    port = free_port()
    # The read cache off: each request renders the map (what a change costs every reader once).
    env = {**os.environ, "ALLOWED_HOSTS": "127.0.0.1", "LOG_LEVEL": "WARNING",
           "READ_CACHE_SECONDS": os.environ.get("READ_CACHE_SECONDS", "0")}
    daphne = subprocess.Popen(
        [str(Path(sys.executable).with_name("daphne")), "-b", "127.0.0.1", "-p", str(port), "novosphere.asgi:application"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/api/health/", daphne, timeout=300)
        from django.db import connection

        print(f"database: {connection.vendor}, actors: {Actor.objects.count()}, rounds: {ROUNDS}")
        cases = [
            ("cluster=city", "/api/v1/map/?cluster=city", CLUSTER_SQL, []),
            ("bbox (city-sized)", "/api/v1/map/?type=actor&bbox={},{},{},{}".format(*box), BBOX_SQL,
             [box[0], box[2], box[1], box[3]]),
        ]
        for name, path, sql, params in cases:
            http_samples, size = time_http(port, path)
            sql_samples, rows = time_sql(sql, params)
            (h50, h95), (s50, s95) = percentiles(http_samples), percentiles(sql_samples)
            print(f"{name:18} HTTP p50 {h50:6.1f} ms  p95 {h95:6.1f} ms  ({size} bytes) | "
                  f"raw SQL p50 {s50:6.1f} ms  p95 {s95:6.1f} ms  ({rows} rows) | "
                  f"ratio p50 {h50 / s50:4.1f}x  p95 {h95 / s95:4.1f}x | target p95 < {TARGET_MS} ms: "
                  f"{'met' if h95 < TARGET_MS else 'missed'}")
    finally:
        daphne.terminate()
        daphne.wait()


if __name__ == "__main__":
    main()
