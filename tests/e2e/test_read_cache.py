"""Repeated reads through a real Daphne come from their last rendering, and never outlive a write.

The server here keeps entries for a minute, so every change seen below was seen
because a write moved the generation on, not because an entry aged out.
"""

import json
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.e2e.server import ROOT, Daphne, Database

pytestmark = pytest.mark.e2e

SHORT_LIFE = 3  # seconds, for the one test about ageing


@pytest.fixture(scope="module")
def database():
    database = Database()
    yield database
    database.drop()


@pytest.fixture(scope="module")
def cached(database):
    daphne = Daphne(database, env={"READ_CACHE_SECONDS": "60"})
    yield daphne
    daphne.stop()


@pytest.fixture(scope="module")
def short_lived(database):
    daphne = Daphne(database, env={"READ_CACHE_SECONDS": str(SHORT_LIFE)})
    yield daphne
    daphne.stop()


def get(server: Daphne, path: str, token: str | None = None, **headers) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(server.base + path)
    if token:
        request.add_header("Authorization", f"Token {token}")
    for name, value in headers.items():
        request.add_header(name.replace("_", "-"), value)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def run_in_other_process(server: Daphne, code: str) -> None:
    """Python with Django on the server's database, in a process of its own (as a worker would be)."""
    subprocess.run([sys.executable, "-c", "import django; django.setup()\n" + code],
                   cwd=ROOT, env=server.env, check=True, timeout=60)


def raw_sql(server: Daphne, statement: str) -> None:
    """A write that bypasses Django entirely (so it cannot move the generation on)."""
    run_in_other_process(server, (
        "from django.db import connection\n"
        "connection.ensure_connection()\n"
        "connection.execute_wrappers.clear()\n"
        f"connection.cursor().execute({statement!r})\n"
    ))


def test_a_repeated_read_is_answered_from_its_rendering_until_any_write(cached):
    token = cached.register("ronan")
    status, project = cached.request("POST", "/api/v1/projects/", {"title": "Serre connectée"}, token=token)
    assert status == 201, project
    path = f"/api/v1/projects/{project['slug']}/"
    assert json.loads(get(cached, path)[2])["title"] == "Serre connectée"

    # A change Django never saw: the answer is the one already rendered.
    raw_sql(cached, f"UPDATE projects_project SET title = 'Serre renommée' WHERE slug = '{project['slug']}'")
    assert json.loads(get(cached, path)[2])["title"] == "Serre connectée"

    # Any write through the service (here a follow) moves the generation on.
    status, _ = cached.request("POST", f"{path}follow/", token=cached.register("gaelle"))
    assert status in (200, 201, 204)
    assert json.loads(get(cached, path)[2])["title"] == "Serre renommée"


def test_a_write_from_another_process_is_seen_by_the_next_read(cached):
    token = cached.register("maela")
    _, project = cached.request("POST", "/api/v1/projects/", {"title": "Compost partagé"}, token=token)
    path = f"/api/v1/projects/{project['slug']}/"
    assert json.loads(get(cached, path)[2])["title"] == "Compost partagé"
    run_in_other_process(cached, (
        "from projects.models import Project\n"
        f"Project.objects.filter(slug={project['slug']!r}).update(title='Compost de quartier')\n"
    ))
    assert json.loads(get(cached, path)[2])["title"] == "Compost de quartier"


def test_viewers_never_share_an_answer(cached):
    owner = cached.register("soizic")
    stranger = cached.register("yannig")
    _, project = cached.request("POST", "/api/v1/projects/", {"title": "Atelier fermé", "visibility": "private"},
                                token=owner)
    path = f"/api/v1/projects/{project['slug']}/"
    assert get(cached, path)[0] == 404
    assert get(cached, path, token=owner)[0] == 200
    assert get(cached, path)[0] == 404
    assert get(cached, path, token=stranger)[0] == 404
    assert get(cached, path, token=owner)[0] == 200


def test_a_project_turned_private_is_gone_from_the_next_anonymous_read(cached):
    owner = cached.register("tangi")
    _, project = cached.request("POST", "/api/v1/projects/", {"title": "Vélo-cargo"}, token=owner)
    path = f"/api/v1/projects/{project['slug']}/"
    assert get(cached, path)[0] == 200
    assert project["slug"] in get(cached, "/api/v1/projects/")[2].decode()
    status, _ = cached.request("PATCH", path, {"visibility": "private"}, token=owner)
    assert status == 200
    assert get(cached, path)[0] == 404
    assert project["slug"] not in get(cached, "/api/v1/projects/")[2].decode()


def test_a_matching_if_none_match_gets_a_304_without_a_body(cached):
    owner = cached.register("nolwenn")
    _, project = cached.request("POST", "/api/v1/projects/", {"title": "Ruches urbaines"}, token=owner)
    path = f"/api/v1/projects/{project['slug']}/"
    status, headers, _ = get(cached, path)
    etag = headers["ETag"]
    status, again, body = get(cached, path, If_None_Match=etag)
    assert (status, body, again["ETag"]) == (304, b"", etag)
    cached.request("PATCH", path, {"title": "Ruches de quartier"}, token=owner)
    status, _, body = get(cached, path, If_None_Match=etag)
    assert status == 200 and json.loads(body)["title"] == "Ruches de quartier"


def wait_until(moment: float) -> None:
    time.sleep(max(0.0, moment - time.monotonic()))


def title_at(server: Daphne, path: str) -> str:
    return json.loads(get(server, path)[2])["title"]


def test_an_answer_past_its_time_goes_out_once_more_while_it_renders_again(short_lived):
    """No write, only time: the aged-out answer is served at once and replaced in the
    background; at twice its age nobody is served it any more."""
    token = short_lived.register("elouan")
    _, project = short_lived.request("POST", "/api/v1/projects/", {"title": "Jardin partagé"}, token=token)
    path = f"/api/v1/projects/{project['slug']}/"
    assert title_at(short_lived, path) == "Jardin partagé"
    rendered_at = time.monotonic()
    raw_sql(short_lived, f"UPDATE projects_project SET title = 'Jardin des voisins' WHERE slug = '{project['slug']}'")

    wait_until(rendered_at + SHORT_LIFE + 0.3)
    aged_read_at = time.monotonic()
    assert aged_read_at < rendered_at + 2 * SHORT_LIFE, "the raw write took too long to test ageing"
    assert title_at(short_lived, path) == "Jardin partagé"  # served as it was, a new rendering started
    deadline = time.monotonic() + SHORT_LIFE
    while title_at(short_lived, path) != "Jardin des voisins":
        assert time.monotonic() < deadline, "the background rendering never replaced the aged answer"
        time.sleep(0.05)

    raw_sql(short_lived, f"UPDATE projects_project SET title = 'Jardin du quartier' WHERE slug = '{project['slug']}'")
    wait_until(aged_read_at + 2 * SHORT_LIFE + 0.5)
    assert title_at(short_lived, path) == "Jardin du quartier"
