"""Writes of federation: remote actors (looked up, stored, refreshed), follows
across instances, domain blocks."""

import logging
import re
import unicodedata
from datetime import timedelta
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.html import strip_tags
from ulid import ULID

from federation import ids
from federation.models import DomainBlock, OutgoingFollow, RemoteActor
from federation.transport import FetchError, deliver_on_commit, fetch_json
from novosphere.keys import name_key
from novosphere.models import audit
from profiles.models import Actor
from profiles.services import cities_of, recount_cities

logger = logging.getLogger(__name__)

ACTOR_KINDS = {
    "Person": Actor.Kind.PERSON, "Service": Actor.Kind.PERSON, "Application": Actor.Kind.PERSON,
    "Organization": Actor.Kind.ORGANIZATION, "Group": Actor.Kind.ORGANIZATION,
}
HANDLE_MAX = 80
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")
_HOST = re.compile(r"^[a-z0-9.-]+(:[0-9]{1,5})?$|^\[[0-9a-f:]+\](:[0-9]{1,5})?$")


class RemoteActorError(Exception):
    """A document that is not a usable remote actor."""


def split_handle(handle: str) -> tuple[str, str] | None:
    """(name, host) of `name@host` (host may carry a port), or None if it is not one."""
    name, at, host = handle.strip().lstrip("@").rpartition("@")
    host = host.lower()
    if not at or not _NAME.match(name) or not _HOST.match(host):
        return None
    return name, host


def _plain(text, limit: int) -> str:
    """Remote text for a plain field: no tags, no control or bidi characters, capped."""
    text = strip_tags(str(text or ""))
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf") or ch == " ")
    return " ".join(text.split())[:limit]


def _url(value) -> str:
    if isinstance(value, dict):
        value = value.get("href") or value.get("id")
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str)), "")
    return value if isinstance(value, str) and value.startswith(("https://", "http://")) and len(value) <= 500 else ""


def upsert_remote_actor(document: dict, *, fetched_from: str) -> RemoteActor:
    """Store (or refresh) a remote actor from its document, fetched from `fetched_from`.

    Its id must live on the host it was fetched from, and so must its inbox and
    key: a document cannot speak for an actor of another instance.
    """
    uri = _url(document.get("id"))
    kind = ACTOR_KINDS.get(document.get("type"))
    if document.get("kind") == "city" and kind == Actor.Kind.ORGANIZATION:
        kind = Actor.Kind.CITY  # another Novosphère's city
    if not uri or kind is None:
        raise RemoteActorError("not an actor")
    domain = ids.domain_of(uri)
    if domain != ids.domain_of(fetched_from) or ids.is_local(uri):
        raise RemoteActorError("actor id on another host")
    inbox = _url(document.get("inbox"))
    endpoints = document.get("endpoints") if isinstance(document.get("endpoints"), dict) else {}
    shared = _url(endpoints.get("sharedInbox"))
    key = document.get("publicKey") if isinstance(document.get("publicKey"), dict) else {}
    key_id, pem = _url(key.get("id")), key.get("publicKeyPem")
    if not inbox or ids.domain_of(inbox) != domain or (shared and ids.domain_of(shared) != domain):
        raise RemoteActorError("inbox on another host")
    if not key_id or ids.domain_of(key_id) != domain or not isinstance(pem, str) or key.get("owner") != uri:
        raise RemoteActorError("no usable public key")
    name = document.get("preferredUsername")
    if not isinstance(name, str) or not _NAME.match(name):
        raise RemoteActorError("no usable preferredUsername")
    handle = f"{name}@{domain}".lower()
    if len(handle) > HANDLE_MAX:
        raise RemoteActorError("handle too long")
    fields = {
        "name": _plain(document.get("name") or name, 120) or name,
        "headline": _plain(document.get("summary"), 200),
        "kind": kind,
    }
    remote_fields = {
        "domain": domain, "type": document["type"], "inbox": inbox, "shared_inbox": shared,
        "outbox": _url(document.get("outbox")), "followers": _url(document.get("followers")),
        "url": _url(document.get("url")), "key_id": key_id, "public_key_pem": pem[:10_000],
        "fetched": timezone.now(),
    }
    with transaction.atomic():
        remote = RemoteActor.objects.select_related("actor").select_for_update().filter(uri=uri).first()
        if remote is not None:
            was_in = cities_of(remote.actor)
            # A bulk update skips the key `save` folds from the name: fold it here.
            Actor.objects.filter(pk=remote.actor_id).update(**fields, name_key=name_key(fields["name"]))
            RemoteActor.objects.filter(pk=remote.pk).update(**remote_fields)
            remote.refresh_from_db()
            recount_cities(cities=was_in | {remote.actor_id})  # its kind may have changed
            return remote
        actor, _created = Actor.objects.update_or_create(handle=handle, defaults=fields)
        recount_cities(cities=cities_of(actor) | {actor.pk})
        try:
            with transaction.atomic():
                remote = RemoteActor.objects.create(actor=actor, uri=uri, **remote_fields)
        except IntegrityError:
            raise RemoteActorError("handle already taken by another actor") from None
    logger.info("remote actor stored handle=%s uri=%s", handle, uri)
    return remote


