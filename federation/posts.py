"""Remote posts (Note, Article...) as activity: stored sanitized, recorded as the
same activities local ones are (timelines, websocket frames), updated, and
deleted with a tombstone so that a Delete arriving first wins."""

import logging

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import strip_tags

from federation import ids
from federation.models import RemoteObject
from novosphere.rendering import sanitize_html
from profiles.models import Actor
from profiles.services import cities_of, recount_cities

logger = logging.getLogger(__name__)

CONTENT_MAX = 50_000
# How activities name remote posts (`Activity.object_type`), by their ActivityStreams type.
REMOTE_EVENT = "remote_event"
POST_ACTIVITY_TYPES = ("note", "article", "page", "question", REMOTE_EVENT)


class NotTaken(Exception):
    pass


def _audience(obj: dict, activity: dict) -> set[str]:
    found: set[str] = set()
    for source in (obj, activity):
        for field in ("to", "cc", "audience"):
            value = source.get(field)
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, str):
                    found.add(item)
                elif isinstance(item, dict) and isinstance(item.get("id"), str):
                    found.add(item["id"])
    return found


def is_public(obj: dict, activity: dict) -> bool:
    return bool(_audience(obj, activity) & {ids.PUBLIC, "as:Public", "Public"})


def _when(value):
    parsed = parse_datetime(value) if isinstance(value, str) else None
    return parsed if parsed and parsed.tzinfo else None


def _fields(obj: dict) -> dict:
    content = obj.get("content")
    if not isinstance(content, str):
        content_map = obj.get("contentMap")
        content = next(iter(content_map.values()), "") if isinstance(content_map, dict) and content_map else ""
    html = sanitize_html(content[:CONTENT_MAX])
    name = obj.get("name") if isinstance(obj.get("name"), str) else ""
    plain = " ".join(strip_tags(name or html).split())
    url = obj.get("url")
    url = url if isinstance(url, str) and url.startswith(("https://", "http://")) and len(url) <= 500 else ""
    fields = {"type": str(obj.get("type"))[:30], "name": plain[:200], "content": html, "url": url}
    if obj.get("type") == "Event":
        fields.update(starts=_when(obj.get("startTime")), ends=_when(obj.get("endTime")), place=_place(obj))
    return fields


def _place(obj: dict) -> str:
    """Where an Event happens, in words: its Place's name and address, or online."""
    location = obj.get("location")
    words = []
    if isinstance(location, dict):
        address = location.get("address") if isinstance(location.get("address"), dict) else {}
        for value in (location.get("name"), address.get("streetAddress"), address.get("addressLocality")):
            if isinstance(value, str) and value.strip() and value.strip() not in words:
                words.append(" ".join(strip_tags(value).split()))
    return ", ".join(words)[:300]


def _also_on(actor: Actor, obj: dict, activity: dict) -> list[Actor]:
    """Other actors of the same instance whose followers the post is addressed to
    (another Novosphère's project or city): it goes on their streams too."""
    from federation.models import RemoteActor

    audience = _audience(obj, activity)
    return [
        remote.actor for remote in RemoteActor.objects.select_related("actor").filter(
            domain=actor.remote.domain, followers__in=audience
        ).exclude(actor=actor)
    ]


def _followed_here(actors: list[Actor]) -> bool:
    from feeds.models import Follow

    return Follow.objects.filter(target_actor__in=actors).exists()


def take_post(*, actor: Actor, obj: dict, activity: dict) -> RemoteObject | None:
    """A Create: the post enters the activity stream of `actor`, public posts only,
    and only from actors someone here follows. A tombstone keeps it out."""
    from feeds import services as feed_services

    uri = obj["id"]
    existing = RemoteObject.objects.filter(uri=uri).first()
    if existing is not None:
        return None  # already taken, or deleted (the tombstone wins)
    if not is_public(obj, activity):
        logger.info("remote post not public, not taken uri=%s", uri)
        return None
    if obj.get("type") == "Event" and _when(obj.get("startTime")) is None:
        logger.info("remote event without a start, not taken uri=%s", uri)
        return None
    also_on = _also_on(actor, obj, activity)
    if not _followed_here([actor, *also_on]):
        logger.info("remote post from an actor nobody here follows uri=%s", uri)
        return None
    fields = _fields(obj)
    post = RemoteObject.objects.create(
        uri=uri, actor=actor, public=True, published=_when(obj.get("published")) or timezone.now(),
        updated=_when(obj.get("updated")), **fields,
    )
    post.activity = feed_services.record(actor=actor, type="Create", object=post, streams=also_on)
    post.save(update_fields=["activity"])
    logger.info("remote post taken uri=%s actor=%s", uri, actor.handle)
    return post


def update_post(*, actor: Actor, obj: dict) -> None:
    post = RemoteObject.objects.filter(uri=obj["id"], actor=actor, deleted__isnull=True).first()
    if post is None:
        return
    for name, value in _fields(obj).items():
        setattr(post, name, value)
    post.updated = _when(obj.get("updated")) or timezone.now()
    post.save()
    if post.activity_id:
        from feeds.models import Activity

        Activity.objects.filter(pk=post.activity_id).update(object_name=post.name)


def delete_post(*, actor: Actor, uri: str) -> None:
    """The post leaves every timeline; its tombstone stays so a late Create or Update changes nothing."""
    post = RemoteObject.objects.filter(uri=uri).first()
    if post is None:
        RemoteObject.objects.create(uri=uri, actor=actor, deleted=timezone.now())
        return
    if post.actor_id != actor.pk or post.deleted:
        return
    activity_id = post.activity_id
    post.deleted, post.content, post.name, post.activity = timezone.now(), "", "", None
    post.save()
    if activity_id:
        from feeds.models import Activity

        Activity.objects.filter(pk=activity_id).delete()


def forget_actor(*, actor: Actor) -> None:
    """The remote account was deleted: its posts and follows go."""
    from feeds.models import Activity

    Activity.objects.filter(actor=actor).delete()
    RemoteObject.objects.filter(actor=actor).update(deleted=timezone.now(), content="", name="")
    actor.suspended = True
    actor.save(update_fields=["suspended"])
    recount_cities(cities=cities_of(actor))
