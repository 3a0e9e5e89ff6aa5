"""Property 2: nothing is reachable by guessing its key.

For every route of the API that takes a key in its path, and every method the
route allows, a caller without access to a hidden object (a private project or
event, a request only visible inside a private project, a suspended actor or
city) gets exactly the answer they get for a key that names nothing: same
status, same body. The routes are read from the URL resolver, so a new route
with a key fails `test_every_keyed_route_has_a_hidden_object` until someone
says here what hidden thing it can reach.
"""

import re
from datetime import timedelta

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from rest_framework.test import APIClient

from delivery.services import destination_for
from events.models import Event, Territory, TerritoryCity
from projects.models import CollaborationRequest, Project, ProjectMember, ProjectUpdate, Visibility
from tests.conftest import client_for, make_admin, make_city, make_org, make_person
from webhooks.models import Subscription

MISSING = {"pk": "987654321", "update_id": "987654321", "subscription_id": "987654321"}  # any other key: a handle or slug that names nothing
MISSING_SLUG = "nothing-by-that-name"

# What a hidden object is for each key of each route. `None` means the key
# names things that are public by design (territories), so only the missing
# answer is checked. Every keyed route must be listed: a new one fails
# `test_every_keyed_route_has_a_hidden_object` until it is added here.
HIDDEN = {
    "actor-detail": {"handle": "suspended_person"},
    "actor-activity": {"handle": "suspended_person"},
    "actor-follow": {"handle": "suspended_person"},
    "actor-followers": {"handle": "suspended_person"},
    "actor-following": {"handle": "suspended_person"},
    "actor-members": {"handle": "suspended_org"},
    # Answering or ending a membership: the group hidden, or the member hidden.
    "actor-remove-member": {"handle": "suspended_org", "member": "suspended_person"},
    "actor-accept-invitation": {"handle": "suspended_org", "member": "suspended_person"},
    "actor-decline-invitation": {"handle": "suspended_org", "member": "suspended_person"},
    "actor-events-ics": {"handle": "suspended_org"},
    "city-detail": {"handle": "suspended_city"},
    "city-activity": {"handle": "suspended_city"},
    "city-links": {"handle": "suspended_city"},
    "city-accept-link": {"handle": "suspended_city", "peer": "suspended_city"},
    "city-end-link": {"handle": "suspended_city", "peer": "suspended_city"},
    "city-events-ics": {"handle": "suspended_city"},
    "project-detail": {"slug": "private_project"},
    "project-follow": {"slug": "private_project"},
    "project-members": {"slug": "private_project"},
    "project-remove-member": {"slug": "private_project", "handle": "suspended_person"},
    "project-accept-invitation": {"slug": "private_project", "handle": "suspended_person"},
    "project-decline-invitation": {"slug": "private_project", "handle": "suspended_person"},
    "project-updates": {"slug": "private_project"},
    "project-update-detail": {"slug": "private_project", "update_id": "hidden_update"},
    "project-activity": {"slug": "private_project"},
    "collaboration-detail": {"pk": "private_request"},
    "collaboration-accept": {"pk": "private_request"},
    "collaboration-close": {"pk": "private_request"},
    "collaboration-decline": {"pk": "private_request"},
    "collaboration-responses": {"pk": "private_request"},
    "collaboration-suggestions": {"pk": "private_request"},
    "collaboration-withdraw": {"pk": "private_request"},
    "event-detail": {"slug": "private_event"},
    "event-attend": {"slug": "private_event"},
    "event-attendees": {"slug": "private_event"},
    "event-ics": {"slug": "private_event"},
    "territory-detail": {"handle": None},
    "territory-members": {"handle": None},
    "territory-accept-city": {"handle": None, "city": "suspended_city"},
    "city-export": {"handle": "suspended_city"},
    "territory-export": {"handle": None},
    "actor-block": {"handle": "suspended_person"},
    # Someone else's webhook is as unknown as a missing one.
    "webhook": {"subscription_id": "others_webhook"},
    # Staff only: refused (401/403) before any lookup, whatever the key.
    "moderation-suspend": {"handle": "suspended_person"},
    "moderation-reinstate": {"handle": "suspended_person"},
    "moderation-verify": {"handle": "suspended_city"},
    "moderation-unverify": {"handle": "suspended_city"},
    "moderation-domain": {"domain": None},
    "moderation-project-hide": {"slug": "private_project"},
    "moderation-project-unhide": {"slug": "private_project"},
    "moderation-collaboration-hide": {"pk": "private_request"},
    "moderation-collaboration-unhide": {"pk": "private_request"},
    "moderation-update-hide": {"pk": None},
    "moderation-update-unhide": {"pk": None},
    "moderation-event-hide": {"slug": "private_event"},
    "moderation-event-unhide": {"slug": "private_event"},
    "moderation-report-resolve": {"pk": None},
    "city-activity-atom": {"handle": "suspended_city"},
    "actor-activity-atom": {"handle": "suspended_person"},
    "project-activity-atom": {"slug": "private_project"},
    # Federation: ActivityPub documents of local actors and projects.
    "nodeinfo": {"version": None},
    "ap-actor": {"handle": "suspended_person"},
    "ap-project": {"slug": "private_project"},
    "ap-outbox": {"kind": None, "name": "suspended_person"},
    "ap-followers": {"kind": None, "name": "suspended_person"},
    "ap-following": {"kind": None, "name": "suspended_person"},
    "ap-event": {"slug": "private_event"},
    # Events of other instances: a deleted one (its tombstone) is as unknown as none.
    "remote-event": {"pk": "deleted_remote_event"},
    "remote-event-attend": {"pk": "deleted_remote_event"},
    "ap-inbox": {"kind": None, "name": "suspended_person"},
}

