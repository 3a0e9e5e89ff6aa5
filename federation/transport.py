"""Every request federation makes to another instance: signed fetches and deliveries.

Both go through the one outbound client (`novosphere.outbound`: time and size
limits, no private addresses unless FEDERATION_ALLOW_PRIVATE), and nothing is
asked of or sent to a blocked domain. Deliveries leave after commit through
`deliver_on_commit`, the one function that queues them.
"""

import json
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


def _signer(owner: str) -> tuple[str, str]:
    """(key id, private key) of one of our actors (`actor:<h>`, `project:<s>`, `instance`)."""
    kind, _sep, name = owner.partition(":")
    uri = {"actor": ids.actor_uri, "project": ids.project_uri}.get(kind, lambda _n: ids.instance_uri())(name)
    return ids.key_id(uri), key_for(owner).private_pem


def fetch_json(url: str, *, accept: str = ACCEPT) -> dict:
    """GET a remote JSON document, signed by the instance actor (for servers in secure mode)."""
    from federation.selectors import is_blocked

    if is_blocked(url):
        raise FetchError("blocked domain")
    key_id, private_pem = _signer("instance")
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


def post_signed(*, inbox: str, document: dict, signer: str) -> int:
    """POST one activity to one inbox now, signed by `signer`; returns the status.
    Raises outbound.OutboundError when the request could not be made."""
    body = json.dumps(document, ensure_ascii=False).encode()
    key_id, private_pem = _signer(signer)
    headers = sign_request(method="POST", url=inbox, key_id=key_id, private_pem=private_pem, body=body)
    headers.pop("Host")
    headers["Content-Type"] = ids.ACTIVITY_JSON
    answer = outbound.post(inbox, body=body, headers=headers, timeout=TIMEOUT,
                           allow_private=settings.FEDERATION_ALLOW_PRIVATE)
    logger.info("federation delivery inbox=%s type=%s status=%s", inbox, document.get("type"), answer.status)
    return answer.status


def deliver_on_commit(*, inboxes, document: dict, signer: str) -> None:
    """Send `document` to each inbox once the caller's transaction commits, through
    the outbox (`federation.deliver`: kept until done, retried with backoff); nothing
    leaves if it rolls back, nor towards a blocked domain. Every delivery goes out here."""
    from federation.selectors import is_blocked
    from novosphere.publisher import publish_on_commit

    for inbox in sorted({inbox for inbox in inboxes if inbox and not is_blocked(inbox)}):
        publish_on_commit("federation.deliver", {"inbox": inbox, "document": document, "signer": signer})
