"""Remote inboxes as a kind of destination of the delivery outbox (`delivery/`):
one destination per remote inbox (the shared one where the instance has it),
drained in order, retried with backoff for days, disabled when it keeps failing.

Two sorts of delivery ride on it: an activity of ours (built when it is sent:
a Create signed by its author, if an anonymous reader may still see it) and
federation's own messages (Follow, Accept, Reject, Undo), queued as payloads.
"""

import json
import logging

from django.conf import settings
from django.utils import translation

from delivery.kinds import DestinationKind, Outgoing, register
from delivery.models import Destination
from federation import ids
from federation.signatures import sign_request

logger = logging.getLogger(__name__)

KIND = "federation.inbox"
# Who follows whom, and deletions, are not news to send out.
NOT_SENT = {"Follow", "Delete"}


def destination_ids(inboxes) -> list[int]:
    """The active destinations of these inboxes (created the first time), blocked domains left out."""
    from delivery.services import destination_for
    from federation.selectors import is_blocked

    found = []
    for inbox in sorted({inbox for inbox in inboxes if inbox and not is_blocked(inbox)}):
        destination = destination_for(kind=KIND, key=inbox, url=inbox)
        if destination.state == Destination.State.ACTIVE:
            found.append(destination.pk)
    return found


def enqueue(*, inboxes, document: dict, signer: str) -> int:
    """Queue `document`, signed by `signer` when it is sent, to each inbox (in the
    caller's transaction: nothing leaves if it rolls back); returns how many."""
    from delivery.services import enqueue_payload

    queued = 0
    for destination in Destination.objects.filter(pk__in=destination_ids(inboxes)):
        enqueue_payload(destination=destination, payload={"document": document, "signer": signer})
        queued += 1
    return queued


def signed_post(*, url: str, document: dict, signer: str) -> Outgoing:
    from federation.transport import signer_key

    body = json.dumps(document, ensure_ascii=False).encode()
    key_id, private_pem = signer_key(signer)
    headers = sign_request(method="POST", url=url, key_id=key_id, private_pem=private_pem, body=body)
    headers.pop("Host")  # the outbound client sets it from the URL, as it was signed
    headers["Content-Type"] = ids.ACTIVITY_JSON
    return Outgoing(body=body, headers=headers)


class InboxKind(DestinationKind):
    name = KIND

    def allow_private(self) -> bool:
        return settings.FEDERATION_ALLOW_PRIVATE

    def destinations_for(self, activity) -> list[int]:
        from federation.publishing import publishers
        from federation.selectors import remote_followers_inboxes
        from feeds.public import public_activity

        if activity.type in NOT_SENT or activity.actor.is_remote:
            return []
        targets = publishers(activity)
        inboxes = remote_followers_inboxes(targets) if targets else []
        # Checked again when each is sent; this only spares rows nobody may receive.
        if not inboxes or public_activity(activity.pk) is None:
            return []
        return destination_ids(inboxes)

    def build(self, delivery) -> Outgoing | None:
        from federation.publishing import create_document
        from federation.selectors import is_blocked
        from feeds.public import public_activity

        destination = delivery.destination
        if is_blocked(destination.url):
            return None
        if delivery.payload:
            return signed_post(url=destination.url, document=delivery.payload["document"],
                               signer=delivery.payload["signer"])
        activity = public_activity(delivery.activity_id) if delivery.activity_id else None
        if activity is None:
            return None  # no longer public: it does not leave
        with translation.override(settings.LANGUAGE_CODE):
            document = create_document(activity)
        return signed_post(url=destination.url, document=document, signer=f"actor:{activity.actor.handle}")

    def accepted(self, status: int) -> bool:
        # A 4xx other than 429 will not change on a retry (a block, a refusal): taken as done.
        return 200 <= status < 300 or (400 <= status < 500 and status != 429)


register(InboxKind())
