"""The inboxes (per actor and shared): what is checked before anything is stored,
then what each activity does once committed.

In order, for every delivery: the body is capped before it is read whole; a
blocked domain is dropped (by its key, before the body is parsed, and by its
actor after); the Digest must match the body and the signature must verify
(`federation.signatures`); the key's owner must be the activity's actor, and an
embedded object must live on its actor's host; an activity id already taken
changes nothing. Then 202, and the activity is processed after commit.
"""

import json
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from federation import collaborations, ids, rsvp
from federation.models import InboxItem
from federation.selectors import is_blocked, remote_actor_by_key
from federation.signatures import SignatureError, parse_signature_header, verify_request
from novosphere.errors import error_response

logger = logging.getLogger(__name__)

KNOWN_TYPES = {"Follow", "Accept", "Reject", "Undo", "Create", "Update", "Delete", "Announce", "Like",
               "Offer", "Join", "Leave", "Add", "Remove", "Move", "Block", "Flag", "EmojiReact"}


# A refused delivery's machine code, by status (the reason itself is only logged).
REFUSAL_CODES = {400: "bad_activity", 401: "bad_signature", 403: "refused", 413: "too_large"}


def _refuse(status: int, message: str, reason: str) -> JsonResponse:
    logger.info("inbox refused status=%s reason=%s", status, reason)
    return error_response(status, message, code=REFUSAL_CODES.get(status))


def _key_id_of(request: HttpRequest) -> str | None:
    # RFC 9421 first, as verify_request reads it: its Signature header is no draft-cavage one.
    raw = request.headers.get("Signature-Input") or ""
    marker = 'keyid="'
    if marker in raw:
        return raw.split(marker, 1)[1].split('"', 1)[0]
    raw = request.headers.get("Signature") or ""
    if not raw and request.headers.get("Authorization", "").lower().startswith("signature "):
        raw = request.headers["Authorization"][len("signature "):]
    if raw:
        try:
            return parse_signature_header(raw).get("keyId")
        except SignatureError:
            return None
    return None


def _read_capped(request: HttpRequest) -> bytes | None:
    """The body, or None when it is larger than FEDERATION_INBOX_MAX_BYTES (read no further)."""
    limit = settings.FEDERATION_INBOX_MAX_BYTES
    try:
        if int(request.headers.get("Content-Length") or 0) > limit:
            return None
    except ValueError:
        return None
    body = request.read(limit + 1)
    return None if len(body) > limit else body


def _actor_id(value) -> str:
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) else ""


def _public_key_for(key_id: str) -> str | None:
    """The PEM of a remote key, fetching its actor the first time it is seen."""
    from federation.services import RemoteActorError, fetch_remote_actor
    from federation.transport import FetchError

    remote = remote_actor_by_key(key_id)
    if remote is not None:
        return remote.public_key_pem
    if ids.is_local(key_id) or is_blocked(key_id):
        return None
    try:
        remote = fetch_remote_actor(key_id.split("#", 1)[0])
    except (FetchError, RemoteActorError) as error:
        logger.info("inbox key not found key=%s: %s", key_id, error)
        return None
    return remote.public_key_pem if remote.key_id == key_id else None


def _verify(request: HttpRequest, body: bytes) -> str:
    """Verify the signature, refetching the actor once if its key changed since we stored it."""
    url = f"{ids.base()}{request.get_full_path()}"
    headers = dict(request.headers)
    try:
        return verify_request(method=request.method, url=url, headers=headers, body=body,
                              public_key_for=_public_key_for)
    except SignatureError as error:
        key_id = _key_id_of(request)
        remote = remote_actor_by_key(key_id) if key_id else None
        if remote is None or "Verification failed" not in str(error):
            raise
        from federation.services import RemoteActorError, fetch_remote_actor
        from federation.transport import FetchError

        try:
            fetch_remote_actor(remote.uri, refresh=True)
        except (FetchError, RemoteActorError):
            raise error from None
        return verify_request(method=request.method, url=url, headers=headers, body=body,
                              public_key_for=_public_key_for)


def receive(request: HttpRequest) -> HttpResponse:
    from novosphere.publisher import publish_on_commit

    body = _read_capped(request)
    if body is None:
        return _refuse(413, _("The activity is too large."), "too large")
    key_id = _key_id_of(request)
    if not key_id:
        return _refuse(401, _("The request is not signed."), "unsigned")
    if is_blocked(key_id):
        return _refuse(403, _("This instance is blocked."), "blocked domain")
    try:
        key_id = _verify(request, body)
    except SignatureError as error:
        return _refuse(401, _("The request's signature is not valid."), str(error))
    try:
        activity = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return _refuse(400, _("The body is not JSON."), "not JSON")
    if not isinstance(activity, dict):
        return _refuse(400, _("The body is not an activity."), "not an object")
    uri, kind, actor_uri = activity.get("id"), activity.get("type"), _actor_id(activity.get("actor"))
    if not isinstance(uri, str) or not uri.startswith(("https://", "http://")) or len(uri) > 500:
        return _refuse(400, _("The activity has no usable id."), "no id")
    if not isinstance(kind, str) or not actor_uri:
        return _refuse(400, _("The body is not an activity."), "no type or actor")
    if is_blocked(actor_uri):
        return _refuse(403, _("This instance is blocked."), "blocked domain")
    remote = remote_actor_by_key(key_id)
    if remote is None or remote.uri != actor_uri:
        return _refuse(403, _("The activity's actor did not sign it."), "key owner is not the actor")
    if ids.domain_of(uri) != remote.domain:
        return _refuse(403, _("The activity does not come from its actor's instance."), "id on another host")
    embedded = activity.get("object")
    if isinstance(embedded, dict) and kind in ("Create", "Update", "Offer"):
        object_id = embedded.get("id")
        if not isinstance(object_id, str) or ids.domain_of(object_id) != remote.domain:
            return _refuse(403, _("The object does not come from its actor's instance."), "object host")
        author = _actor_id(embedded.get("attributedTo")) or actor_uri
        if author != actor_uri and kind == "Create" and embedded.get("type") not in ("Event",):
            return _refuse(403, _("The object is not its actor's."), "object author")
    if remote.actor.suspended:
        return HttpResponse(status=202)  # a suspended actor's deliveries are taken and ignored
    if kind not in KNOWN_TYPES:
        return HttpResponse(status=202)
    for concern in (collaborations, rsvp):
        if concern.concerns(activity):
            try:
                concern.check(remote, activity)
            except collaborations.Refused as refusal:
                logger.info("inbox refused status=%s reason=%s %s", refusal.status, concern.__name__, refusal.body)
                return JsonResponse(refusal.body, status=refusal.status)
            break
    try:
        with transaction.atomic():
            item = InboxItem.objects.create(uri=uri, type=kind, actor=remote.actor, payload=activity)
            publish_on_commit("federation.inbox", {"item": item.pk})
    except IntegrityError:
        logger.info("inbox repeat uri=%s", uri)  # already taken: a repeated delivery changes nothing
    return HttpResponse(status=202)


# --- After commit: what each activity does ------------------------------------------


def process(*, item_id: int) -> None:
    from federation import handlers

    with transaction.atomic():
        item = InboxItem.objects.select_for_update().select_related("actor").filter(pk=item_id).first()
        if item is None or item.processed is not None:
            return
        try:
            handlers.handle(item)
        except handlers.Ignored as reason:
            logger.info("inbox ignored uri=%s type=%s: %s", item.uri, item.type, reason)
        item.processed = timezone.now()
        item.save(update_fields=["processed"])

