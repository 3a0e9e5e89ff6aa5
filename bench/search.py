"""Search and suggest latency over HTTP at growing index sizes (a benchmark, not a test).

    .venv/bin/python bench/search.py                                   # SQLite (a scratch file)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/wt_search .venv/bin/python bench/search.py

It fills the database with generated French actors and projects (the
database is FLUSHED first: never point it at data you care about), reindexes,
starts Daphne on a free port and times sequential keep-alive requests to
`/api/v1/search/` (exact, accent-free, plural and typo queries) and
`/api/v1/search/suggest/`, at each size in --sizes. The baseline is a plain
`LIKE '%word%'` scan of the same document table, timed in the same run.
"""

import argparse
import http.client
import os
import random
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import create_sqlite_database, free_port  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "novosphere.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret")
os.environ.setdefault("DATABASE_URL", "sqlite:////tmp/novosphere-bench-search.sqlite3")
# Plain HTTP on the loopback, in the server and the in-process client alike: with
# TLS redirects on, every answer would be a bodiless 301.
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
# The service's own search limit (RATE_LIMIT_SEARCH) would answer 429 to a benchmark's
# steady stream: lifted here, for the in-process client, and in the server it starts.
SEARCH_LIMIT = "100000000/minute"
os.environ["RATE_LIMIT_SEARCH"] = SEARCH_LIMIT

WORDS = (
    "innovation entreprise société réseau numérique énergie santé mobilité agriculture éducation culture "
    "recherche laboratoire données ouvertes intelligence artificielle économie sociale solidaire territoire "
    "coopération partenariat développement durable transition écologique incubateur accélérateur start-up "
    "financement investissement européen international québécois français breton citoyen collectif "
    "plateforme application logiciel robotique capteur hydrogène éolien solaire batterie recyclage "
    "alimentation circuit court tourisme patrimoine artisanat design industrie maritime portuaire "
    "entrepreneuriat accompagnement formation emploi jeunesse inclusion accessibilité logement quartier"
).split()
FIRST = "Camille Léa Hugo Inès Zoé Maxime Sarah Louise Manon Théo Chloé Élodie Jérôme Gaëlle Noémie".split()
LAST = "Tremblay Gagnon Roy Côté Bouchard Gauthier Martin Bernard Dubois Lefèvre Leroy Moreau Girard".split()
CITIES = [("quebec", "Québec", "CA"), ("montreal", "Montréal", "CA"), ("rennes", "Rennes", "FR"),
          ("nantes", "Nantes", "FR"), ("lyon", "Lyon", "FR"), ("sherbrooke", "Sherbrooke", "CA")]
TAGS = "python design-ux sante energie mobilite agriculture fintech iot robotique culture".split()

SEARCHES = {
    "exact": ["innovation", "laboratoire", "hydrogène", "Tremblay"],
    "accent-free": ["Quebec", "societe", "energie", "Montreal"],
    "plural": ["innovations", "entreprises", "réseaux", "données"],
    "typo": ["innovaton", "Montreall", "entreprneuriat", "laboratorie"],
}
SUGGESTS = ["inno", "queb", "lab", "soc", "hydro", "tremb"]


def setup_django():
    import django

    django.setup()


def _vocabulary() -> tuple[list[str], list[float]]:
    """Real words spread among 5,000 made-up ones, drawn with Zipf frequencies as in real prose."""
    rng = random.Random(1)
    syllables = "ma ri to lo ve ne sa qui pro con tra bel dou fra gen tal mon par ser vin".split()
    made_up = list(dict.fromkeys("".join(rng.choice(syllables) for _ in range(rng.randint(2, 4)))
                                 for _ in range(7000)))[:5000]
    vocabulary = list(made_up)
    for position, word in enumerate(WORDS):
        vocabulary.insert(5 + position * 12, word)
    cumulative, total = [], 0.0
    for rank in range(len(vocabulary)):
        total += 1.0 / (rank + 1)
        cumulative.append(total)
    return vocabulary, cumulative


VOCABULARY, CUMULATIVE = _vocabulary()


def sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choices(VOCABULARY, cum_weights=CUMULATIVE, k=n)).capitalize() + "."


