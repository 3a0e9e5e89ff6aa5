"""The ActivityPub ids of our own things, all built from PUBLIC_URL, and back."""

from urllib.parse import urlsplit

from django.conf import settings

ACTIVITY_JSON = "application/activity+json"
LD_JSON = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
SECURITY_CONTEXT = "https://w3id.org/security/v1"


def base() -> str:
    return settings.PUBLIC_URL


def host() -> str:
    """Our host as handles name it (`host[:port]`): `camille@rennes.example.org`."""
    return urlsplit(settings.PUBLIC_URL).netloc.lower()


def actor_uri(handle: str) -> str:
    return f"{base()}/actors/{handle}"


def project_uri(slug: str) -> str:
    return f"{base()}/projects/{slug}"


def instance_uri() -> str:
    return f"{base()}/actor"


def shared_inbox_uri() -> str:
    return f"{base()}/inbox"


def activity_uri(activity_id: str) -> str:
    return f"{base()}/activities/{activity_id}"


def object_uri(activity_id: str) -> str:
    return f"{base()}/objects/{activity_id}"


def collaboration_uri(pk: int) -> str:
    return f"{base()}/collaborations/{pk}"


def response_uri(pk: int) -> str:
    return f"{base()}/collaborations/responses/{pk}"


def event_uri(slug: str) -> str:
    return f"{base()}/events/{slug}"


def local_pk(uri: str, kind: str) -> int | None:
    """The pk in one of our ids of `kind` (`collaborations`, `collaborations/responses`), or None."""
    prefix = f"{base()}/{kind}/"
    if not isinstance(uri, str) or not uri.startswith(prefix):
        return None
    rest = uri[len(prefix):]
    return int(rest) if rest.isdigit() and len(rest) < 12 else None


def key_id(owner_uri: str) -> str:
    return f"{owner_uri}#main-key"


def owner_key(owner_uri: str) -> str | None:
    """The SigningKey owner (`actor:<handle>`, `project:<slug>`, `instance`) of one of our ids."""
    prefix = base() + "/"
    if not owner_uri.startswith(prefix):
        return None
    path = owner_uri[len(prefix):].split("#", 1)[0]
    if path == "actor":
        return "instance"
    kind, _sep, name = path.partition("/")
    if kind == "actors" and name and "/" not in name:
        return f"actor:{name}"
    if kind == "projects" and name and "/" not in name:
        return f"project:{name}"
    return None


def is_local(uri: str) -> bool:
    return domain_of(uri) == host()


def domain_of(uri: str) -> str:
    """`host[:port]` of a URL, lowercased; '' when it has none."""
    try:
        return urlsplit(uri).netloc.lower().rsplit("@", 1)[-1]
    except ValueError:
        return ""


def hostname_of(uri_or_domain: str) -> str:
    """The host alone, without port: what domain blocks name."""
    netloc = domain_of(uri_or_domain) if "//" in uri_or_domain else uri_or_domain.lower()
    if netloc.startswith("["):
        return netloc.split("]", 1)[0] + "]"
    return netloc.rsplit(":", 1)[0] if netloc.count(":") == 1 else netloc
