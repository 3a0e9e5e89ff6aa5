"""Our activity, out to the fediverse: once an activity commits, each stream it is
published on whose owner (a person, organization, city or project) has remote
followers sends it as a Create of a Note (an Article for project updates), one
delivery per remote inbox."""

import logging

from django.utils import translation

from federation import ids
from federation.selectors import remote_followers_inboxes
from federation.transport import deliver_on_commit

logger = logging.getLogger(__name__)

# Who follows and who was followed is not news to send out.
NOT_SENT = {"Follow", "Delete"}


def _publishers(activity):
    from feeds.models import StreamEntry
    from novosphere.kinds import stream_publisher

    keys = StreamEntry.objects.filter(activity=activity).values_list("stream", flat=True)
    return [target for target in (stream_publisher(key) for key in keys) if target is not None]


def _object(activity, attributed_to: str, followers: str) -> dict:
    from feeds.serializers import _summary
    from projects.models import ProjectUpdate

    summary = _summary(activity)
    document = {
        "id": ids.object_uri(activity.id),
        "type": "Note",
        "attributedTo": attributed_to,
        "content": f"<p>{_escape(summary)}</p>",
        "published": activity.published.isoformat().replace("+00:00", "Z"),
        "to": [ids.PUBLIC],
        "cc": [followers],
        "url": f"{ids.base()}/api/v1/actors/{activity.actor.handle}/activity/",
    }
    if activity.object_type == "update":
        update = ProjectUpdate.objects.select_related("project").filter(pk=activity.object_id).first()
        if update is not None:
            document.update(type="Article", name=update.project.title, content=update.html,
                            summary=summary, url=f"{ids.base()}/api/v1/projects/{update.project.slug}/")
    return document


def _escape(text: str) -> str:
    from django.utils.html import escape

    return escape(text)


def activity_committed(activity_id: str) -> None:
    """After commit (feeds.dispatch): send a public local activity to its remote followers."""
    from django.conf import settings

    from federation.services import is_remote, local_uri, signer_of
    from feeds.live import PUBLIC, visibility_of
    from feeds.models import Activity

    activity = Activity.objects.select_related("actor", "project", "project__owner").filter(pk=activity_id).first()
    if activity is None or activity.type in NOT_SENT or is_remote(activity.actor):
        return
    if visibility_of(activity) != PUBLIC:
        return  # only what anyone may read leaves the instance
    with translation.override(settings.LANGUAGE_CODE):
        for publisher in _publishers(activity):
            inboxes = remote_followers_inboxes([publisher])
            if not inboxes:
                continue
            uri = local_uri(publisher)
            document = {
                "@context": ids.AS_CONTEXT,
                "id": f"{ids.activity_uri(activity.id)}/{signer_of(publisher).replace(':', '/')}",
                "type": "Create",
                "actor": uri,
                "published": activity.published.isoformat().replace("+00:00", "Z"),
                "to": [ids.PUBLIC],
                "cc": [f"{uri}/followers"],
                "object": _object(activity, ids.actor_uri(activity.actor.handle), f"{uri}/followers"),
            }
            deliver_on_commit(inboxes=inboxes, document=document, signer=signer_of(publisher))
            logger.info("federation activity queued id=%s publisher=%s inboxes=%d", activity.id, uri, len(inboxes))
