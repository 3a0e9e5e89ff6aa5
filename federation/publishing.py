"""Our activity as the fediverse reads it: a Create of a Note (an Article for
project updates) by its author, addressed to the public and to the followers of
every stream it is on. The delivery outbox (`federation/destinations.py`) sends
it once per remote inbox of those followers."""

from django.utils.html import escape

from federation import ids


def publishers(activity) -> list:
    """The actors and projects whose streams the activity is on."""
    from feeds.models import StreamEntry
    from novosphere.kinds import stream_publisher

    keys = StreamEntry.objects.filter(activity=activity).values_list("stream", flat=True)
    return [target for target in (stream_publisher(key) for key in keys) if target is not None]


def _iso(moment) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def create_document(activity) -> dict:
    """The Create the fediverse gets for one of our public activities."""
    from federation.services import local_uri
    from feeds.serializers import _summary
    from projects.models import ProjectUpdate

    author = ids.actor_uri(activity.actor.handle)
    # The followers of each stream it is on, so that another Novosphère files it
    # under the project or city its readers follow as well as under its author.
    followers = [f"{local_uri(publisher)}/followers" for publisher in publishers(activity)]
    summary = _summary(activity)
    note = {
        "id": ids.object_uri(activity.id),
        "type": "Note",
        "attributedTo": author,
        "content": f"<p>{escape(summary)}</p>",
        "published": _iso(activity.published),
        "to": [ids.PUBLIC],
        "cc": followers,
        "url": f"{ids.base()}/api/v1/actors/{activity.actor.handle}/activity/",
    }
    if activity.object_type == "update":
        update = ProjectUpdate.objects.select_related("project").filter(pk=activity.object_id).first()
        if update is not None:
            note.update(type="Article", name=update.project.title, content=update.html, summary=summary,
                        url=f"{ids.base()}/api/v1/projects/{update.project.slug}/")
    return {
        "@context": ids.AS_CONTEXT,
        "id": ids.activity_uri(activity.id),
        "type": "Create",
        "actor": author,
        "published": _iso(activity.published),
        "to": [ids.PUBLIC],
        "cc": followers,
        "object": note,
    }
