"""`animate_demo` acts through the running service's HTTP API: what the demo people do
is published like anyone's action, so a websocket watching the network gets it live,
as French sentences a person would write."""

import asyncio
import json
import subprocess
import sys
import time

import pytest
from websockets.asyncio.client import connect

from tests.e2e.server import ROOT, Daphne, Database
from tests.i18n.english import english_words

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def demo():
    database = Database()
    daphne = None
    try:
        env = {"DATABASE_URL": database.url}
        daphne = Daphne(database, env=env)
        # --small: the same kinds of data; what is checked here is animate_demo, not the demo's size.
        subprocess.run([sys.executable, "manage.py", "seed_demo", "--small", "-v", "0"], cwd=ROOT, env=daphne.env,
                       check=True)
        yield daphne
    finally:
        if daphne is not None:
            daphne.stop()
        database.drop()


def animate(daphne: Daphne, actions: int) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "animate_demo", "--url", daphne.base, "--every", "0.05",
         "--actions", str(actions), "--seconds", "120", "--seed", "7"],
        cwd=ROOT, env=daphne.env, capture_output=True, text=True, timeout=180,
    )


def test_demo_people_act_through_the_api_and_their_actions_arrive_live(demo):
    status, answer = demo.request("POST", "/api/v1/auth/token/", {"username": "camille", "password": "novosphere-demo"})
    assert status == 200, answer
    token = answer["token"]
    status, cities = demo.request("GET", "/api/v1/actors/?kind=city&page_size=100")
    streams = [f"city:{city['handle']}" for city in cities["results"]]

    async def watch() -> list[dict]:
        async with connect(f"{demo.ws}?token={token}") as ws:
            for stream in streams:
                await ws.send(json.dumps({"type": "subscribe", "stream": stream}))
            started = time.monotonic()
            run = asyncio.create_task(asyncio.to_thread(animate, demo, 15))
            frames = []
            while not run.done() or time.monotonic() - started < 5:
                try:
                    frames.append(json.loads(await asyncio.wait_for(ws.recv(), 1)))
                except TimeoutError:
                    if run.done():
                        break
            result = await run
            assert result.returncode == 0, result.stderr[-2000:]
            assert "animate_demo done: actions=15" in result.stderr
            return frames

    frames = asyncio.run(watch())
    activities = [frame["activity"] for frame in frames if frame["type"] == "activity"]
    assert activities, frames
    # Several kinds of action, not only follows.
    kinds = {(activity["type"], activity["object"]["type"]) for activity in activities}
    assert len(kinds) >= 3, kinds
    leaked = [(a["summary"], english_words(a["summary"])) for a in activities if english_words(a["summary"])]
    assert not leaked, leaked
    for activity in activities:
        assert activity["object"]["name"] and activity["summary"].startswith(activity["actor"]["name"])


def test_a_service_that_does_not_answer_is_a_clear_error(demo):
    result = subprocess.run(
        [sys.executable, "manage.py", "animate_demo", "--url", "http://127.0.0.1:9", "--actions", "1"],
        cwd=ROOT, env=demo.env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode != 0
    assert "make run" in result.stderr and "Traceback" not in result.stderr