# Function views (federation's) answer GET unless said here.
FUNCTION_VIEW_METHODS = {"ap-inbox": ["post"]}

# The visible value of each key, used for the keys a case does not vary.
VISIBLE = {"handle": "rennes", "peer": "nantes", "slug": "open-lab", "pk": "visible_request", "city": "rennes",
           "update_id": "visible_update", "kind": "actors", "name": "rennes", "version": "2.0",
           # The outsider answers for themself, so the other key's lookup is reached.
           "member": "eve", "domain": "remote.example", "subscription_id": "others_webhook"}
VISIBLE_BY_ROUTE = {
    "project-remove-member": {"handle": "alice"},
    "project-accept-invitation": {"handle": "eve"},
    "project-decline-invitation": {"handle": "eve"},
    "territory-detail": {"handle": "bretagne"},
    "territory-members": {"handle": "bretagne"},
    "territory-accept-city": {"handle": "bretagne"},
    "territory-export": {"handle": "bretagne"},
    "event-detail": {"slug": "open-meetup"},
}

# Plausible bodies, so that a hidden object is not masked by a validation error.
BODIES = {
    ("actor-detail", "patch"): {"headline": "guess"},
    ("actor-members", "post"): {"actor": "eve", "role": "member"},
    ("city-links", "post"): {"peer": "nantes"},
    ("project-detail", "patch"): {"title": "guess"},
    ("project-members", "post"): {"actor": "eve", "role": "contributor"},
    ("project-updates", "post"): {"body": "guess"},
    ("collaboration-responses", "post"): {"message": "guess"},
    ("collaboration-accept", "post"): {"response": 1},
    ("event-detail", "patch"): {"title": "guess"},
    ("territory-detail", "patch"): {"name": "guess"},
    ("territory-members", "post"): {"city": "rennes"},
}


def keyed_routes() -> list[tuple[str, str, list[str], object]]:
    """(name, pattern, methods, keys) of every API route whose path has a key."""

    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                yield prefix + str(pattern.pattern), pattern

    routes = []
    for route, pattern in walk(get_resolver().url_patterns):
        if route.startswith("admin/") or pattern.name is None:
            continue
        keys = pattern.pattern.regex.groupindex.keys()
        keys = [key for key in keys if key != "format"]
        if not keys or route.endswith(r"\.(?P<format>[a-z0-9]+)/?$"):
            continue
        actions = getattr(pattern.callback, "actions", None)
        view = getattr(pattern.callback, "cls", None)
        if view is None:  # a function view (federation's documents): read-only, or as said
            methods = FUNCTION_VIEW_METHODS.get(pattern.name, ["get"])
        elif actions:
            methods = [m for m in actions if m in view.http_method_names and m != "put"]
        else:
            methods = [m for m in ("get", "post", "patch", "delete") if hasattr(view, m)]
        routes.append((pattern.name, route, methods, keys))
    # Format-suffix variants repeat a name; keep one per name.
    return list({name: (name, route, methods, keys) for name, route, methods, keys in routes}.values())


ROUTES = keyed_routes()


def cases():
    for name, _route, methods, keys in ROUTES:
        for key in keys:
            for method in methods:
                yield pytest.param(name, key, method, id=f"{name}-{key}-{method}")


