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
    from feeds.serializers import activity_json
    from projects.models import ProjectUpdate

    author = ids.actor_uri(activity.actor.handle)
    # The followers of each stream it is on, so that another Novosphère files it
    # under the project or city its readers follow as well as under its author.
    followers = [f"{local_uri(publisher)}/followers" for publisher in publishers(activity)]
    summary = activity_json(activity)["summary"]
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
    if activity.object_type == "event" and activity.type == "Create":
        from events.models import Event

        event = Event.objects.filter(pk=activity.object_id).first()
        if event is not None:
            # By the activity's author, who signs the Create.
            note = {**event_object(event, followers=followers, organizer=activity.actor),
                    "published": _iso(activity.published)}
    if activity.object_type == "update":
        update = ProjectUpdate.objects.select_related("project").filter(pk=activity.object_id).first()
        if update is not None:
            note.update(type="Article", name=update.project.title, content=update.html, summary=summary,
                        url=f"{ids.base()}/api/v1/projects/{update.project.slug}/")
    return {
        "@context": MOBILIZON_CONTEXT if note["type"] == "Event" else ids.AS_CONTEXT,
        "id": ids.activity_uri(activity.id),
        "type": "Create",
        "actor": author,
        "published": _iso(activity.published),
        "to": [ids.PUBLIC],
        "cc": followers,
        "object": note,
    }


# The terms Mobilizon gives its Event objects (schema.org and its own namespace), so
# that Mobilizon and the servers that read its events read ours.
MOBILIZON_CONTEXT = [
    ids.AS_CONTEXT,
    {
        "sc": "http://schema.org#", "mz": "https://joinmobilizon.org/ns#",
        "ical": "http://www.w3.org/2002/12/cal/ical#",
        "joinMode": {"@id": "mz:joinMode", "@type": "mz:joinModeType"},
        "joinModeType": {"@id": "mz:joinModeType", "@type": "rdfs:Class"},
        "maximumAttendeeCapacity": "sc:maximumAttendeeCapacity",
        "remainingAttendeeCapacity": "sc:remainingAttendeeCapacity",
        "participantCount": {"@id": "mz:participantCount", "@type": "sc:Integer"},
        "timezone": {"@id": "mz:timezone", "@type": "sc:Text"},
        "isOnline": {"@id": "mz:isOnline", "@type": "sc:Boolean"},
        "anonymousParticipationEnabled": {"@id": "mz:anonymousParticipationEnabled", "@type": "sc:Boolean"},
        "commentsEnabled": {"@id": "pt:commentsEnabled", "@type": "sc:Boolean"},
        "PostalAddress": "sc:PostalAddress",
        "address": {"@id": "sc:address", "@type": "sc:PostalAddress"},
        "streetAddress": "sc:streetAddress", "addressLocality": "sc:addressLocality",
        "addressCountry": "sc:addressCountry", "uuid": "sc:identifier", "category": "sc:category",
    },
]
ONLINE_ADDRESS_NAME = "Website"  # how Mobilizon names the link of an online event


def event_object(event, *, followers: list[str] | None = None, organizer=None) -> dict:
    """A public event as a Mobilizon-compatible Event object, by `organizer` (its first one by default)."""
    from zoneinfo import ZoneInfo

    from events.models import Attendance
    from federation.services import local_uri

    organizer = organizer or event.organizers.order_by("pk").first()
    organizer_uri = ids.actor_uri(organizer.handle) if organizer else ids.instance_uri()
    try:
        zone = ZoneInfo(event.timezone)
    except (KeyError, ValueError):
        zone = None
    going = event.attendances.filter(status=Attendance.Status.GOING).count()
    document = {
        "id": ids.event_uri(event.slug),
        "type": "Event",
        "name": event.title,
        "content": event.description_html,
        "mediaType": "text/html",
        "actor": organizer_uri,
        "attributedTo": organizer_uri,
        "startTime": event.start.astimezone(zone).isoformat() if zone else _iso(event.start),
        "endTime": event.end.astimezone(zone).isoformat() if zone else _iso(event.end),
        "timezone": event.timezone,
        "updated": _iso(event.updated),
        "url": f"{ids.base()}/api/v1/events/{event.slug}/",
        "uuid": event.uid,
        "joinMode": "free",
        "maximumAttendeeCapacity": event.capacity,
        "remainingAttendeeCapacity": max(event.capacity - going, 0) if event.capacity is not None else None,
        "participantCount": going,
        "isOnline": bool(event.online_url),
        "status": "CONFIRMED",
        "ical:status": "CONFIRMED",
        "draft": False,
        "commentsEnabled": False,
        "anonymousParticipationEnabled": False,
        "tag": [{"type": "Hashtag", "name": f"#{slug}"} for slug in event.sectors.values_list("slug", flat=True)],
        "attachment": [],
        "to": [ids.PUBLIC],
        "cc": followers if followers is not None else [
            f"{local_uri(each)}/followers" for each in event.organizers.all()
        ],
    }
    if event.has_venue:
        document["location"] = {
            "type": "Place", "name": event.venue_name or event.venue_address,
            "address": {"type": "PostalAddress", "streetAddress": event.venue_address,
                        "addressLocality": event.city.name if event.city else "",
                        "addressCountry": str(event.city.country) if event.city else ""},
            **({"latitude": event.latitude, "longitude": event.longitude} if event.latitude is not None else {}),
        }
    if event.online_url:
        document["attachment"].append(
            {"type": "Link", "name": ONLINE_ADDRESS_NAME, "href": event.online_url, "mediaType": "text/html"}
        )
    return document
