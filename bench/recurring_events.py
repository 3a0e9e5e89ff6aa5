"""What one account's recurring events cost every reader (a script, not a test).

One organizer makes EVENTS daily events (the default 80, as in the finding);
then an anonymous `GET /api/v1/events/?from=2027-01-01&to=2029-12-31&page_size=1`
is timed ROUNDS times in-process (Django's test client: the view's cost, not the
ASGI hop). Prints p50 / p95 and the answer's `count`.

    .venv/bin/python bench/recurring_events.py            # 80 daily events, 20 rounds
    .venv/bin/python bench/recurring_events.py --smoke    # 3 events, 2 rounds: checks it runs

A fresh SQLite file in /tmp each run (migrated first, about a minute).
"""

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SMOKE = "--smoke" in sys.argv
EVENTS = 3 if SMOKE else int(os.environ.get("EVENTS", "80"))
ROUNDS = 2 if SMOKE else int(os.environ.get("ROUNDS", "20"))
DB = f"/tmp/bench_recurring_{os.getpid()}.sqlite3"

os.environ["DATABASE_URL"] = f"sqlite:///{DB}"
os.environ["DJANGO_SETTINGS_MODULE"] = "novosphere.settings"
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
os.environ["DEBUG"] = "false"
os.environ["LOCAL_HTTP"] = "true"
os.environ.setdefault("RATE_LIMIT_SEARCH", "100000/minute")


def main() -> None:
    from bench.common import create_sqlite_database

    create_sqlite_database(DB)  # a copy of a migrated file; migrate below adds what it lacks
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, check=True,
                   env=os.environ)
    import django

    django.setup()
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from django.conf import settings
    from django.test import Client

    from events.models import Event
    from profiles.models import Actor

    settings.ALLOWED_HOSTS = ["testserver"]
    city = Actor.objects.create(handle="bench-city", kind="city", name="Ville", country="FR")
    organizer = Actor.objects.create(handle="bench-org", kind="organization", name="Org", country="FR", city=city,
                                     organization_type="association")
    paris = ZoneInfo("Europe/Paris")
    for n in range(EVENTS):
        event = Event.objects.create(
            slug=f"daily-{n}", title=f"Tous les jours {n}", kind="meetup", city=city, uid=f"daily-{n}@bench",
            online_url="https://visio.example.org/x", timezone="Europe/Paris", recurrence="FREQ=DAILY",
            start=datetime(2027, 1, 1, 9, n % 60, tzinfo=paris), end=datetime(2027, 1, 1, 10, n % 60, tzinfo=paris),
        )
        event.organizers.add(organizer)
    client = Client()
    path = "/api/v1/events/?from=2027-01-01&to=2029-12-31&page_size=1"
    samples, answer = [], None
    for _ in range(ROUNDS):
        began = time.perf_counter()
        response = client.get(path)
        samples.append(time.perf_counter() - began)
        assert response.status_code == 200, response.content[:300]
        answer = response.json()
    samples.sort()
    p95 = samples[min(len(samples) - 1, int(len(samples) * 0.95))]
    print(f"{EVENTS} daily events, {ROUNDS} rounds of GET {path}")
    print(f"p50 {statistics.median(samples) * 1000:.1f} ms  p95 {p95 * 1000:.1f} ms  count={answer.get('count')}")
    os.unlink(DB)


if __name__ == "__main__":
    main()
