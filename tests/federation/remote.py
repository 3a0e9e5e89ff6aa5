"""A remote ActivityPub instance for tests: a real HTTP server on the loopback
(tests/receiver.py) that serves its actors' WebFinger and documents, records what
our instance delivers to it, and signs activities with its actors' own keys."""

import json
from urllib.parse import parse_qs, urlsplit

from federation.keys import _new_pair
from federation.signatures import sign_request
from tests.receiver import Receiver


class RemoteInstance:
    def __init__(self):
        self.receiver = Receiver()
        self.receiver.default = self._route
        self.base = self.receiver.url("")
        self.host = urlsplit(self.base).netloc
        self.actors: dict[str, dict] = {}
        self.keys: dict[str, tuple[str, str]] = {}
        self.objects: dict[str, dict] = {}

    def close(self):
        self.receiver.close()

    def add_actor(self, name: str, type_: str = "Person", **extra) -> str:
        uri = f"{self.base}/users/{name}"
        self.keys[name] = _new_pair()
        self.actors[name] = {
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": uri, "type": type_, "preferredUsername": name, "name": name.title(),
            "inbox": f"{uri}/inbox", "outbox": f"{uri}/outbox", "followers": f"{uri}/followers",
            "endpoints": {"sharedInbox": f"{self.base}/inbox"},
            "publicKey": {"id": f"{uri}#main-key", "owner": uri, "publicKeyPem": self.keys[name][1]},
            **extra,
        }
        return uri

    def uri(self, name: str) -> str:
        return self.actors[name]["id"]

    def deliveries(self) -> list:
        """What our instance POSTed here, as (path, headers, JSON body)."""
        return [(r.path, r.headers, json.loads(r.body)) for r in self.receiver.requests if r.method == "POST"]

    def fetches(self) -> list[str]:
        return [r.path for r in self.receiver.requests if r.method == "GET"]

    def _answer(self, handler, status: int, document: dict | None, content_type="application/activity+json"):
        payload = json.dumps(document or {"error": "not found"}).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)

    def _route(self, handler):
        parts = urlsplit(handler.path)
        if handler.command == "POST":
            return self._answer(handler, 202, {})
        if parts.path == "/.well-known/webfinger":
            resource = parse_qs(parts.query).get("resource", [""])[0]
            name = resource.removeprefix("acct:").rsplit("@", 1)[0]
            if name in self.actors:
                return self._answer(handler, 200, {
                    "subject": resource,
                    "links": [{"rel": "self", "type": "application/activity+json", "href": self.uri(name)}],
                }, "application/jrd+json")
            return self._answer(handler, 404, None)
        for name, document in self.actors.items():
            if parts.path == f"/users/{name}":
                return self._answer(handler, 200, document)
        if parts.path in self.objects:
            return self._answer(handler, 200, self.objects[parts.path])
        return self._answer(handler, 404, None)

    def signed(self, name: str, url: str, activity: dict, key_of: str | None = None) -> tuple[bytes, dict]:
        """(body, headers) of `activity` POSTed to `url`, signed by `key_of` (default: `name`)."""
        body = json.dumps(activity).encode()
        signer = key_of or name
        headers = sign_request(method="POST", url=url, key_id=f"{self.uri(signer)}#main-key",
                               private_pem=self.keys[signer][0], body=body)
        return body, headers


def django_headers(headers: dict) -> dict:
    """Headers as the Django test client takes them (HTTP_X_Y=...)."""
    out = {}
    for name, value in headers.items():
        key = name.upper().replace("-", "_")
        out[key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{key}"] = value
    return out
