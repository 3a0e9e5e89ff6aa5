"""The ActivityPub JSON of our own actors and collections."""

from django.conf import settings

from federation import ids
from federation.keys import key_for
from profiles.models import Actor

# Cities are Organizations to the fediverse; this extension says which ones are
# cities, so another Novosphère shows them as cities. Collaboration requests and
# their responses travel as objects of this vocabulary (`federation/collaborations.py`).
NOVOSPHERE_CONTEXT = {
    "novosphere": "https://novosphere.org/ns#", "kind": "novosphere:kind",
    "CollaborationRequest": "novosphere:CollaborationRequest",
    "CollaborationResponse": "novosphere:CollaborationResponse",
    "needs": "novosphere:needs", "includePeerCities": "novosphere:includePeerCities",
    "originCity": {"@id": "novosphere:originCity", "@type": "@id"}, "status": "novosphere:status",
}
CONTEXT = [ids.AS_CONTEXT, ids.SECURITY_CONTEXT, NOVOSPHERE_CONTEXT]

ACTOR_TYPES = {Actor.Kind.PERSON: "Person", Actor.Kind.ORGANIZATION: "Organization", Actor.Kind.CITY: "Organization"}


def _collections(uri: str) -> dict:
    return {
        "inbox": f"{uri}/inbox",
        "outbox": f"{uri}/outbox",
        "followers": f"{uri}/followers",
        "following": f"{uri}/following",
        "endpoints": {"sharedInbox": ids.shared_inbox_uri()},
    }


def _public_key(uri: str, owner: str) -> dict:
    return {"id": ids.key_id(uri), "owner": uri, "publicKeyPem": key_for(owner).public_pem}


def actor_document(actor: Actor) -> dict:
    uri = ids.actor_uri(actor.handle)
    document = {
        "@context": CONTEXT,
        "id": uri,
        "type": ACTOR_TYPES[actor.kind],
        "kind": actor.kind,
        "preferredUsername": actor.handle,
        "name": actor.name,
        "summary": actor.headline or "",
        "url": f"{ids.base()}/api/v1/actors/{actor.handle}/",
        "manuallyApprovesFollowers": False,
        "discoverable": True,
        **_collections(uri),
        "publicKey": _public_key(uri, f"actor:{actor.handle}"),
    }
    return document


def project_document(project) -> dict:
    uri = ids.project_uri(project.slug)
    return {
        "@context": CONTEXT,
        "id": uri,
        "type": "Group",
        "kind": "project",
        "preferredUsername": project.slug,
        "name": project.title,
        "summary": project.summary,
        "url": f"{ids.base()}/api/v1/projects/{project.slug}/",
        "attributedTo": ids.actor_uri(project.owner.handle),
        "manuallyApprovesFollowers": False,
        **_collections(uri),
        "publicKey": _public_key(uri, f"project:{project.slug}"),
    }


def instance_document() -> dict:
    """The instance actor: it signs the service's own fetches (Mastodon's /actor)."""
    uri = ids.instance_uri()
    return {
        "@context": CONTEXT,
        "id": uri,
        "type": "Application",
        "preferredUsername": ids.host(),
        "name": "Novosphère",
        "inbox": f"{uri}/inbox",
        "outbox": f"{uri}/outbox",
        "endpoints": {"sharedInbox": ids.shared_inbox_uri()},
        "manuallyApprovesFollowers": True,
        "publicKey": _public_key(uri, "instance"),
    }


def collection(uri: str, total: int, items: list | None = None) -> dict:
    document = {"@context": ids.AS_CONTEXT, "id": uri, "type": "OrderedCollection", "totalItems": total}
    if items is not None:
        document["orderedItems"] = items
    return document


def webfinger(*, handle: str, uri: str, profile: str) -> dict:
    return {
        "subject": f"acct:{handle}@{ids.host()}",
        "aliases": [uri, profile],
        "links": [
            {"rel": "self", "type": ids.ACTIVITY_JSON, "href": uri},
            {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": profile},
        ],
    }


def nodeinfo(*, version: str, users: int, posts: int) -> dict:
    return {
        "version": version,
        "software": {"name": "novosphere", "version": "0.1.0",
                     **({"homepage": settings.PUBLIC_URL} if version == "2.1" else {})},
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": []},
        "openRegistrations": True,
        "usage": {"users": {"total": users}, "localPosts": posts},
        "metadata": {"nodeName": "Novosphère", "nodeDescription": "An innovation network of a territory"},
    }
