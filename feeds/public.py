"""What an anonymous reader of a stream sees: the one answer the Atom feeds and the
webhooks both give (a subscription sees exactly what an anonymous reader sees).

Nothing here decides visibility: the anonymous viewer is handed to the
registry of kinds (`novosphere.kinds.stream_is_visible`) and to the same
activity rule as the REST stream's (`feeds.selectors.visible_activities`).
"""

from django.contrib.auth.models import AnonymousUser

from feeds.models import Activity

ANONYMOUS = AnonymousUser()


def stream_is_public(key: str) -> bool:
    """Whether an anonymous reader may read stream `key` (so also whether it exists)."""
    from novosphere.kinds import stream_is_visible

    return stream_is_visible(ANONYMOUS, key)


def public_activity(activity_id: str) -> Activity | None:
    """The activity if an anonymous reader may see it, else None."""
    from feeds.selectors import visible_activities

    return visible_activities(ANONYMOUS).filter(pk=activity_id).first()


def public_stream_activities(key: str, *, limit: int) -> list[Activity]:
    """The newest activities of a public stream an anonymous reader sees, newest first."""
    from feeds.selectors import stream_activities

    return stream_activities(viewer=ANONYMOUS, stream=key, limit=limit).items