@pytest.fixture
def keys(db, rennes) -> dict:
    """Hidden and visible objects, made directly: this runs for every case and must be quick."""
    alice = make_person("alice", rennes)
    eve = make_person("eve", rennes)
    make_admin(eve, rennes)  # an admin of a city, so city-side routes get past "not yours"
    nantes = make_city("nantes")
    cantine = make_org("cantine", rennes)
    make_admin(alice, cantine)
    private = Project.objects.create(slug="secret-lab", title="Secret", owner=alice, city=rennes, visibility=Visibility.PRIVATE)
    public = Project.objects.create(slug="open-lab", title="Open", owner=alice, city=rennes, visibility=Visibility.PUBLIC)
    for project in (private, public):
        ProjectMember.objects.create(project=project, actor=alice, role=ProjectMember.Role.OWNER)
    visible_update = ProjectUpdate.objects.create(project=public, author=alice, body="Nouvelles", html="<p>Nouvelles</p>")
    hidden_update = ProjectUpdate.objects.create(project=public, author=alice, body="Masquée", html="", hidden=True)
    deadline = timezone.now() + timedelta(days=30)
    hidden_request = CollaborationRequest.objects.create(
        title="Secret", message="m", author=alice, from_project=private, to_actor=cantine, deadline=deadline
    )
    visible_request = CollaborationRequest.objects.create(
        title="Open", message="m", author=alice, from_project=public, to_actor=cantine, deadline=deadline
    )
    start = timezone.now() + timedelta(days=10)
    for slug, visibility in (("secret-meetup", Visibility.PRIVATE), ("open-meetup", Visibility.PUBLIC)):
        event = Event.objects.create(slug=slug, uid=f"{slug}@test", title=slug, city=rennes, start=start,
                                     end=start + timedelta(hours=2), visibility=visibility)
        event.organizers.add(cantine)
    from federation.models import RemoteObject
    from profiles.models import Actor

    far = Actor.objects.create(handle="mobi@far.example", name="Mobi")
    tombstone = RemoteObject.objects.create(uri="https://far.example/events/1", actor=far, type="Event",
                                            public=True, starts=start, deleted=timezone.now())
    territory = Territory.objects.create(handle="bretagne", name="Bretagne")
    destination = destination_for(kind="webhook", key="guessing", url="https://hooks.example.org/alice")
    webhook = Subscription.objects.create(owner=alice.user, url=destination.url, secret="whsec_x", destination=destination)
    TerritoryCity.objects.create(territory=territory, city=nantes, status=TerritoryCity.Status.PENDING)
    return {
        "suspended_person": make_person("ghost", rennes, suspended=True).handle,
        "suspended_org": make_org("shadow-org", rennes, suspended=True).handle,
        "suspended_city": make_city("atlantis", suspended=True).handle,
        "private_project": private.slug,
        "private_request": str(hidden_request.pk),
        "visible_request": str(visible_request.pk),
        "visible_update": str(visible_update.pk),
        "hidden_update": str(hidden_update.pk),
        "private_event": "secret-meetup",
        "deleted_remote_event": str(tombstone.pk),
        "others_webhook": str(webhook.pk),
        "outsider": eve,
    }


def test_every_keyed_route_has_a_hidden_object():
    """A new route with a key must say here what hidden thing a guess could reach."""
    unmapped = [f"{name} ({route}) key {key}" for name, route, _m, route_keys in ROUTES
                for key in route_keys if key not in HIDDEN.get(name, {})]
    assert not unmapped, "add these to HIDDEN in tests/security/test_guessing.py: " + ", ".join(unmapped)
    assert len(ROUTES) >= 30  # the walk itself found the routes


def answer(response) -> tuple:
    content_type = response.get("Content-Type", "")
    body = response.json() if "json" in content_type else response.content
    return response.status_code, body


def fill_named_groups(route: str, values: dict) -> str:
    """Each `(?P<name>...)` of a route's regex replaced by its value, nested groups included."""
    out, i = [], 0
    while (start := route.find("(?P<", i)) != -1:
        name = route[start + 4:route.index(">", start)]
        depth, j = 0, start
        while True:
            if route[j] == "\\":
                j += 2
                continue
            depth += {"(": 1, ")": -1}.get(route[j], 0)
            if depth == 0:
                break
            j += 1
        out.append(route[i:start] + values[name])
        i = j + 1
    return "".join(out) + route[i:]


