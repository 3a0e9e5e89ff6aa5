"""Browser clients on other origins, over a real Daphne: a CORS preflight as Chrome sends it,
and the websocket's origin rule (a token from anywhere; a session cookie only from
ALLOWED_HOSTS or CORS_ALLOWED_ORIGINS)."""

import http.client
import json

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.e2e.conftest import FRONT_ORIGIN
from tests.e2e.test_websocket import close_code, receive, run
from tests.security.live import session_login

pytestmark = pytest.mark.e2e


def raw(server, method: str, path: str, headers: dict) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=20)
    connection.request(method, path, headers=headers)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def test_a_chrome_preflight_and_request_through_daphne(server, unique):
    token = server.register(unique("front"))
    preflight = raw(server, "OPTIONS", "/api/v1/projects/", {
        "Host": f"127.0.0.1:{server.port}", "Origin": FRONT_ORIGIN, "Accept": "*/*",
        "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type",
        "Sec-Fetch-Mode": "cors", "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Dest": "empty",
        "Accept-Language": "fr-FR,fr;q=0.9", "Referer": FRONT_ORIGIN + "/",
        "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    })
    assert preflight.status == 200
    assert preflight.getheader("Access-Control-Allow-Origin") == FRONT_ORIGIN
    allowed = {h.strip().lower() for h in preflight.getheader("Access-Control-Allow-Headers").split(",")}
    assert {"authorization", "content-type"} <= allowed
    assert "POST" in preflight.getheader("Access-Control-Allow-Methods")
    actual = raw(server, "GET", "/api/v1/me/", {"Origin": FRONT_ORIGIN, "Authorization": f"Token {token}",
                                                "Sec-Fetch-Mode": "cors"})
    assert actual.status == 200 and actual.getheader("Access-Control-Allow-Origin") == FRONT_ORIGIN
    elsewhere = raw(server, "OPTIONS", "/api/v1/projects/", {
        "Origin": "https://evil.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type"})
    assert elsewhere.getheader("Access-Control-Allow-Origin") is None


def test_a_token_socket_is_accepted_from_any_origin(server, unique):
    name = unique("anywhere")
    token = server.register(name)

    async def scenario():
        async with connect(server.ws + f"?token={token}", origin="https://someone-elses-app.example") as ws:
            await ws.send(json.dumps({"type": "subscribe", "stream": f"actor:{name}"}))
            assert await receive(ws) == {"type": "subscribed", "stream": f"actor:{name}"}

    run(scenario())


def test_a_cookie_socket_only_from_trusted_origins(server, unique):
    name = unique("cookie")
    server.register(name)
    cookie = session_login(server, name).cookie_header()

    async def scenario():
        with pytest.raises(InvalidStatus) as refused:
            async with connect(server.ws, origin="https://evil.example", additional_headers={"Cookie": cookie}):
                pass
        assert refused.value.response.status_code == 403
        # A bad token never falls back to the cookie, whatever the origin.
        async with connect(server.ws + "?token=forged", origin="https://evil.example",
                           additional_headers={"Cookie": cookie}) as ws:
            assert await close_code(ws) == 4401
        for origin in (FRONT_ORIGIN, server.base):  # CORS_ALLOWED_ORIGINS, ALLOWED_HOSTS
            async with connect(server.ws, origin=origin, additional_headers={"Cookie": cookie}) as ws:
                await ws.send(json.dumps({"type": "subscribe", "stream": f"actor:{name}"}))
                assert await receive(ws) == {"type": "subscribed", "stream": f"actor:{name}"}

    run(scenario())
