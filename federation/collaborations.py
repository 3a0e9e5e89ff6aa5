"""Collaboration requests across instances.

A request made here to an actor, city or project of another instance is the
*original*; the far side keeps a *copy* (`FederatedRequest`) addressed to its
own actor, which its people see, answer and decline like any request. Each
side changes its state only through the transitions table of
`projects.services` (`TRANSITIONS`, `RESPONSE_LIFE`); what travels between
them is one message per transition:

| transition | made on | message | acted on by the other side as |
|---|---|---|---|
| open | original | `Offer` {object: CollaborationRequest, target: the actor} | `receive_collaboration`: the copy |
| respond | copy | `Create` {object: CollaborationResponse, inReplyTo: the request} | `receive_response` |
| accept | original | `Accept` {object: the chosen CollaborationResponse, inReplyTo} | `accept_from_remote` |
| decline | copy | `Reject` {object: the Offer}, by the target | `decline_from_remote` |
| withdraw, close | original | `Update` {object: CollaborationRequest, status} | `end_request` |

Deadlines pass on both sides by themselves (the copy has the same one). Every
incoming message is checked before anything is stored (`check`: shape, the
request it names, and that its actor is the party the table expects); the
state it asks for is applied after commit, and a transition the table refuses
by then (a race) changes nothing.
"""

import html
import logging

from django.db import IntegrityError, transaction
from django.utils.html import strip_tags
from django.utils.translation import gettext as _
from rest_framework.exceptions import APIException
from ulid import ULID

from federation import ids
from federation.models import FederatedRequest, FederatedResponse, RemoteActor
from federation.transport import deliver_on_commit
from profiles.models import Actor

logger = logging.getLogger(__name__)

REQUEST_TYPE = "CollaborationRequest"
RESPONSE_TYPE = "CollaborationResponse"
# What the author's Update may say, and the transition it is.
ENDINGS = {"withdrawn": "withdraw", "closed": "close"}


class Refused(Exception):
    """An incoming message that is refused with nothing stored: the inbox answers `status`
    with `body`, in the API's one error shape."""

    def __init__(self, status: int, message=None, *, errors: dict | None = None):
        from novosphere.errors import CODE_OF_STATUS, error_body, validation_body

        self.status = status
        self.body = (validation_body(errors, code="bad_activity") if errors is not None
                     else error_body("refused" if status == 403 else CODE_OF_STATUS.get(status, "error"), message))
        super().__init__(self.body)


def _context():
    from federation.documents import CONTEXT

    return CONTEXT


def _id(value) -> str:
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) else ""


def _iso(moment) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _remote(actor) -> RemoteActor | None:
    return getattr(actor, "remote", None) if isinstance(actor, Actor) and actor.is_remote else None


# --- What goes out ------------------------------------------------------------------


def request_object(request) -> dict:
    from federation.services import local_uri

    return {
        "id": ids.collaboration_uri(request.pk),
        "type": REQUEST_TYPE,
        "attributedTo": ids.actor_uri(request.author.handle),
        "name": request.title,
        "content": request.message,
        "mediaType": "text/plain",
        "kind": request.kind,
        "endTime": _iso(request.deadline),
        "published": _iso(request.created),
        "status": request.status,
        "needs": {
            "skills": sorted(request.needed_skills.values_list("slug", flat=True)),
            "sectors": sorted(request.needed_sectors.values_list("slug", flat=True)),
        },
        "includePeerCities": request.include_peer_cities,
        "originCity": local_uri(request.origin_city) if request.origin_city else None,
        "to": [_remote(request.target).uri] if _remote(request.target) else [],
        "url": f"{ids.base()}/api/v1/collaborations/{request.pk}/",
    }


def _is_original_to_remote(request) -> bool:
    """A request of ours whose target lives on another instance."""
    return not request.author.is_remote and _remote(request.target) is not None


def request_opened(request) -> None:
    """An Offer of the new request to its target's instance (nothing for a local target)."""
    if not _is_original_to_remote(request):
        return
    target = _remote(request.target)
    author = ids.actor_uri(request.author.handle)
    deliver_on_commit(
        inboxes=[target.delivery_inbox],
        document={
            "@context": _context(), "id": f"{ids.collaboration_uri(request.pk)}#offer", "type": "Offer",
            "actor": author, "to": [target.uri], "target": target.uri, "object": request_object(request),
        },
        signer=f"actor:{request.author.handle}",
    )
    logger.info("collaboration offered id=%s to=%s", request.pk, target.uri)


def response_made(response) -> None:
    """A response made here to a copy goes to its author's instance."""
    request = response.request
    link = FederatedRequest.objects.filter(request=request).first()
    author = _remote(request.author)
    if link is None or author is None or response.responder.is_remote:
        return
    responder = ids.actor_uri(response.responder.handle)
    uri = ids.response_uri(response.pk)
    deliver_on_commit(
        inboxes=[author.delivery_inbox],
        document={
            "@context": _context(), "id": f"{uri}#create", "type": "Create", "actor": responder,
            "to": [author.uri],
            "object": {
                "id": uri, "type": RESPONSE_TYPE, "attributedTo": responder, "inReplyTo": link.uri,
                "content": response.message, "mediaType": "text/plain", "published": _iso(response.created),
                "to": [author.uri],
            },
        },
        signer=f"actor:{response.responder.handle}",
    )


