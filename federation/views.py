"""Discovery and ActivityPub endpoints: WebFinger, NodeInfo, actor documents,
collections and inboxes. Plain Django views: their answers are JRD and
ActivityStreams JSON, not the REST API's."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from federation import documents, ids, selectors
from feeds import selectors as feed_selectors
from novosphere.errors import error_response


def error(status: int, message: str) -> JsonResponse:
    """The API's one error shape."""
    return error_response(status, message)


def activity_json(document: dict, status: int = 200) -> JsonResponse:
    response = JsonResponse(document, status=status, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = ids.ACTIVITY_JSON
    response["Vary"] = "Accept"
    return response


def wants_activity_json(request: HttpRequest) -> bool:
    accept = request.headers.get("Accept", "").lower()
    return "application/activity+json" in accept or "application/ld+json" in accept


@require_GET
def webfinger(request: HttpRequest) -> HttpResponse:
    resource = request.GET.get("resource", "")
    if not resource or len(resource) > 500:
        return error(400, _("The resource parameter is required."))
    target = selectors.webfinger_target(resource)
    if target is None:
        return error(404, _("Not found."))
    handle, uri, profile = target
    response = JsonResponse(documents.webfinger(handle=handle, uri=uri, profile=profile))
    response["Content-Type"] = "application/jrd+json"
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def nodeinfo_index(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"links": [
        {"rel": f"http://nodeinfo.diaspora.software/ns/schema/{version}", "href": f"{ids.base()}/nodeinfo/{version}"}
        for version in ("2.0", "2.1")
    ]})


@require_GET
def nodeinfo(request: HttpRequest, version: str) -> HttpResponse:
    users, posts = selectors.local_counts()
    response = JsonResponse(documents.nodeinfo(version=version, users=users, posts=posts))
    response["Content-Type"] = (
        f'application/json; profile="http://nodeinfo.diaspora.software/ns/schema/{version}#"'
    )
    return response


@require_GET
def instance_actor(request: HttpRequest) -> HttpResponse:
    return activity_json(documents.instance_document())


@require_GET
def actor(request: HttpRequest, handle: str) -> HttpResponse:
    """The actor document for ActivityPub clients; the API's page for everyone else."""
    found = selectors.local_actor(handle)
    if found is None:
        return error(404, _("Not found."))
    if not wants_activity_json(request):
        return redirect(f"/api/v1/actors/{found.handle}/")
    return activity_json(documents.actor_document(found))


@require_GET
def project(request: HttpRequest, slug: str) -> HttpResponse:
    found = selectors.local_project(slug)
    if found is None:
        return error(404, _("Not found."))
    if not wants_activity_json(request):
        return redirect(f"/api/v1/projects/{found.slug}/")
    return activity_json(documents.project_document(found))


@require_GET
def event(request: HttpRequest, slug: str) -> HttpResponse:
    """A public event as a Mobilizon-compatible Event object; the API's page for everyone else."""
    from federation.publishing import MOBILIZON_CONTEXT, event_object

    found = selectors.local_event(slug)
    if found is None:
        return error(404, _("Not found."))
    if not wants_activity_json(request):
        return redirect(f"/api/v1/events/{found.slug}/")
    return activity_json({"@context": MOBILIZON_CONTEXT, **event_object(found)})


def _owner(kind: str, name: str):
    return selectors.local_actor(name) if kind == "actors" else selectors.local_project(name)


@require_GET
def followers(request: HttpRequest, kind: str, name: str) -> HttpResponse:
    owner = _owner(kind, name)
    if owner is None:
        return error(404, _("Not found."))
    uri = (ids.actor_uri(name) if kind == "actors" else ids.project_uri(name)) + "/followers"
    return activity_json(documents.collection(uri, feed_selectors.followers_of(owner).count()))


@require_GET
def following(request: HttpRequest, kind: str, name: str) -> HttpResponse:
    owner = _owner(kind, name)
    if owner is None:
        return error(404, _("Not found."))
    uri = (ids.actor_uri(name) if kind == "actors" else ids.project_uri(name)) + "/following"
    total = feed_selectors.following_of(owner).count() if kind == "actors" else 0
    return activity_json(documents.collection(uri, total))


@require_GET
def outbox(request: HttpRequest, kind: str, name: str) -> HttpResponse:
    owner = _owner(kind, name)
    if owner is None:
        return error(404, _("Not found."))
    uri = (ids.actor_uri(name) if kind == "actors" else ids.project_uri(name)) + "/outbox"
    return activity_json(documents.collection(uri, 0, []))


@csrf_exempt
def inbox(request: HttpRequest, kind: str | None = None, name: str | None = None) -> HttpResponse:
    """POST only: a signed activity for one of our actors, or for the instance (shared inbox)."""
    from federation import inbox as inboxes

    if request.method != "POST":
        return error(405, _("Only POST is allowed here."))
    if kind is not None and _owner(kind, name) is None:
        return error(404, _("Not found."))
    return inboxes.receive(request)
