"""RSVPs across instances, as Mobilizon makes them.

A person here attends an Event of another instance (a remote object of type
Event, taken from an actor someone here follows): a `Join` {object: the
event's id} goes to its instance, and the RSVP stays pending
(`RemoteAttendance`) until that instance's `Accept` of the Join says going or
waiting (our extension `status`; Mobilizon's Accept says nothing, which reads as
going), or its `Reject` refuses it. Cancelling sends a `Leave`.

A person of another instance attends one of our public events: their `Join`
takes a place or a place in line through the same attendance table as an RSVP
made here (`events.services.attend_from_remote`), answered by an `Accept` signed
by the event's organizer; their `Leave` frees the place, and the first in line
moves up (told by another Accept when the one moved up lives elsewhere).

Every incoming message is checked before anything is stored: a Join or Leave
must name one of our events an anonymous reader may see, an Accept or Reject
one of our Joins, sent from the instance of the event it was for (404 otherwise).
"""

import logging

from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils.translation import gettext as _
from ulid import ULID

from federation import ids
from federation.collaborations import Refused
from federation.models import RemoteAttendance, RemoteObject
from federation.transport import deliver_on_commit
from profiles.models import Actor

logger = logging.getLogger(__name__)

Status = RemoteAttendance.Status


def _id(value) -> str:
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) else ""


# --- A person here, an event there ---------------------------------------------------


def remote_event_for_viewer(*, viewer, pk) -> RemoteObject:
    """A remote Event that `viewer` may see (the remote kind's rule); 404 otherwise."""
    from federation.kinds import RemoteObjectKind

    try:
        return RemoteObjectKind().visible_to(viewer).select_related("actor__remote").get(pk=pk, type="Event")
    except (RemoteObject.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


@transaction.atomic
def attend_remote_event(*, person: Actor, event: RemoteObject) -> RemoteAttendance:
    """Ask to attend: a Join to the event's instance; pending until its Accept. Harmless to repeat."""
    existing = RemoteAttendance.objects.filter(actor=person, event=event).first()
    if existing is not None:
        return existing
    me = ids.actor_uri(person.handle)
    try:
        with transaction.atomic():
            attendance = RemoteAttendance.objects.create(actor=person, event=event, uri=f"{me}#join/{ULID()}")
    except IntegrityError:
        return RemoteAttendance.objects.get(actor=person, event=event)
    deliver_on_commit(
        inboxes=[event.actor.remote.delivery_inbox],
        document={"@context": ids.AS_CONTEXT, "id": attendance.uri, "type": "Join", "actor": me,
                  "object": event.uri, "to": [event.actor.remote.uri]},
        signer=f"actor:{person.handle}",
    )
    logger.info("remote rsvp asked event=%s actor=%s", event.uri, person.handle)
    return attendance


@transaction.atomic
def leave_remote_event(*, person: Actor, event: RemoteObject) -> bool:
    """Cancel: a Leave to the event's instance. Harmless to repeat (False: there was nothing)."""
    deleted, _rows = RemoteAttendance.objects.filter(actor=person, event=event).delete()
    if not deleted:
        return False
    me = ids.actor_uri(person.handle)
    deliver_on_commit(
        inboxes=[event.actor.remote.delivery_inbox],
        document={"@context": ids.AS_CONTEXT, "id": f"{me}#leave/{ULID()}", "type": "Leave", "actor": me,
                  "object": event.uri, "to": [event.actor.remote.uri]},
        signer=f"actor:{person.handle}",
    )
    return True


# --- A person there, an event here ----------------------------------------------------


def _our_event(uri: str):
    from federation.selectors import local_event

    prefix = f"{ids.base()}/events/"
    if not uri.startswith(prefix) or "/" in uri[len(prefix):]:
        return None
    return local_event(uri[len(prefix):])


def _answer(event, attendance, join: dict) -> None:
    """The Accept of a remote person's Join, saying where they stand, signed by the event's organizer."""
    from events.selectors import attendance_position

    organizer = event.organizers.order_by("pk").first()
    remote = attendance.actor.remote
    deliver_on_commit(
        inboxes=[remote.delivery_inbox],
        document={
            "@context": [ids.AS_CONTEXT, {"novosphere": "https://novosphere.org/ns#", "status": "novosphere:status",
                                          "position": "novosphere:position"}],
            "id": f"{ids.event_uri(event.slug)}#accept/{ULID()}", "type": "Accept",
            "actor": ids.actor_uri(organizer.handle),
            "object": {"type": "Join", "actor": remote.uri, "object": ids.event_uri(event.slug),
                       **({"id": join["id"]} if join.get("id") else {})},
            "status": attendance.status, "position": attendance_position(attendance),
        },
        signer=f"actor:{organizer.handle}",
    )


def place_given(attendance) -> None:
    """Someone of another instance moved up from the waiting list: their instance is told."""
    if attendance.actor.is_remote and hasattr(attendance.actor, "remote"):
        _answer(attendance.event, attendance, {})


# --- What comes in ------------------------------------------------------------------


def _attendance_answered(activity: dict) -> RemoteAttendance | None:
    """Our RSVP that an Accept or Reject answers: by the Join's id, else by who and which event."""
    obj = activity.get("object")
    found = RemoteAttendance.objects.select_related("event__actor__remote", "actor").filter(uri=_id(obj)).first()
    if found is None and isinstance(obj, dict) and obj.get("type") == "Join":
        owner = ids.owner_key(_id(obj.get("actor"))) or ""
        if owner.startswith("actor:"):
            found = RemoteAttendance.objects.select_related("event__actor__remote", "actor").filter(
                actor__handle=owner[len("actor:"):], event__uri=_id(obj.get("object"))
            ).first()
    return found


def concerns(activity: dict) -> bool:
    kind, obj = activity.get("type"), activity.get("object")
    if kind in ("Join", "Leave"):
        return True
    if kind in ("Accept", "Reject"):
        return (isinstance(obj, dict) and obj.get("type") == "Join") or (
            isinstance(obj, str) and RemoteAttendance.objects.filter(uri=obj).exists()
        )
    return False


def check(remote, activity: dict) -> None:
    """Refuse, with nothing stored, a Join or Leave of no event of ours, or an answer to no Join of ours
    from another instance than the event's."""
    if activity["type"] in ("Join", "Leave"):
        if _our_event(_id(activity.get("object"))) is None:
            raise Refused(404, _("Not found."))
        return
    attendance = _attendance_answered(activity)
    if attendance is None or attendance.event.actor.remote.domain != remote.domain:
        raise Refused(404, _("Not found."))


def handle(actor: Actor, activity: dict) -> None:
    """After commit: the attendance the message changes."""
    from events import services as events
    from federation.handlers import Ignored

    try:
        check(actor.remote, activity)
    except Refused as refusal:
        raise Ignored(f"refused now: {refusal.body}") from None
    kind = activity["type"]
    if kind == "Join":
        event = _our_event(_id(activity["object"]))
        attendance, _position = events.attend_from_remote(event=event, actor=actor)
        _answer(event, attendance, activity)
    elif kind == "Leave":
        events.leave_from_remote(event=_our_event(_id(activity["object"])), actor=actor)
    elif kind == "Accept":
        attendance = _attendance_answered(activity)
        status = activity.get("status")
        attendance.status = status if status in (Status.GOING, Status.WAITING) else Status.GOING
        attendance.save(update_fields=["status"])
    elif kind == "Reject":
        _attendance_answered(activity).delete()
