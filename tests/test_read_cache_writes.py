"""What moves the read cache's write generation on: statements that may change data, once
committed; never a read, however it is spelled (search's ranked hits are a `WITH` query)."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from novosphere.read_cache import generation, writes
from projects.models import Project
from tests.conftest import indexed


@pytest.mark.parametrize("sql, changes", [
    ("SELECT 1", False),
    ("WITH hits AS MATERIALIZED (SELECT id FROM search_searchdocument) SELECT * FROM hits", False),
    ('SELECT "projects_projectupdate"."id" FROM "projects_projectupdate" ORDER BY "updated"', False),
    ('(SELECT 0 AS "source", "activity_id" FROM a LIMIT 5) UNION ALL (SELECT 1 AS "source", "activity_id" FROM b LIMIT 5)', False),
    ("INSERT INTO t VALUES (1)", True),
    ("UPDATE t SET a = 1", True),
    ("WITH gone AS (DELETE FROM t RETURNING id) SELECT count(*) FROM gone", True),
    ("with moved as (update t set a = 2 returning id) select * from moved", True),
])
def test_only_statements_that_may_change_data_count_as_writes(sql, changes):
    assert writes(sql) is changes


@pytest.mark.django_db(transaction=True)
def test_a_search_leaves_the_generation_and_a_committed_write_moves_it(api, alice, rennes):
    with transaction.atomic():
        indexed(Project.objects.create(slug="hydrolienne", title="Hydrolienne", owner=alice, city=rennes))
    connection.ensure_connection()
    # The statements of these requests, not the file: a background thread of an earlier
    # test (the in-process delivery runner) may move the file on meanwhile.
    with CaptureQueriesContext(connection) as searched:
        assert api.get("/api/v1/search/", {"q": "hydrolienne"}).json()["count"] == 1
        assert api.get("/api/v1/search/suggest/", {"q": "hydro"}).status_code == 200
    assert searched.captured_queries
    assert [query["sql"] for query in searched.captured_queries if writes(query["sql"])] == []
    before = generation()._file_stamp()
    with transaction.atomic():
        Project.objects.filter(slug="hydrolienne").update(title="Hydrolienne de Rennes")
    assert generation()._file_stamp() > before