def fetch_remote_actor(uri: str, *, refresh: bool = False) -> RemoteActor:
    """The remote actor with id `uri`, from the store while fresh, else fetched."""
    remote = RemoteActor.objects.select_related("actor").filter(uri=uri).first()
    max_age = timedelta(seconds=settings.FEDERATION_ACTOR_REFRESH_SECONDS)
    if remote is not None and not refresh and timezone.now() - remote.fetched < max_age:
        return remote
    try:
        document = fetch_json(uri)
        return upsert_remote_actor(document, fetched_from=uri)
    except (FetchError, RemoteActorError) as error:
        if remote is not None:
            logger.info("remote actor refresh failed uri=%s: %s; keeping the stored one", uri, error)
            return remote
        raise


def _webfinger(name: str, host: str) -> str:
    """The actor id that `name@host`'s WebFinger gives."""
    # FEDERATION_ALLOW_PRIVATE is for instances on the loopback or a LAN, which speak
    # plain HTTP: ask there first (a TLS hello to a plain server may hang until the timeout).
    schemes = ["http", "https"] if settings.FEDERATION_ALLOW_PRIVATE else ["https"]
    resource = quote(f"acct:{name}@{host}", safe=":@")
    last = FetchError("no answer")
    for scheme in schemes:
        try:
            jrd = fetch_json(f"{scheme}://{host}/.well-known/webfinger?resource={resource}",
                             accept="application/jrd+json, application/json")
        except FetchError as error:
            last = error
            continue
        for link in jrd.get("links") or []:
            if isinstance(link, dict) and link.get("rel") == "self" and "json" in str(link.get("type", "")):
                href = _url(link.get("href"))
                if href:
                    return href
        raise FetchError("no ActivityPub link")
    raise last


def resolve_handle(handle: str) -> Actor:
    """The `Actor` of remote `name@host`: stored, refreshed when stale, or looked up
    through WebFinger then its actor document. 404 when it cannot be found."""
    from federation.selectors import is_blocked

    parts = split_handle(handle)
    if parts is None:
        raise Http404
    name, host = parts
    if host == ids.host():
        raise Http404  # our own actors go by their plain handle
    if is_blocked(host):
        raise Http404
    stored = RemoteActor.objects.select_related("actor").filter(actor__handle=f"{name}@{host}".lower()).first()
    try:
        if stored is not None:
            return fetch_remote_actor(stored.uri).actor
        uri = _webfinger(name, host)
        if ids.domain_of(uri) != host and not settings.FEDERATION_ALLOW_PRIVATE:
            raise Http404
        return fetch_remote_actor(uri).actor
    except (FetchError, RemoteActorError) as error:
        logger.info("remote actor not found handle=%s: %s", handle, error)
        raise Http404 from None


def is_remote(actor: Actor) -> bool:
    return "@" in actor.handle


# --- Follows across instances ---------------------------------------------------


def local_uri(target) -> str:
    """The ActivityPub id of one of our actors or projects."""
    from projects.models import Project

    if isinstance(target, Project):
        return ids.project_uri(target.slug)
    return ids.actor_uri(target.handle)


def signer_of(target) -> str:
    from projects.models import Project

    return f"project:{target.slug}" if isinstance(target, Project) else f"actor:{target.handle}"


