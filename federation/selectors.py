"""Reads: which of our things the fediverse may see, and who they are to it."""

from django.db.models import QuerySet

from federation import ids
from profiles.models import Actor
from profiles.selectors import visible_actors


def local_actors() -> QuerySet[Actor]:
    """Our own actors the fediverse may see: not suspended, not remote."""
    return visible_actors().exclude(handle__contains="@")


def local_actor(handle: str) -> Actor | None:
    return local_actors().filter(handle=handle).first()


def local_project(slug: str):
    """A project the fediverse may see: what an anonymous reader sees (public, not hidden)."""
    from projects.selectors import visible_projects

    return visible_projects(None).select_related("owner").filter(slug=slug).first()


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
