"""Reads of the follow graph."""

from django.db.models import QuerySet

from feeds.models import Follow
from profiles.models import Actor
from profiles.selectors import visible_actors


def followers_of(target) -> QuerySet[Actor]:
    """Visible actors following `target` (an actor or a project), newest follow first."""
    from projects.models import Project

    field = "follows__target_project" if isinstance(target, Project) else "follows__target_actor"
    return visible_actors().filter(**{field: target}).order_by("-follows__id")


def following_of(actor: Actor) -> QuerySet[Actor]:
    """Visible actors that `actor` follows, newest follow first."""
    return visible_actors().filter(follower_links__follower=actor).order_by("-follower_links__id")


def is_following(*, follower: Actor | None, target) -> bool:
    from projects.models import Project

    if follower is None:
        return False
    field = "target_project" if isinstance(target, Project) else "target_actor"
    return Follow.objects.filter(follower=follower, **{field: target}).exists()