def response_accepted(request, chosen) -> None:
    """Our author chose a response: the target's instance (and the responder's) is told which."""
    if not _is_original_to_remote(request):
        return
    link = FederatedResponse.objects.filter(response=chosen).first()
    inboxes = {_remote(request.target).delivery_inbox}
    if _remote(chosen.responder):
        inboxes.add(_remote(chosen.responder).delivery_inbox)
    request_uri = ids.collaboration_uri(request.pk)
    deliver_on_commit(
        inboxes=sorted(inboxes),
        document={
            "@context": _context(), "id": f"{request_uri}#accept", "type": "Accept",
            "actor": ids.actor_uri(request.author.handle),
            "object": {"id": link.uri if link else ids.response_uri(chosen.pk), "type": RESPONSE_TYPE,
                       "inReplyTo": request_uri},
        },
        signer=f"actor:{request.author.handle}",
    )


def request_declined(request) -> None:
    """The copy was declined here: a Reject of its Offer, by the target, to the author's instance."""
    from federation.services import local_uri, signer_of

    link = FederatedRequest.objects.filter(request=request).first()
    author = _remote(request.author)
    if link is None or author is None:
        return
    target = request.target
    deliver_on_commit(
        inboxes=[author.delivery_inbox],
        document={
            "@context": _context(), "id": f"{local_uri(target)}#reject/{ULID()}", "type": "Reject",
            "actor": local_uri(target),
            "object": {"id": link.offer_uri, "type": "Offer", "actor": author.uri, "object": link.uri},
        },
        signer=signer_of(target),
    )


def request_ended(request) -> None:
    """Our author withdrew or closed the request: an Update saying so to the target's instance."""
    if not _is_original_to_remote(request):
        return
    document = request_object(request)
    deliver_on_commit(
        inboxes=[_remote(request.target).delivery_inbox],
        document={
            "@context": _context(), "id": f"{document['id']}#{request.status}", "type": "Update",
            "actor": document["attributedTo"], "to": document["to"], "object": document,
        },
        signer=f"actor:{request.author.handle}",
    )


# --- What comes in ------------------------------------------------------------------


def concerns(activity: dict) -> bool:
    """Whether an incoming activity is one of the messages above (routed here, not to follows or posts)."""
    kind, obj = activity.get("type"), activity.get("object")
    if not isinstance(obj, dict):
        return False
    return (kind, obj.get("type")) in {
        ("Offer", REQUEST_TYPE), ("Create", RESPONSE_TYPE), ("Accept", RESPONSE_TYPE),
        ("Reject", "Offer"), ("Update", REQUEST_TYPE),
    }


def _not_found() -> Refused:
    return Refused(404, _("Not found."))


def _invalid(errors: dict) -> Refused:
    return Refused(400, errors=errors)


def _plain(obj: dict) -> str:
    """The object's text as a person wrote it: ours is plain text, others' HTML."""
    content = obj.get("content")
    if not isinstance(content, str):
        return ""
    if obj.get("mediaType") == "text/plain":
        return content
    return html.unescape(strip_tags(content.replace("<br>", "\n").replace("</p>", "\n\n"))).strip()


def _offer(remote: RemoteActor, activity: dict) -> dict:
    """The arguments of `receive_collaboration` for an Offer, or Refused."""
    from federation.handlers import _local_target
    from federation.serializers import OfferedRequestSerializer
    from novosphere.dates import end_of_day_in
    from projects.models import CollaborationRequest, Project

    obj = activity["object"]
    target_uri = _id(activity.get("target"))
    if not target_uri and isinstance(obj.get("to"), list) and obj["to"]:
        target_uri = _id(obj["to"][0])
    target = _local_target(target_uri) if ids.is_local(target_uri) else None
    if target is None:
        raise _not_found()
    needs = obj.get("needs") if isinstance(obj.get("needs"), dict) else {}
    data = OfferedRequestSerializer(data={
        "title": obj.get("name"), "message": _plain(obj), "kind": obj.get("kind") or "partnership",
        # An Offer that names no end gets the default a request made here gets.
        "deadline": obj.get("endTime") or _iso(end_of_day_in(CollaborationRequest.DEFAULT_DEADLINE_DAYS)),
        "skills": needs.get("skills") or [], "sectors": needs.get("sectors") or [],
        "include_peer_cities": bool(obj.get("includePeerCities")),
    })
    if not data.is_valid():
        raise _invalid(data.errors)
    fields = dict(data.validated_data)
    needs = {"skills": fields.pop("skills"), "sectors": fields.pop("sectors")}
    if isinstance(target, Project):
        fields["to_project"] = target
    elif target.kind == Actor.Kind.CITY:
        fields["to_city"] = target
    else:
        fields["to_actor"] = target
    if fields["include_peer_cities"] and "to_city" not in fields:
        raise _invalid({"includePeerCities": [_("Only a request to a city can include its peer cities.")]})
    return {**fields, "needs": needs}