def request_follow(*, follower: Actor, target: Actor) -> bool:
    """A local person asks to follow a remote actor: a Follow goes out, and the
    follow stays pending (granting nothing) until the remote Accept. Returns
    whether a new request was made."""
    from feeds.services import refuse_if_blocked

    refuse_if_blocked(follower=follower, target=target)
    remote = RemoteActor.objects.get(actor=target)
    uri = f"{ids.actor_uri(follower.handle)}#follows/{ULID()}"
    from feeds.models import Follow

    with transaction.atomic():
        if not Follow.objects.filter(follower=follower, target_actor=target).exists():
            # an accepted follow that ended here since (a block) is asked for anew
            OutgoingFollow.objects.filter(follower=follower, target=target, accepted__isnull=False).delete()
        try:
            with transaction.atomic():
                OutgoingFollow.objects.create(follower=follower, target=target, uri=uri)
        except IntegrityError:
            return False
        deliver_on_commit(
            inboxes=[remote.delivery_inbox],
            document={"@context": ids.AS_CONTEXT, "id": uri, "type": "Follow",
                      "actor": ids.actor_uri(follower.handle), "object": remote.uri},
            signer=f"actor:{follower.handle}",
        )
    logger.info("remote follow requested follower=%s target=%s", follower.handle, target.handle)
    return True


def cancel_follow(*, follower: Actor, target: Actor) -> bool:
    """Stop following a remote actor (or withdraw the request): an Undo goes out."""
    from feeds import services as feed_services

    remote = RemoteActor.objects.get(actor=target)
    with transaction.atomic():
        sent = OutgoingFollow.objects.filter(follower=follower, target=target).first()
        ended = feed_services.unfollow(follower=follower, target=target)
        follow_uri = sent.uri if sent else None
        if sent:
            sent.delete()
        if not ended and not sent:
            return False
        deliver_on_commit(
            inboxes=[remote.delivery_inbox],
            document={
                "@context": ids.AS_CONTEXT, "id": f"{ids.actor_uri(follower.handle)}#undo/{ULID()}",
                "type": "Undo", "actor": ids.actor_uri(follower.handle),
                "object": {"id": follow_uri or f"{ids.actor_uri(follower.handle)}#follows/{target.handle}",
                           "type": "Follow", "actor": ids.actor_uri(follower.handle), "object": remote.uri},
            },
            signer=f"actor:{follower.handle}",
        )
    return True


def is_pending(*, follower: Actor | None, target) -> bool:
    return follower is not None and OutgoingFollow.objects.filter(
        follower=follower, target=target, accepted__isnull=True
    ).exists()


# --- Domain blocks ----------------------------------------------------------------


def normalize_domain(domain: str) -> str:
    value = (domain or "").strip().lower()
    if "//" in value:
        value = urlsplit(value).hostname or ""
    value = value.rstrip(".")
    if not value or len(value) > 253 or not re.match(r"^[a-z0-9.-]+$|^\[[0-9a-f:]+\]$", value) or ".." in value:
        raise ValueError(value)
    return value


def block_domain(*, domain: str, user, reason: str = "") -> tuple[DomainBlock, bool]:
    """Cut an instance off: its deliveries are dropped and nothing is sent to it.
    Harmless to repeat (`changed` False, no audit row)."""
    domain = normalize_domain(domain)
    with transaction.atomic(durable=True):
        block, created = DomainBlock.objects.get_or_create(
            domain=domain, defaults={"reason": reason, "created_by": user if getattr(user, "pk", None) else None}
        )
        if created:
            audit(user=user, action="block_domain", subject=f"domain:{domain}", reason=reason)
            _end_follows_with(domain)
    if created:
        logger.info("domain blocked domain=%s", domain)
    return block, created


def _end_follows_with(domain: str) -> None:
    """Follows to and from the blocked instance's actors end: nothing flows either way."""
    from feeds import services as feed_services
    from feeds.models import Follow

    remote = RemoteActor.objects.filter(domain__in=[domain]) | RemoteActor.objects.filter(domain__endswith=f".{domain}")
    remote = remote | RemoteActor.objects.filter(domain__startswith=f"{domain}:")
    actors = list(Actor.objects.filter(remote__in=remote))
    for follow in Follow.objects.filter(follower__in=actors).select_related("follower", "target_actor", "target_project"):
        feed_services.unfollow(follower=follow.follower, target=follow.target_actor or follow.target_project)
    for follow in Follow.objects.filter(target_actor__in=actors).select_related("follower", "target_actor"):
        feed_services.unfollow(follower=follow.follower, target=follow.target_actor)
    OutgoingFollow.objects.filter(target__in=actors).delete()


def unblock_domain(*, domain: str, user, reason: str = "") -> bool:
    domain = normalize_domain(domain)
    with transaction.atomic(durable=True):
        deleted, _ignored = DomainBlock.objects.filter(domain=domain).delete()
        if deleted:
            audit(user=user, action="unblock_domain", subject=f"domain:{domain}", reason=reason)
    return bool(deleted)