@pytest.mark.parametrize("name,key,method", list(cases()))
def test_hidden_answers_like_missing(keys, name, key, method):
    route = next(route for n, route, _m, _k in ROUTES if n == name)
    route_keys = next(k for n, _r, _m, k in ROUTES if n == name)
    hidden_kind = HIDDEN[name][key]

    def path(value_of_key: str) -> str:
        values = {}
        for other in route_keys:
            default = VISIBLE_BY_ROUTE.get(name, {}).get(other, VISIBLE[other])
            values[other] = keys.get(default, default)
        values[key] = value_of_key
        # Fill the regex or the path converter with the values.
        path = fill_named_groups(route, values)
        path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values[m.group(1)], path)
        return "/" + path.replace("^", "").replace("$", "")

    missing = MISSING.get(key, MISSING_SLUG)
    body = BODIES.get((name, method), {})
    for viewer, client in (("anonymous", APIClient()), ("outsider", client_for(keys["outsider"]))):
        send = getattr(client, method)
        missing_answer = answer(send(path(missing), body, format="json"))
        if missing_answer[0] in (401, 403):
            # Refused before any lookup (signed-in only): the same for any key, nothing to compare.
            assert missing_answer[0] == answer(send(path(keys.get(hidden_kind, missing_slug_for(key))), body, format="json"))[0]
            continue
        assert missing_answer[0] == 404, (viewer, path(missing), missing_answer)
        if hidden_kind is None:
            continue
        hidden_answer = answer(send(path(keys[hidden_kind]), body, format="json"))
        assert hidden_answer == missing_answer, (viewer, method, path(keys[hidden_kind]))


def missing_slug_for(key: str) -> str:
    return MISSING.get(key, MISSING_SLUG)


# --- Remote handles (`name@host`) ---------------------------------------------------
#
# Routes whose handle may name an actor of another instance answer a hidden remote actor
# (suspended here, or on a blocked instance) as they answer one no instance knows.

REMOTE_ROUTES = [(name, route, methods) for name, route, methods, _keys in ROUTES
                 if re.search(r"\(\?P<handle>[^)]*\(@", route)]
UNKNOWN_REMOTE = "nobody@127.0.0.1:9"  # refused at once (a loopback instance), so nothing is fetched


def remote_cases():
    for name, _route, methods in REMOTE_ROUTES:
        for method in methods:
            for hidden in ("suspended_remote", "blocked_remote"):
                yield pytest.param(name, method, hidden, id=f"{name}-{method}-{hidden}")


@pytest.fixture
def remote_keys(keys, settings):
    from federation.models import DomainBlock, RemoteActor
    from profiles.models import Actor

    settings.FEDERATION_ACTOR_REFRESH_SECONDS = 3600  # stored documents are fresh: nothing is fetched
    for handle, domain, suspended in (("ghost@remote.example", "remote.example", True),
                                      ("spam@spam.example", "spam.example", False)):
        actor = Actor.objects.create(handle=handle, kind=Actor.Kind.PERSON, name="Distant", suspended=suspended)
        name = handle.split("@")[0]
        RemoteActor.objects.create(actor=actor, uri=f"https://{domain}/users/{name}", domain=domain, type="Person",
                                   inbox=f"https://{domain}/inbox", key_id=f"https://{domain}/users/{name}#key",
                                   public_key_pem="-", fetched=timezone.now())
    DomainBlock.objects.create(domain="spam.example")
    return {**keys, "suspended_remote": "ghost@remote.example", "blocked_remote": "spam@spam.example"}


def test_the_remote_handle_routes_are_found():
    assert {"actor-detail", "actor-follow", "actor-members", "actor-remove-member"} <= {n for n, _r, _m in REMOTE_ROUTES}


@pytest.mark.parametrize("name,method,hidden", list(remote_cases()))
def test_a_hidden_remote_actor_answers_like_an_unknown_one(remote_keys, name, method, hidden):
    route = next(route for n, route, _m in REMOTE_ROUTES if n == name)
    route_keys = next(k for n, _r, _m, k in ROUTES if n == name)

    def path(handle: str) -> str:
        values = {key: VISIBLE_BY_ROUTE.get(name, {}).get(key, VISIBLE[key]) for key in route_keys}
        values = {key: remote_keys.get(value, value) for key, value in values.items()}
        values["handle"] = handle
        return "/" + fill_named_groups(route, values).replace("^", "").replace("$", "")

    body = BODIES.get((name, method), {})
    for viewer, client in (("anonymous", APIClient()), ("outsider", client_for(remote_keys["outsider"]))):
        send = getattr(client, method)
        unknown = answer(send(path(UNKNOWN_REMOTE), body, format="json"))
        if unknown[0] in (401, 403):
            assert unknown[0] == answer(send(path(remote_keys[hidden]), body, format="json"))[0]
            continue
        assert unknown[0] == 404, (viewer, path(UNKNOWN_REMOTE), unknown)
        assert answer(send(path(remote_keys[hidden]), body, format="json")) == unknown, (viewer, method, hidden)
