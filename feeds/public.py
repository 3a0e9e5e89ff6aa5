"""What an anonymous reader of a stream sees: the one answer the Atom feeds and the
webhooks both give (a subscription sees exactly what an anonymous reader sees).

Nothing here decides visibility: the anonymous viewer is handed to the same
access helpers and the same activity rule as the REST stream's.
"""

from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from feeds.models import Activity

ANONYMOUS = AnonymousUser()


def stream_is_public(key: str) -> bool:
    """Whether an anonymous reader may read stream `key` (so also whether it exists)."""
    from profiles.models import Actor
    from profiles.selectors import actor_for_viewer
    from projects.selectors import project_for_viewer

    prefix, _sep, name = key.partition(":")
    try:
        if prefix == "project":
            project_for_viewer(viewer=ANONYMOUS, slug=name)
        elif prefix == "city":
            actor_for_viewer(viewer=ANONYMOUS, handle=name, kind=Actor.Kind.CITY)
        elif prefix == "actor":
            # A city publishes on `city:<handle>`, never on `actor:<handle>`.
            return actor_for_viewer(viewer=ANONYMOUS, handle=name).kind != Actor.Kind.CITY
        else:
            return False
    except Http404:
        return False
    return True


def public_activity(activity_id: str) -> Activity | None:
    """The activity if an anonymous reader may see it, else None."""
    from feeds.selectors import visible_activities

    return visible_activities(ANONYMOUS).filter(pk=activity_id).first()


def public_stream_activities(key: str, *, limit: int) -> list[Activity]:
    """The newest activities of a public stream an anonymous reader sees, newest first."""
    from feeds.selectors import stream_activities

    return stream_activities(viewer=ANONYMOUS, stream=key, limit=limit).items