def grow(target: int, rng: random.Random) -> None:
    """Add generated actors (60%) and projects (40%) until there are `target` of them."""
    from django.db import transaction

    from profiles.models import Actor, Tag
    from projects.models import Project, ProjectMember, Visibility

    cities = {handle: Actor.objects.get_or_create(handle=handle, defaults={
        "kind": "city", "name": name, "country": country})[0] for handle, name, country in CITIES}
    tags = [Tag.objects.get_or_create(slug=slug)[0] for slug in TAGS]
    have = Actor.objects.count() + Project.objects.count()
    missing = target - have
    if missing <= 0:
        return
    actors_wanted, projects_wanted = int(missing * 0.6), missing - int(missing * 0.6)
    start = have
    with transaction.atomic():
        actors = []
        for i in range(actors_wanted):
            city = rng.choice(list(cities.values()))
            person = rng.random() < 0.8
            actors.append(Actor(
                handle=f"a{start + i}", kind="person" if person else "organization",
                name=f"{rng.choice(FIRST)} {rng.choice(LAST)}" if person else sentence(rng, 3)[:-1],
                headline=sentence(rng, 5), bio=sentence(rng, 30), city=city, country=city.country,
            ))
        actors = Actor.objects.bulk_create(actors, batch_size=1000)
        through = Actor.skills.through
        through.objects.bulk_create([through(actor_id=a.pk, tag_id=rng.choice(tags).pk) for a in actors],
                                    batch_size=2000, ignore_conflicts=True)
        owners = list(Actor.objects.filter(kind="organization").values_list("pk", flat=True)[:5000]) or [actors[0].pk]
        visibilities = [Visibility.PUBLIC] * 8 + [Visibility.MEMBERS, Visibility.PRIVATE]
        projects = Project.objects.bulk_create([
            Project(slug=f"p{start + i}", title=sentence(rng, 4)[:-1], summary=sentence(rng, 12),
                    description=sentence(rng, 60), needs_text=sentence(rng, 10), owner_id=rng.choice(owners),
                    city=rng.choice(list(cities.values())), visibility=rng.choice(visibilities))
            for i in range(projects_wanted)
        ], batch_size=1000)
        ProjectMember.objects.bulk_create([ProjectMember(project=p, actor_id=p.owner_id, role="owner")
                                           for p in projects], batch_size=2000)
        sectors = Project.sectors.through
        sectors.objects.bulk_create([sectors(project_id=p.pk, tag_id=rng.choice(tags).pk) for p in projects],
                                    batch_size=2000, ignore_conflicts=True)


def reindex() -> tuple[int, float]:
    from search.backends import get_search_backend
    from search.registry import all_documents

    started = time.perf_counter()
    total = get_search_backend().reindex(all_documents())
    return total, time.perf_counter() - started




def start_server(port: int) -> subprocess.Popen:
    # Plain HTTP on the loopback: without TLS redirects off, every answer would be a bodiless 301.
    # The service's own search limit would answer 429 to a benchmark's steady stream.
    env = {**os.environ, "DEBUG": "0", "ALLOWED_HOSTS": "127.0.0.1", "LOG_LEVEL": "WARNING",
           "SECURE_SSL_REDIRECT": "0", "RATE_LIMIT_SEARCH": SEARCH_LIMIT,
           # The read cache off: each request runs the search (the cost of a query seen for the first time).
           "READ_CACHE_SECONDS": os.environ.get("READ_CACHE_SECONDS", "0")}
    server = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "novosphere.asgi:application"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    for _ in range(600):  # a loaded machine can take tens of seconds to import the project
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("daphne did not start")


def timed_gets(port: int, path: str, queries: list[str], repeat: int) -> list[float]:
    connection = http.client.HTTPConnection("127.0.0.1", port)
    samples = []
    for query in queries:  # warm-up
        connection.request("GET", f"{path}?{urllib.parse.urlencode({'q': query})}")
        response = connection.getresponse()
        response.read()
        assert response.status == 200, (path, query, response.status)
    for _ in range(repeat):
        for query in queries:
            started = time.perf_counter()
            connection.request("GET", f"{path}?{urllib.parse.urlencode({'q': query})}")
            response = connection.getresponse()
            response.read()
            samples.append((time.perf_counter() - started) * 1000)
            assert response.status == 200, (path, query, response.status)
    connection.close()
    return samples


