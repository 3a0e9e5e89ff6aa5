"""Every request federation makes to another instance: signed fetches and deliveries.

Both go through the one outbound client (`novosphere.outbound`: time and size
limits, no private addresses unless FEDERATION_ALLOW_PRIVATE), and nothing is
asked of or sent to a blocked domain. Deliveries leave through the delivery
outbox, queued by `deliver_on_commit`, the one function that queues them.
"""

import logging

from django.conf import settings

from federation import ids
from federation.keys import key_for
from federation.signatures import sign_request
from novosphere import outbound

logger = logging.getLogger(__name__)

FETCH_MAX_BYTES = 1_000_000
TIMEOUT = 10.0
ACCEPT = f'{ids.ACTIVITY_JSON}, {ids.LD_JSON}'


class FetchError(Exception):
    """A remote document could not be had: refused, unreachable, not JSON, not found."""


def signer_key(owner: str) -> tuple[str, str]:
    """(key id, private key) of one of our actors (`actor:<h>`, `project:<s>`, `instance`)."""
    kind, _sep, name = owner.partition(":")
    uri = {"actor": ids.actor_uri, "project": ids.project_uri}.get(kind, lambda _n: ids.instance_uri())(name)
    return ids.key_id(uri), key_for(owner).private_pem


def fetch_json(url: str, *, accept: str = ACCEPT) -> dict:
    """GET a remote JSON document, signed by the instance actor (for servers in secure mode)."""
    from federation.selectors import is_blocked

    if is_blocked(url):
        raise FetchError("blocked domain")
    key_id, private_pem = signer_key("instance")
    headers = sign_request(method="GET", url=url, key_id=key_id, private_pem=private_pem)
    headers.pop("Host")  # the client sets it, from the URL, as it was signed
    headers["Accept"] = accept
    try:
        answer = outbound.fetch(url, headers=headers, max_bytes=FETCH_MAX_BYTES, timeout=TIMEOUT,
                                allow_private=settings.FEDERATION_ALLOW_PRIVATE, max_redirects=0)
    except outbound.OutboundError as error:
        raise FetchError(error.reason) from None
    if not answer.ok:
        raise FetchError(f"status {answer.status}")
    try:
        document = answer.json()
    except ValueError:
        raise FetchError("not JSON") from None
    if not isinstance(document, dict):
        raise FetchError("not a JSON object")
    return document


def deliver_on_commit(*, inboxes, document: dict, signer: str) -> None:
    """Send `document`, signed by `signer`, to each inbox once the caller's transaction
    commits: every delivery of federation goes through the delivery outbox from here
    (kept until done, retried with backoff, nothing towards a blocked domain)."""
    from federation.destinations import enqueue

    enqueue(inboxes=inboxes, document=document, signer=signer)
