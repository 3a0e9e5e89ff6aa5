"""What each activity taken by an inbox does, once committed (`federation.inbox.process`).

The inbox has already checked who sent it: `actor` is the remote actor whose
key signed it, and an embedded object lives on its host.
"""

import logging

from django.core.exceptions import ValidationError
from django.utils import timezone

from federation import ids
from federation.models import InboxItem, OutgoingFollow
from federation.transport import FetchError, deliver_on_commit, fetch_json
from novosphere.errors import DomainError
from profiles.models import Actor

logger = logging.getLogger(__name__)

POST_TYPES = {"Note", "Article", "Page", "Question", "Event"}


class Ignored(Exception):
    """Nothing to do for this activity; the reason goes to the log."""


def _id(value) -> str:
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) else ""


def _local_target(uri: str):
    """Our actor or project with id `uri`, if the fediverse may see it."""
    from federation.selectors import local_actor, local_project

    owner = ids.owner_key(uri) or ""
    kind, _sep, name = owner.partition(":")
    if kind == "actor":
        return local_actor(name)
    if kind == "project":
        return local_project(name)
    return None


def handle(item: InboxItem) -> None:
    from federation import collaborations, rsvp

    if collaborations.concerns(item.payload):
        collaborations.handle(item.actor, item.payload)
        return
    if rsvp.concerns(item.payload):
        rsvp.handle(item.actor, item.payload)
        return
    handler = HANDLERS.get(item.type)
    if handler is None:
        raise Ignored("type not handled")
    handler(item.actor, item.payload)


# --- Follows -----------------------------------------------------------------------


def _follow(actor: Actor, activity: dict) -> None:
    """A remote actor follows one of ours: the follow is made at once and a signed
    Accept goes back (a Reject when a block refuses it)."""
    from federation.services import local_uri, signer_of
    from feeds import services as feed_services

    target = _local_target(_id(activity.get("object")))
    if target is None:
        raise Ignored("no such local actor")
    answer = "Accept"
    try:
        feed_services.follow(follower=actor, target=target)
    except (DomainError, ValidationError):
        answer = "Reject"
    uri = local_uri(target)
    deliver_on_commit(
        inboxes=[actor.remote.delivery_inbox],
        document={
            "@context": ids.AS_CONTEXT, "id": f"{uri}#{answer.lower()}s/{activity['id'][-60:]}",
            "type": answer, "actor": uri,
            "object": {"id": activity["id"], "type": "Follow", "actor": actor.remote.uri, "object": uri},
        },
        signer=signer_of(target),
    )


def _undo(actor: Actor, activity: dict) -> None:
    from feeds import services as feed_services

    inner = activity.get("object")
    if isinstance(inner, str):
        taken = InboxItem.objects.filter(uri=inner, actor=actor).first()
        inner = taken.payload if taken else None
    if not isinstance(inner, dict):
        raise Ignored("unknown object")
    if inner.get("type") != "Follow" or _id(inner.get("actor")) not in ("", actor.remote.uri):
        raise Ignored("only follows are undone here")
    target = _local_target(_id(inner.get("object")))
    if target is None:
        raise Ignored("no such local actor")
    feed_services.unfollow(follower=actor, target=target)


def _sent_follow(actor: Actor, activity: dict) -> OutgoingFollow | None:
    """Our Follow that an Accept or Reject by `actor` answers."""
    inner = activity.get("object")
    pending = OutgoingFollow.objects.select_related("follower").filter(target=actor)
    found = pending.filter(uri=_id(inner)).first() if _id(inner) else None
    if found is None and isinstance(inner, dict) and inner.get("type") == "Follow":
        # Some servers answer with a Follow of their own making: match it by who and whom.
        owner = ids.owner_key(_id(inner.get("actor"))) or ""
        if owner.startswith("actor:") and _id(inner.get("object")) == actor.remote.uri:
            found = pending.filter(follower__handle=owner[len("actor:"):]).first()
    return found


def _accept(actor: Actor, activity: dict) -> None:
    """The remote side accepted our Follow: it is now a follow like any other."""
    from feeds import services as feed_services

    sent = _sent_follow(actor, activity)
    if sent is None or sent.accepted:
        raise Ignored("no pending follow")
    sent.accepted = timezone.now()
    sent.save(update_fields=["accepted"])
    feed_services.follow(follower=sent.follower, target=actor)


def _reject(actor: Actor, activity: dict) -> None:
    from feeds import services as feed_services
    from feeds.models import Follow

    sent = _sent_follow(actor, activity)
    if sent is None:
        raise Ignored("no follow to reject")
    sent.delete()
    if Follow.objects.filter(follower=sent.follower, target_actor=actor).exists():
        feed_services.unfollow(follower=sent.follower, target=actor)  # a follow ended by the far side


# --- Posts -----------------------------------------------------------------------


def _object_of(actor: Actor, activity: dict) -> dict:
    """The activity's object, embedded or fetched (from its actor's host only)."""
    value = activity.get("object")
    if isinstance(value, str):
        if ids.domain_of(value) != actor.remote.domain:
            raise Ignored("object on another host")
        try:
            value = fetch_json(value)
        except FetchError as error:
            raise Ignored(f"object not fetched: {error}") from None
        if _id(value) and ids.domain_of(_id(value)) != actor.remote.domain:
            raise Ignored("object on another host")
    if not isinstance(value, dict) or not _id(value):
        raise Ignored("no object")
    return value


def _create(actor: Actor, activity: dict) -> None:
    from federation import posts

    obj = _object_of(actor, activity)
    if obj.get("type") not in POST_TYPES:
        raise Ignored(f"object type {obj.get('type')!r} not handled")
    posts.take_post(actor=actor, obj=obj, activity=activity)


def _update(actor: Actor, activity: dict) -> None:
    from federation import posts
    from federation.services import upsert_remote_actor

    obj = _object_of(actor, activity)
    if _id(obj) == actor.remote.uri:
        upsert_remote_actor(obj, fetched_from=actor.remote.uri)
        return
    if obj.get("type") not in POST_TYPES:
        raise Ignored("object type not handled")
    posts.update_post(actor=actor, obj=obj)


def _delete(actor: Actor, activity: dict) -> None:
    from federation import posts

    uri = _id(activity.get("object"))
    if not uri or ids.domain_of(uri) != actor.remote.domain:
        raise Ignored("object on another host")
    if uri == actor.remote.uri:
        posts.forget_actor(actor=actor)
        return
    posts.delete_post(actor=actor, uri=uri)


HANDLERS = {
    "Follow": _follow, "Undo": _undo, "Accept": _accept, "Reject": _reject,
    "Create": _create, "Update": _update, "Delete": _delete,
}

