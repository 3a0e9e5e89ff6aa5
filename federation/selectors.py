"""Reads: which of our things the fediverse may see, and who they are to it."""

from django.db.models import QuerySet

from federation import ids
from novosphere.keys import handle_key
from profiles.models import Actor
from profiles.selectors import visible_actors


def local_actors() -> QuerySet[Actor]:
    """Our own actors the fediverse may see: not suspended, not remote."""
    return visible_actors().exclude(handle__contains="@")


def local_actor(handle: str) -> Actor | None:
    return local_actors().filter(handle_key=handle_key(handle)).first()


def local_project(slug: str):
    """A project the fediverse may see: what an anonymous reader sees (public, not hidden)."""
    from projects.selectors import visible_projects

    return visible_projects(None).select_related("owner").filter(slug_key=handle_key(slug)).first()


def local_event(slug: str):
    """An event the fediverse may see: what an anonymous reader sees (public, not hidden)."""
    from events.selectors import visible_events

    return visible_events(None).filter(slug=slug).first()


def webfinger_target(resource: str) -> tuple[str, str, str] | None:
    """(handle, actor id, profile page) named by an `acct:` resource or one of our ids.

    Actors are looked up before projects: a project whose slug is an actor's
    handle is found by its id only.
    """
    resource = resource.strip()
    if resource.startswith("acct:"):
        name, _at, domain = resource[len("acct:"):].rpartition("@")
        if not name or domain.lower() != ids.host():
            return None
        actor = local_actor(name)
        if actor is not None:
            return actor.handle, ids.actor_uri(actor.handle), f"{ids.base()}/api/v1/actors/{actor.handle}/"
        project = local_project(name)
        if project is not None:
            return project.slug, ids.project_uri(project.slug), f"{ids.base()}/api/v1/projects/{project.slug}/"
        return None
    owner = ids.owner_key(resource)
    if owner is None or owner == "instance":
        return None
    kind, _sep, name = owner.partition(":")
    if kind == "actor" and local_actor(name) is not None:
        return name, ids.actor_uri(name), f"{ids.base()}/api/v1/actors/{name}/"
    if kind == "project" and local_project(name) is not None:
        return name, ids.project_uri(name), f"{ids.base()}/api/v1/projects/{name}/"
    return None


def local_counts() -> tuple[int, int]:
    """(people with an account, activities recorded here) for NodeInfo."""
    from feeds.models import Activity

    users = local_actors().filter(kind=Actor.Kind.PERSON, user__isnull=False).count()
    posts = Activity.objects.exclude(actor__handle__contains="@").count()
    return users, posts


def is_blocked(url_or_domain: str) -> bool:
    """Whether a URL's or domain's host is blocked (FEDERATION_BLOCKED_DOMAINS or a
    moderator's block), subdomains included: blocking spam.example blocks a.spam.example."""
    from django.conf import settings

    from federation.models import DomainBlock

    host = ids.hostname_of(url_or_domain)
    if not host:
        return True
    parts = host.split(".")
    candidates = {".".join(parts[i:]) for i in range(len(parts))}
    if candidates & set(settings.FEDERATION_BLOCKED_DOMAINS):
        return True
    return DomainBlock.objects.filter(domain__in=candidates).exists()


def remote_actor_by_key(key_id: str):
    from federation.models import RemoteActor

    return RemoteActor.objects.select_related("actor").filter(key_id=key_id).first()


def remote_followers_inboxes(targets) -> list[str]:
    """The inboxes (shared where they have one) of the remote followers of `targets`
    (actors or projects): one per remote instance rather than one per follower."""
    from federation.models import RemoteActor
    from feeds.models import Follow
    from projects.models import Project

    follows = Follow.objects.none()
    for target in targets:
        field = "target_project" if isinstance(target, Project) else "target_actor"
        follows = follows | Follow.objects.filter(**{field: target})
    rows = RemoteActor.objects.filter(actor__in=follows.values("follower"), actor__suspended=False)
    return sorted({shared or inbox for shared, inbox in rows.values_list("shared_inbox", "inbox")})
