"""Code that is not ours, against a real Novosphère: apkit (an ActivityPub toolkit
from PyPI, pinned in the test extra) and its signature library apsig.

apkit's models read our WebFinger answer and our actor document; apkit's client
signs a Follow (draft-cavage, apsig's signer) that our inbox verifies and takes;
apsig's verifier checks the signature of the Accept we deliver back, with the
public key apkit read from our document. A body other than the one apsig
signed is refused. (bovine, the first choice, cannot share this environment:
see tests/interop/bovine_peer.py, run from its own virtualenv.)
"""

import json
import time
import urllib.error
import urllib.request
import uuid

import pytest
from apkit.client._common import validate_webfinger_result
from apkit.client.models import Resource, WebfingerResult
from apkit.client.sync.client import ActivityPubClient
from apkit.types import ActorKey
from apsig import draft
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.e2e.server import Daphne, Database, free_port

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def instance():
    database = Database()
    port = free_port()
    daphne = Daphne(database, port=port, env={
        "PUBLIC_URL": f"http://127.0.0.1:{port}", "FEDERATION_ALLOW_PRIVATE": "true",
    })
    yield daphne
    daphne.stop()
    database.drop()


@pytest.fixture
def peer():
    """The peer's side on the loopback: its actor document (with a key apkit signs with) and
    an inbox that records what we deliver."""
    from tests.federation.remote import RemoteInstance

    remote = RemoteInstance()
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    remote.add_actor("ana")
    remote.actors["ana"]["publicKey"]["publicKeyPem"] = public_pem
    remote.private_key = private
    yield remote
    remote.close()


def post(url: str, body: bytes, headers: dict) -> int:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def test_apkit_reads_our_documents_signs_what_we_verify_and_verifies_what_we_sign(instance, peer):
    instance.register("camille")
    host = instance.base.split("//", 1)[1]

    # our WebFinger answer, as apkit's models read and check it
    with urllib.request.urlopen(f"{instance.base}/.well-known/webfinger?resource=acct:camille@{host}") as answer:
        result = WebfingerResult.from_dict(json.loads(answer.read()))
    validate_webfinger_result(result, Resource(username="camille", host=host))
    actor_uri = next(link.href for link in result.links if link.rel == "self")
    assert actor_uri == f"{instance.base}/actors/camille"

    key = ActorKey(key_id=f"{peer.uri('ana')}#main-key", private_key=peer.private_key)
    follow = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{peer.uri('ana')}#follow/{uuid.uuid4()}",
              "type": "Follow", "actor": peer.uri("ana"), "object": actor_uri}
    with ActivityPubClient() as client:
        person = client.actor.fetch(actor_uri)  # apmodel parses our actor document
        assert type(person).__name__ == "Person"
        assert person.public_key.id == f"{actor_uri}#main-key"
        our_pem = person.public_key.public_key_pem
        answer = client.post(person.inbox, body=follow, signatures=[key], sign_with=["draft-cavage"],
                             headers={"Content-Type": "application/activity+json"})
        assert answer.status == 202

    deadline = time.monotonic() + 20
    while not [r for r in peer.receiver.requests if r.method == "POST"] and time.monotonic() < deadline:
        time.sleep(0.2)
    [delivered] = [r for r in peer.receiver.requests if r.method == "POST"]
    accept = json.loads(delivered.body)
    assert accept["type"] == "Accept" and accept["object"]["id"] == follow["id"]
    verified = draft.Verifier(public_pem=our_pem, method="POST", url=peer.base + delivered.path,
                              headers=delivered.headers, body=delivered.body).verify(raise_on_fail=True)
    assert verified == f"{actor_uri}#main-key"
    assert instance.request("GET", "/api/v1/actors/camille/")[1]["followers_count"] == 1

    # apsig's signature over one body, another body sent: refused, nothing taken
    other = {**follow, "id": f"{peer.uri('ana')}#follow/{uuid.uuid4()}"}
    signed = draft.Signer(headers={"Content-Type": "application/activity+json"}, private_key=peer.private_key,
                          method="POST", url=f"{instance.base}/inbox", key_id=key.key_id,
                          body=json.dumps(other).encode()).sign()
    tampered = json.dumps({**other, "object": f"{instance.base}/actors/nobody"}).encode()
    assert post(f"{instance.base}/inbox", tampered, signed) == 401
    assert post(f"{instance.base}/inbox", json.dumps(other).encode(), signed) == 202