def _our_request(uri: str):
    """Our original request with id `uri` (its author is one of ours)."""
    from projects.models import CollaborationRequest

    pk = ids.local_pk(uri, "collaborations")
    if pk is None:
        return None
    return CollaborationRequest.objects.select_related("author", "to_actor", "to_city").filter(
        pk=pk
    ).exclude(author__handle__contains="@").first()


def _request_for_responder(remote: RemoteActor, uri: str):
    """Our request `uri`, if a remote actor may answer it: what an anonymous reader may
    see, or what was sent to its own instance."""
    from projects.selectors import visible_requests

    request = _our_request(uri)
    if request is None:
        return None
    target = _remote(request.target)
    if visible_requests(None).filter(pk=request.pk).exists() or (target and target.domain == remote.domain):
        return request
    return None


def _copy(remote: RemoteActor, uri: str) -> FederatedRequest | None:
    """Our copy of the request `uri` that `remote` authored."""
    return FederatedRequest.objects.select_related("request").filter(uri=uri, request__author=remote.actor).first()


def check(remote: RemoteActor, activity: dict) -> None:
    """Refuse (with nothing stored) a message that is not well made or not its actor's to send."""
    from federation.serializers import OfferedResponseSerializer

    kind, obj = activity["type"], activity["object"]
    if kind == "Offer":
        if _id(obj.get("attributedTo")) not in ("", remote.uri):
            raise Refused(403, _("The object is not its actor's."))
        _offer(remote, activity)
    elif kind == "Create":
        if _request_for_responder(remote, _id(obj.get("inReplyTo"))) is None:
            raise _not_found()
        data = OfferedResponseSerializer(data={"message": _plain(obj)})
        if not data.is_valid():
            raise _invalid(data.errors)
    elif kind == "Accept":
        if _copy(remote, _id(obj.get("inReplyTo"))) is None:
            raise _not_found()
    elif kind == "Reject":
        request = _our_request(_id(obj.get("object")))
        if request is None or remote.actor.pk not in (request.to_actor_id, request.to_city_id):
            raise _not_found()
    elif kind == "Update":
        if _copy(remote, _id(obj)) is None:
            raise _not_found()
        if obj.get("status") not in ENDINGS:
            raise _invalid({"status": [_("A request can only be withdrawn or closed.")]})


def handle(actor: Actor, activity: dict) -> None:
    """After commit: the transition the message asks for, through the projects services."""
    from federation.handlers import Ignored

    try:
        with transaction.atomic():
            _apply(actor, activity)
    except Refused as refusal:
        raise Ignored(f"refused now: {refusal.body}") from None
    except (APIException, IntegrityError) as error:
        raise Ignored(f"the table refuses it now: {error}") from None


def _apply(actor: Actor, activity: dict) -> None:
    from projects import services
    from projects.models import CollaborationResponse

    remote, kind, obj = actor.remote, activity["type"], activity["object"]
    check(remote, activity)
    if kind == "Offer":
        if FederatedRequest.objects.filter(uri=_id(obj)).exists():
            return  # the same request offered again
        request = services.receive_collaboration(
            author=actor, origin_city=_origin_city(remote, obj), **_offer(remote, activity)
        )
        FederatedRequest.objects.create(request=request, uri=_id(obj), offer_uri=activity["id"])
    elif kind == "Create":
        if FederatedResponse.objects.filter(uri=_id(obj)).exists():
            return
        request = _request_for_responder(remote, _id(obj.get("inReplyTo")))
        response = services.receive_response(request=request, responder=actor, message=_plain(obj).strip())
        FederatedResponse.objects.create(response=response, uri=_id(obj))
    elif kind == "Accept":
        copy = _copy(remote, _id(obj.get("inReplyTo")))
        pk = ids.local_pk(_id(obj), "collaborations/responses")
        chosen = CollaborationResponse.objects.filter(pk=pk, request=copy.request).first() if pk else None
        services.accept_from_remote(request=copy.request, author=actor, response=chosen)
    elif kind == "Reject":
        services.decline_from_remote(request=_our_request(_id(obj.get("object"))), target=actor)
    elif kind == "Update":
        copy = _copy(remote, _id(obj))
        services.end_request(request=copy.request, action=ENDINGS[obj["status"]], author=actor)


def _origin_city(remote: RemoteActor, obj: dict) -> Actor | None:
    """The city the request comes from, an actor of the author's instance (looked up once)."""
    from federation.services import RemoteActorError, fetch_remote_actor
    from federation.transport import FetchError

    uri = _id(obj.get("originCity"))
    if not uri or ids.domain_of(uri) != remote.domain:
        return None
    try:
        city = fetch_remote_actor(uri).actor
    except (FetchError, RemoteActorError):
        return None
    return city if city.kind == Actor.Kind.CITY else None
