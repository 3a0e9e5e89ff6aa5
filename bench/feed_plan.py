"""The home timeline's query plan with the moderation filters (hidden activity, blocked authors).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_feed_plan .venv/bin/python bench/feed_plan.py

(Re)creates that database, fills it with SQL (20,000 actors, 200,000
activities, 40,000 home-timeline rows for the reader, who blocks 50 actors;
1% of activities with an audience decided per reader), analyzes, and prints EXPLAIN ANALYZE of the query
`feeds.selectors.home_timeline` runs for one page. Not a test: a plan to read.
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# `--smoke`: the same plan on a hundredth of the rows, in seconds (CI), in a database of its own.
SMOKE = "--smoke" in sys.argv[1:]
URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_feed_plan" + ("_smoke" if SMOKE else ""))
os.environ["DATABASE_URL"] = URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
ACTORS, ACTIVITIES = (200, 2000) if SMOKE else (20000, 200000)

FILL = """
INSERT INTO profiles_actor (handle, kind, name, headline, bio, country, organization_type, region,
    followers_count, following_count, suspended, created, updated, handle_key, name_key{actor_extra_columns})
SELECT 'a' || n, 'person', 'Actor ' || n, '', '', 'FR', '', '', 0, 0, n % 997 = 0, now(), now(), 'a' || n, 'actor' || n{actor_extra_values}
FROM generate_series(1, {actors}) n;
INSERT INTO feeds_activity (id, type, actor_id, object_type, object_id, object_name, target_type, target_id,
    target_name, object_url, target_url, subject_kind, subject_id, published, audience{extra_columns})
SELECT lpad(to_hex(n), 26, '0'), 'Create', (SELECT min(id) FROM profiles_actor) + (n * 7919) % {actors},
    'update', n::text, '', '', '', '', '', '', 'update', n::text, now(), CASE WHEN n % 100 = 0 THEN 'some' ELSE 'everyone' END{extra_values}
FROM generate_series(1, {activities}) n;
INSERT INTO feeds_timelineentry (owner_id, activity_id)
SELECT (SELECT min(id) FROM profiles_actor), id FROM feeds_activity WHERE id::text LIKE '%0' OR id::text LIKE '%5'
ON CONFLICT DO NOTHING;
INSERT INTO feeds_timelineentry (owner_id, activity_id)
SELECT (SELECT min(id) FROM profiles_actor) + 1 + (ascii(right(id, 1)) % 50), id FROM feeds_activity;
INSERT INTO moderation_block (blocker_id, blocked_id, created)
SELECT (SELECT min(id) FROM profiles_actor), (SELECT min(id) FROM profiles_actor) + n * 13, now()
FROM generate_series(1, {blocks}) n;
ANALYZE;
"""


def main() -> None:
    import psycopg

    from bench.common import create_postgres_database

    create_postgres_database(URL)  # a copy of the migrated template
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", "--noinput", verbosity=0)  # any migration the template lacks
    from psycopg import sql

    from bench.common import column_defaults

    # Columns added to activities after this script was written take their model defaults.
    columns, values = column_defaults("feeds_activity", ["id", "type", "actor_id", "object_type", "object_id",
                                                         "object_name", "target_type", "target_id", "target_name",
                                                         "object_url", "target_url", "subject_kind", "subject_id",
                                                         "published", "audience"])
    actor_columns, actor_values = column_defaults("profiles_actor", [
        "id", "handle", "kind", "name", "headline", "bio", "country", "organization_type", "region",
        "followers_count", "following_count", "suspended", "created", "updated", "handle_key", "name_key"])
    with psycopg.connect(URL, autocommit=True) as conn:
        def literals(values) -> str:
            return "".join(", " + sql.Literal(v).as_string(conn) for v in values)

        conn.execute(FILL.format(actors=ACTORS, activities=ACTIVITIES, blocks=10 if SMOKE else 50,
                                 extra_columns="".join(f", {c}" for c in columns), extra_values=literals(values),
                                 actor_extra_columns="".join(f", {c}" for c in actor_columns),
                                 actor_extra_values=literals(actor_values)))
    from feeds.selectors import visible_activities
    from profiles.models import Actor

    reader = Actor.objects.order_by("pk").first()
    viewer = type("Viewer", (), {"is_authenticated": True, "actor": reader})()  # what viewer_actor reads
    top = visible_activities(viewer).filter(timeline_entries__owner=reader).order_by("-id").values_list("id", flat=True)[:51]
    print(top.explain(analyze=True))


if __name__ == "__main__":
    main()