def in_process_gets(path: str, queries: list[str], repeat: int) -> list[float]:
    """The same requests through Django's test client: the full view, without server or ASGI bridge."""
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    samples = []
    for query in queries:
        client.get(path, {"q": query})
    for _ in range(repeat):
        for query in queries:
            started = time.perf_counter()
            response = client.get(path, {"q": query})
            samples.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (path, query, response.status_code)
    return samples


def like_scan(queries: list[str], repeat: int) -> list[float]:
    """The baseline: a LIKE '%word%' scan of the same table, counted and paged as search does."""
    from search.models import SearchDocument

    samples = []
    for _ in range(repeat):
        for query in queries:
            started = time.perf_counter()
            matching = SearchDocument.objects.filter(body__icontains=query)
            matching.count()
            list(matching.values("ident", "title")[:20])
            samples.append((time.perf_counter() - started) * 1000)
    return samples


def p(samples: list[float], q: float) -> float:
    return statistics.quantiles(samples, n=100)[int(q) - 1] if len(samples) > 1 else samples[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,50000", help="document counts, comma-separated")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--smoke", action="store_true", help="a tiny size that runs in seconds (CI)")
    parser.add_argument("--reuse", action="store_true",
                        help="keep the data and index already there (time another version of the code on the same"
                             " data; the index must have been built by a compatible version)")
    args = parser.parse_args()
    if args.smoke:
        args.sizes, args.repeat = "300", 2
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    if not args.reuse:
        if connection.vendor == "sqlite":  # a scratch file: a copy of a migrated one
            connection.close()
            create_sqlite_database(connection.settings_dict["NAME"])
        call_command("migrate", verbosity=0)
        call_command("flush", interactive=False, verbosity=0)
        if connection.vendor == "postgresql":  # a scratch database: start from the current migrations
            call_command("migrate", "search", "zero", verbosity=0)
            call_command("migrate", verbosity=0)
    rng = random.Random(7)
    print(f"database: {connection.vendor}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    for size in [int(s) for s in args.sizes.split(",")]:
        if args.reuse:
            from search.models import SearchDocument

            print(f"\n{SearchDocument.objects.count()} documents (reused); load average {os.getloadavg()[0]:.1f}")
        else:
            grow(size, rng)
            total, seconds = reindex()
            print(f"\n{total} documents, reindexed in {seconds:.1f} s ({total / seconds:.0f} docs/s);"
                  f" load average {os.getloadavg()[0]:.1f}")
        port = free_port()
        server = start_server(port)
        try:
            like = like_scan([q for qs in SEARCHES.values() for q in qs], args.repeat)
            print(f"  {'LIKE %word% baseline':28} p50 {p(like, 50):7.1f} ms  p95 {p(like, 95):7.1f} ms")
            for label, queries in SEARCHES.items():
                samples = timed_gets(port, "/api/v1/search/", queries, args.repeat)
                print(f"  {'search ' + label:28} p50 {p(samples, 50):7.1f} ms  p95 {p(samples, 95):7.1f} ms"
                      f"  (p50 {p(samples, 50) / p(like, 50):.2f}x LIKE)")
            samples = timed_gets(port, "/api/v1/search/suggest/", SUGGESTS, args.repeat)
            print(f"  {'suggest':28} p50 {p(samples, 50):7.1f} ms  p95 {p(samples, 95):7.1f} ms")
            all_searches = [q for qs in SEARCHES.values() for q in qs]
            samples = in_process_gets("/api/v1/search/", all_searches, args.repeat)
            print(f"  {'search, in-process':28} p50 {p(samples, 50):7.1f} ms  p95 {p(samples, 95):7.1f} ms")
            samples = in_process_gets("/api/v1/search/suggest/", SUGGESTS, args.repeat)
            print(f"  {'suggest, in-process':28} p50 {p(samples, 50):7.1f} ms  p95 {p(samples, 95):7.1f} ms")
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
