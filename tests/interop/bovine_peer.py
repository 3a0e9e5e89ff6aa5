"""bovine (https://pypi.org/project/bovine/) as a peer of a running Novosphère.

Not a test of the suite: bovine pins `cryptography` to one old major version
(0.5.19: >=45,<46; every release has such a cap) while the project pins
cryptography 50, so it cannot share the project's environment. Run it from its
own virtualenv against a Novosphère started with FEDERATION_ALLOW_PRIVATE=true:

    python3 -m venv /tmp/bovine-venv && /tmp/bovine-venv/bin/pip install bovine==0.5.19
    /tmp/bovine-venv/bin/python tests/interop/bovine_peer.py http://127.0.0.1:PORT camille

What bovine's own code does here, against ours: it looks our actor up by
WebFinger (`lookup_uri_with_webfinger`), fetches the actor document with a
signed GET (`signed_get`), builds its own actor document (`Actor`), signs a
Follow to our inbox (`signed_post`, draft-cavage with a SHA-256 Digest), and
checks the HTTP signature of the Accept our instance delivers back
(`SignatureChecker`), fetching our public key itself. A tampered body under a
bovine signature must be refused. Prints one JSON line per step; exit status
0 when every step held.
"""

import asyncio
import json
import socket
import sys
import uuid

import aiohttp
from aiohttp import web
from bovine.activitystreams import Actor
from bovine.clients import lookup_uri_with_webfinger
from bovine.clients.signed_http_methods import signed_get, signed_post
from bovine.clients.utils import host_target_from_url
from bovine.crypto import build_validate_http_signature_raw, generate_rsa_public_private_key
from bovine.crypto.http_signature import build_signature
from bovine.crypto.types import CryptographicIdentifier, CryptographicSecret
from bovine.utils import get_gmt_now

results: list[dict] = []


def step(name: str, ok: bool, **detail) -> bool:
    results.append({"step": name, "ok": bool(ok), **detail})
    print(json.dumps(results[-1], ensure_ascii=False), flush=True)
    return ok


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def sha256_digest(body: bytes):
    import base64
    import hashlib

    return "digest", "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()


async def main(base: str, handle: str) -> int:
    host = base.split("//", 1)[1]
    port = free_port()
    me = f"http://127.0.0.1:{port}/users/bob"
    public_pem, private_pem = generate_rsa_public_private_key()
    secret = CryptographicSecret.from_pem(f"{me}#main-key", private_pem)
    document = Actor(
        id=me, preferred_username="bob", name="Bob (bovine)", inbox=f"{me}/inbox", outbox=f"{me}/outbox",
        followers=f"{me}/followers", public_key=public_pem, public_key_name="main-key",
    ).build()
    delivered: asyncio.Queue = asyncio.Queue()

    async def key_of(key_id: str):
        async with aiohttp.ClientSession() as session:
            async with session.get(key_id.split("#")[0], headers={"Accept": "application/activity+json"}) as answer:
                data = await answer.json(content_type=None)
        return CryptographicIdentifier.from_public_key(data.get("publicKey", data))

    verify = build_validate_http_signature_raw(key_of)

    async def serve_actor(request):
        return web.json_response(document, content_type="application/activity+json")

    async def serve_webfinger(request):
        return web.json_response({"subject": "acct:bob@127.0.0.1", "links": [
            {"rel": "self", "type": "application/activity+json", "href": me}]})

    async def inbox(request):
        body = await request.read()
        headers = {name.lower(): value for name, value in request.headers.items()}

        async def read():
            return body

        owner = await verify(request.method, str(request.url), headers, read)
        await delivered.put((owner, json.loads(body)))
        return web.Response(status=202)

    app = web.Application()
    app.router.add_get("/users/bob", serve_actor)
    app.router.add_get("/.well-known/webfinger", serve_webfinger)
    app.router.add_post("/users/bob/inbox", inbox)
    app.router.add_post("/inbox", inbox)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    ok = True
    try:
        async with aiohttp.ClientSession() as session:
            target, _verify = await lookup_uri_with_webfinger(session, f"acct:{handle}@{host}", domain=base)
            ok &= step("webfinger", target == f"{base}/actors/{handle}", actor=target)
            answer = await signed_get(session, secret, target)
            ours = await answer.json(content_type=None)
            ok &= step("signed GET of the actor document", answer.status == 200 and ours["id"] == target,
                       status=answer.status, type=ours.get("type"))
            follow = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{me}#follow/{uuid.uuid4()}",
                      "type": "Follow", "actor": me, "object": target}
            answer = await signed_post(session, secret, ours["inbox"], json.dumps(follow), sha256_digest)
            ok &= step("signed POST of a Follow", answer.status == 202, status=answer.status)
            try:
                owner, accept = await asyncio.wait_for(delivered.get(), 30)
            except TimeoutError:
                owner, accept = None, {}
            ok &= step("our Accept, verified by bovine", owner == ours["id"] and accept.get("type") == "Accept"
                       and accept.get("object", {}).get("id") == follow["id"], owner=owner, type=accept.get("type"))
            async with session.get(f"{base}/api/v1/actors/{handle}/") as answer:
                profile = await answer.json()
            ok &= step("the follow counted", profile.get("followers_count") == 1,
                       followers_count=profile.get("followers_count"))
            # A bovine signature over one body, another body sent: refused, nothing counted.
            other = {**follow, "id": f"{me}#follow/{uuid.uuid4()}"}
            url = ours["endpoints"]["sharedInbox"]
            sign_host, sign_target = host_target_from_url(url)
            name, digest = sha256_digest(json.dumps(other).encode())
            helper = (build_signature(sign_host, "post", sign_target).with_field("date", get_gmt_now())
                      .with_field(name, digest).with_field("content-type", "application/activity+json"))
            headers = {**helper.headers, "signature": helper.sign_for_http_draft(secret)}
            tampered = {**other, "object": f"{base}/actors/someone-else"}
            async with session.post(url, data=json.dumps(tampered), headers=headers) as answer:
                ok &= step("a body other than the one bovine signed is refused", answer.status == 401,
                           status=answer.status)
            async with session.post(url, data=json.dumps(other), headers=headers) as answer:
                ok &= step("the same signature over its own body is taken", answer.status == 202,
                           status=answer.status)
    finally:
        await runner.cleanup()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1].rstrip("/"), sys.argv[2])))
