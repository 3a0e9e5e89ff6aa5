"""Elasticsearch unreachable: writes succeed, search says 503, and nothing is forgotten.

Daphne runs with ELASTICSEARCH_URL pointing at a local port where nothing
listens (no Elasticsearch is faked). Writes succeed; search and suggestions
answer 503 with a clear message; the documents that could not be indexed are
kept in the index's outbox and survive a sync run while the index is still
down; a sync run by a backend that answers takes them all.
"""

import subprocess
import sys

import pytest

from tests.e2e.server import ROOT, Daphne, Database, free_port

pytestmark = pytest.mark.e2e


@pytest.fixture
def stack():
    database = Database()
    closed_port = free_port()  # bound once and released: nothing listens there
    env = {"ELASTICSEARCH_URL": f"http://127.0.0.1:{closed_port}", "SEARCH_INDEX": "faults"}
    daphne = Daphne(database, env=env, migrate=True, wait_for_health=False)
    yield daphne, database
    daphne.stop()
    database.drop()


def manage(daphne: Daphne, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**daphne.env, **env},
        capture_output=True, text=True, timeout=60,
    )


def test_writes_succeed_search_answers_503_and_pending_documents_are_kept(stack):
    daphne, _database = stack
    token = daphne.register("alice")
    status, project = daphne.request(
        "POST", "/api/v1/projects/",
        {"title": "Hydrolienne citoyenne", "summary": "Des turbines dans la Rance", "stage": "idea"},
        token=token,
    )
    assert status == 201, project
    status, me = daphne.request("PATCH", "/api/v1/me/", {"headline": "Ingénieure marémotrice"}, token=token)
    assert status == 200 and me["headline"] == "Ingénieure marémotrice"

    for path in ("/api/v1/search/?q=hydrolienne", "/api/v1/search/suggest/?q=hydro"):
        status, body = daphne.request("GET", path)
        assert status == 503, (path, status, body)
        assert "Search is temporarily unavailable" in body["detail"], body
    status, health = daphne.request("GET", "/api/health/")
    assert status == 503 and health["search"] == {"backend": "elasticsearch", "ok": False}
    assert health["database"]["ok"] is True

    # A sync while the index is still down keeps every pending document (and says so).
    still_down = manage(daphne, "reindex", "--pending")
    assert still_down.returncode == 1, still_down.stdout + still_down.stderr
    assert "indexed 0 pending documents into elasticsearch" in still_down.stdout
    pending = int(still_down.stdout.split(";")[1].split()[0])
    assert pending >= 2  # alice (registered, then edited) and her project, at least
    again = manage(daphne, "reindex", "--pending")
    assert f"; {pending} still pending" in again.stdout  # nothing lost by a failed run
    full = manage(daphne, "reindex", "--no-progress")
    assert full.returncode == 1 and "elasticsearch is unreachable" in full.stderr

    # A backend that answers (the database's own, the one that exists here) takes them all.
    caught_up = manage(daphne, "reindex", "--pending", ELASTICSEARCH_URL="")
    assert caught_up.returncode == 0, caught_up.stdout + caught_up.stderr
    assert f"indexed {pending} pending documents into database:" in caught_up.stdout
    assert "; 0 still pending" in caught_up.stdout
    found = manage(daphne, "shell", "-c",
                   "from search.backends import get_search_backend as b; "
                   "print([h['id'] for h in b().search('hydrolienne')['results']])",
                   ELASTICSEARCH_URL="")
    assert project["slug"] in found.stdout, found.stdout + found.stderr
    assert "Internal Server Error" not in daphne.logs()
