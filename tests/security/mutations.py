"""Break each security property on purpose and check that its tests go red.

    .venv/bin/python tests/security/mutations.py            # every mutation
    .venv/bin/python tests/security/mutations.py M3.2 M5.1  # some of them

Each mutation replaces one exact piece of code (it must be found exactly once,
so a mutation cannot silently miss after the code moves), runs the tests named
for it on SQLite (on PostgreSQL where the fault is PostgreSQL's), and restores the file with `git checkout --`. A mutation
that leaves its tests green "survived": the tests do not protect that line.
Results go to stdout as rows of tests/security/MUTATIONS.md. Never run it on
a tree with uncommitted changes to the mutated files.
"""

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTEST = [str(ROOT / ".venv/bin/pytest"), "-p", "no:xdist", "-q", "-x", "--no-header"]

SEC = "tests/security/"
WS_SURFACES = SEC + "test_websocket_surfaces.py"
WS_ACCESS = SEC + "test_websocket_access.py"
E2E = "tests/e2e/test_websocket.py"
BF = SEC + "test_bad_faith.py"
KINDS = "tests/kinds/"
NAMES = SEC + "test_names.py"


@dataclass
class Mutation:
    id: str
    prop: str
    file: str
    old: str
    new: str
    what: str
    tests: list[str]
    postgres: bool = False  # run the tests on PostgreSQL (a fault SQLite does not have)


M = Mutation
MUTATIONS = [
    # 1. deployment settings
    M("M1.1", "1 deploy", "novosphere/settings.py",
      'SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=SERVED_OVER_TLS)',
      'SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=False)',
      "session cookie not Secure in production", [SEC + "test_deploy.py"]),
    M("M1.2", "1 deploy", "novosphere/settings.py",
      "default=31_536_000 if SERVED_OVER_TLS else 0)", "default=0)",
      "no HSTS in production", [SEC + "test_deploy.py"]),
    M("M1.3", "1 deploy", "novosphere/settings.py",
      'SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=SERVED_OVER_TLS)',
      'SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)',
      "no redirect to HTTPS in production", [SEC + "test_deploy.py"]),
    # 2. guessing keys
    M("M2.1", "2 guessing", "projects/selectors.py",
      "    try:\n        return visible_projects(viewer).get(slug_key=handle_key(slug))\n    except Project.DoesNotExist:\n        raise Http404 from None",
      "    try:\n        return visible_projects(viewer).get(slug_key=handle_key(slug))\n    except Project.DoesNotExist:\n"
      "        from django.core.exceptions import PermissionDenied\n"
      "        if Project.objects.filter(slug=slug).exists():\n            raise PermissionDenied from None\n"
      "        raise Http404 from None",
      "a hidden project answers 403, an unknown one 404", [SEC + "test_guessing.py"]),
    M("M2.2", "2 guessing", "profiles/selectors.py",
      "    return Actor.objects.filter(actor_shown(), erased=False)\n", "    return Actor.objects.filter(erased=False)\n",
      "suspended actors reachable by handle", [SEC + "test_guessing.py"]),
    M("M2.3", "2 guessing", "events/selectors.py",
      "    try:\n        return visible_events(viewer).get(slug=slug)\n    except Event.DoesNotExist:\n        raise Http404 from None",
      "    try:\n        return visible_events(viewer).get(slug=slug)\n    except Event.DoesNotExist:\n"
      "        if Event.objects.filter(slug=slug).exists():\n            from novosphere.api.errors import Forbidden\n"
      "            raise Forbidden from None\n        raise Http404 from None",
      "a hidden event answers 403 (reads, RSVP, attendees, .ics)", [SEC + "test_guessing.py"]),
    M("M2.4", "2 guessing", "projects/selectors.py",
      "    except (CollaborationRequest.DoesNotExist, ValueError, TypeError):\n        raise Http404 from None",
      "    except (CollaborationRequest.DoesNotExist, ValueError, TypeError):\n"
      "        if CollaborationRequest.objects.filter(pk=pk).exists():\n"
      "            from rest_framework.exceptions import NotFound\n"
      "            raise NotFound(\"This request is private.\") from None\n"
      "        raise Http404 from None",
      "a hidden request is a 404 with a different body", [SEC + "test_guessing.py"]),
    # 3. visibility on every surface
    M("M3.1", "3 visibility", "projects/selectors.py",
      '        | Q(pk__in=Project.objects.filter(memberships__actor=me).values("pk"))',
      '        | Q(pk__in=Project.objects.values("pk"))',
      "every signed-in user sees private projects", [SEC + "test_visibility_surfaces.py"]),
    M("M3.2", "3 visibility", "feeds/selectors.py",
      "        rule = Q(**{audience: kinds.Audience.EVERYONE})",
      "        rule = Q(**{f\"{audience}__in\": kinds.Audience.VALUES})",
      "REST feeds, streams and notifications ignore the subject's audience for anonymous readers",
      [SEC + "test_visibility_surfaces.py"]),
    M("M3.3", "3 visibility", "search/backends/database.py",
      "            | Q(audience=registry.Audience.LISTED, pk__in=mine)",
      "            | Q(audience=registry.Audience.LISTED)",
      "search shows members-only documents to every signed-in user", [SEC + "test_visibility_surfaces.py"]),
    M("M3.4", "3 visibility", "projects/kinds.py",
      "        return visible_projects(viewer).filter(slug=ident).exists()",
      "        return Project.objects.filter(slug=ident).exists()",
      "subscribe to any project stream, private ones too", [WS_SURFACES]),
    M("M3.5", "3 visibility", "profiles/kinds.py",
      "        return self._publishers(visible_actors(viewer), prefix, ident).exists()",
      "        return self._publishers(Actor.objects.all(), prefix, ident).exists()",
      "subscribe to a suspended actor's or city's stream", [WS_SURFACES]),
    M("M3.6", "3 visibility", "feeds/live.py",
      "    return event[\"visibility\"] in (None, PUBLIC, MEMBERS)",
      "    return event[\"visibility\"] in (None, PUBLIC, MEMBERS, PRIVATE)",
      "live frames of private projects go to every socket", [WS_SURFACES]),
    M("M3.7", "3 visibility", "feeds/selectors.py",
      '    return Activity.objects.filter(activity_visibility(viewer)).select_related("actor")',
      '    return Activity.objects.filter(activity_visibility(viewer) | Q(audience=kinds.Audience.SOME)).select_related("actor")',
      "resume and catch-up ignore project visibility", [WS_SURFACES]),
    M("M3.8", "3 visibility", "feeds/live.py",
      "        Notification.objects.filter(recipient=actor, id__gt=after, activity__in=visible_activities(user))",
      "        Notification.objects.filter(recipient=actor, id__gt=after)",
      "notification frames ignore visibility",
      ["tests/feeds/test_live.py::test_a_notification_whose_activity_the_reader_may_no_longer_see_is_never_sent",
       WS_SURFACES]),
    M("M3.9", "3 visibility", "feeds/selectors.py",
      '    return Activity.objects.filter(activity_visibility(viewer)).select_related("actor")',
      '    return Activity.objects.filter(activity_visibility(viewer) | Q(actor__suspended=True)).select_related("actor")',
      "resume replays activity of suspended authors", [WS_SURFACES]),
    # 4. pending grants nothing
    M("M4.1", "4 pending", "profiles/selectors.py",
      "    accepted = CityLink.objects.filter(status=CityLink.Status.ACCEPTED)",
      "    accepted = CityLink.objects.all()",
      "a pending city link counts as a peer", [SEC + "test_pending_grants_nothing.py"]),
    M("M4.2", "4 pending", "events/selectors.py",
      "            territory_id__in=territory_ids, status=TerritoryCity.Status.ACCEPTED, city__suspended=False",
      "            territory_id__in=territory_ids, city__suspended=False",
      "a pending place in a territory counts", [SEC + "test_pending_grants_nothing.py"]),
    M("M4.3", "4 pending", "projects/selectors.py",
      '        | Q(pk__in=Project.objects.filter(memberships__actor=me).values("pk"))',
      '        | Q(pk__in=Project.objects.filter(memberships__actor=me).values("pk"))\n'
      '        | Q(pk__in=CollaborationRequest.objects.filter(responses__responder=me).values("from_project"))',
      "an unanswered response opens the private project it was sent from",
      [SEC + "test_pending_grants_nothing.py"]),
    # 5. websockets lose access
    M("M5.1", "5 websockets", "novosphere/ws_auth.py",
      "        if parsed_origin is None:\n            return True\n        return super().valid_origin(parsed_origin)",
      "        return True",
      "no Origin check", [WS_ACCESS + "::test_the_origin_of_a_cookie_session_is_checked",
                          E2E + "::test_a_foreign_origin_is_refused"]),
    M("M5.2", "5 websockets", "novosphere/ws_auth.py",
      "    if actor.suspended:\n        return False\n", "",
      "the recheck ignores suspension", [WS_ACCESS + "::test_a_moderator_suspending_an_account_closes_its_open_sockets"]),
    M("M5.3", "5 websockets", "profiles/services.py",
      "        if actor.user_id:\n            recheck_connections(actor.user_id)\n", "",
      "suspending does not recheck open sockets",
      [WS_ACCESS + "::test_a_moderator_suspending_an_account_closes_its_open_sockets"]),
    M("M5.4", "5 websockets", "profiles/signals.py",
      "        request.session.flush()\n", "",
      "session logout rechecks before the session ends (the bug fixed here)",
      ["tests/profiles/test_sessions.py::test_a_session_logout_ends_the_session_before_open_sockets_recheck_it",
       WS_ACCESS + "::test_a_session_logout_closes_the_socket_opened_with_it"]),
    M("M5.5", "5 websockets", "feeds/live.py",
      "    return kinds.kind_named(subject_kind).visible_to(user).filter(pk=subject_id).exists()",
      "    return True",
      "private frames not rechecked per reader: removal from a project keeps them flowing",
      [E2E + "::test_removal_from_a_private_project_stops_its_activity_on_open_sockets"]),
    M("M5.6", "5 websockets", "feeds/consumers.py",
      '        if not isinstance(key, str) or not await db(live.stream_is_visible)(user=self.user, key=key):',
      '        if not isinstance(key, str) or not live.kinds.STREAM_KEY.match(key):',
      "subscribe not authorized (only the connect is)", [WS_SURFACES]),
    M("M5.7", "5 websockets", "novosphere/ws_auth.py",
      "        return live.filter(Q(expiry__isnull=True) | Q(expiry__gt=timezone.now())).exists()",
      "        return token is not None",
      "a revoked token keeps its socket", [E2E + "::test_ending_the_credentials_closes_the_socket"]),
    M("M5.8", "5 websockets", "projects/selectors.py",
      "    return Actor.objects.filter(\n        suspended=False,\n"
      "        pk__in=Membership.objects.filter(group__in=groups, role=Membership.Role.ADMIN).values(\"person\"),\n    )",
      "    cached = globals().setdefault(\"_ADMINS\", {})\n    if tuple(groups) not in cached:\n"
      "        cached[tuple(groups)] = list(Membership.objects.filter(group__in=groups, role=Membership.Role.ADMIN)"
      ".values_list(\"person\", flat=True))\n"
      "    return Actor.objects.filter(suspended=False, pk__in=cached[tuple(groups)])",
      "an organization's admins cached per process: a removed admin is still notified",
      [WS_ACCESS + "::test_removal_from_an_organization_stops_what_it_granted_on_open_sockets"]),
    # 6. sessions
    M("M6.1", "6 sessions", "profiles/views.py",
      "        login(request._request, user)",
      "        request._request.session.cycle_key = lambda: None\n        login(request._request, user)",
      "login keeps the existing session key (fixation)", [SEC + "test_sessions.py"]),
    M("M6.2", "6 sessions", "profiles/services.py",
      "    for token in AuthToken.objects.filter(user=user):\n        token.delete()  # one by one, so each open socket hears of it\n",
      "",
      "a password change leaves the other tokens working", ["tests/profiles/test_sessions.py"]),
    M("M6.3", "6 sessions", "novosphere/settings.py",
      '        "rest_framework.authentication.SessionAuthentication",',
      '        "tests.security.mutations.SessionWithoutCsrf",',
      "cookie-authenticated writes without CSRF", [SEC + "test_sessions.py"]),
    # 7. rate limits
    M("M7.1", "7 rate limits", "search/views.py",
      'class SearchView(APIView):\n    permission_classes = [permissions.AllowAny]\n    throttle_scope = "search"\n',
      'class SearchView(APIView):\n    permission_classes = [permissions.AllowAny]\n',
      "search not limited", [SEC + "test_rate_limits.py"]),
    M("M7.2", "7 rate limits", "projects/views.py",
      '    WRITE_THROTTLE_SCOPES = {"create": "collaboration", "responses": "response"}',
      '    WRITE_THROTTLE_SCOPES = {}',
      "collaboration requests and responses not limited", [SEC + "test_rate_limits.py"]),
    M("M7.3", "7 rate limits", "novosphere/api/throttling.py",
      "    cache.add(key, 0, timeout=timeout)  # only the first hit of a window creates it\n"
      "    try:\n        return cache.incr(key)\n    except ValueError:  # expired between add and incr: this hit opens a new window\n"
      "        cache.add(key, 1, timeout=timeout)\n        return 1\n",
      "    count = (cache.get(key) or 0) + 1\n    time.sleep(0.001)\n    cache.set(key, count, timeout=timeout)\n    return count\n",
      "read-then-write counting instead of atomic INCR", [SEC + "test_rate_limits.py"]),
    M("M7.4", "7 rate limits", "novosphere/api/throttling.py",
      "    def wait(self) -> float | None:\n        return self.retry_after",
      "    def wait(self) -> float | None:\n        return None",
      "429 without Retry-After", [SEC + "test_rate_limits.py"]),
    M("M7.5", "7 rate limits", "feeds/consumers.py",
      '        if await db(hit)("ws_connect", f"user{self.user.pk}") is not None:',
      "        if False:",
      "websocket connects not limited", [WS_ACCESS + "::test_connects_past_the_limit_are_closed_4429"]),
    M("M7.6", "7 rate limits", "feeds/consumers.py",
      "        if not self.bucket.take():", "        if False:",
      "websocket frames not limited", [E2E + "::test_a_flooding_client_is_closed_4429"]),
    # 8. size bounds
    M("M8.1", "8 size bounds", "feeds/consumers.py",
      "        if text_data is None or len(text_data) > settings.WS_MAX_FRAME_BYTES:",
      "        if text_data is None:",
      "no websocket frame size bound", [WS_ACCESS + "::test_an_oversize_frame_is_refused_and_changes_nothing"]),
    M("M8.2", "8 size bounds", "events/serializers.py",
      "        if value.size > 1024 * 1024:", "        if value.size > 1024 * 1024 * 1024:",
      "calendar uploads up to 1 GB", [SEC + "test_size_bounds.py::test_an_oversize_calendar_upload_is_a_400_and_imports_nothing"]),
    M("M8.3", "8 size bounds", "projects/serializers.py",
      "    body = serializers.CharField(max_length=20000)", "    body = serializers.CharField()",
      "project update body unbounded", [SEC + "test_size_bounds.py"]),
    M("M8.4", "8 size bounds", "novosphere/api/pagination.py",
      '    page_size_query_param = "page_size"\n    max_page_size = 100\n\n\nclass NewestFirst',
      '    page_size_query_param = "page_size"\n    max_page_size = 10**9\n\n\nclass NewestFirst',
      "page size unbounded", [SEC + "test_size_bounds.py"]),
    M("M8.5", "8 size bounds", "novosphere/settings.py",
      "DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024", "DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024 * 1024",
      "request bodies up to 1 GB", [SEC + "test_size_bounds.py::test_a_body_beyond_the_upload_limit_is_refused"]),
    # 9. sanitizing
    M("M9.1", "9 sanitizing", "novosphere/rendering.py",
      '    "table", "thead", "tbody", "tr", "th", "td",\n}\nALLOWED_ATTRIBUTES = {\n    "a": {"href", "title"},',
      '    "table", "thead", "tbody", "tr", "th", "td", "img",\n}\nALLOWED_ATTRIBUTES = {\n'
      '    "img": {"src", "onerror"}, "a": {"href", "title"},',
      "nh3 keeps images and their onerror", [SEC + "test_sanitizing.py"]),
    M("M9.2", "9 sanitizing", "novosphere/rendering.py",
      'ALLOWED_SCHEMES = {"http", "https", "mailto"}', 'ALLOWED_SCHEMES = {"http", "https", "mailto", "javascript"}',
      "javascript: links kept", [SEC + "test_sanitizing.py"]),
    M("M9.3", "9 sanitizing", "novosphere/rendering.py",
      '        link_rel="noopener noreferrer",\n', '        link_rel=None,\n',
      "links without rel=noopener noreferrer", [SEC + "test_sanitizing.py"]),
    M("M9.4", "9 sanitizing", "novosphere/rendering.py",
      '{"html": False, "linkify": False}', '{"html": True, "linkify": False}',
      "raw HTML passed by markdown: what a person typed is interpreted (nh3 then drops it unseen)",
      [SEC + "test_sanitizing.py"]),
    M("M9.5", "9 sanitizing", "novosphere/rendering.py",
      '    return sanitize_html(_markdown.render(body or ""))',
      '    return _markdown.render(body or "")',
      "no sanitizing pass after markdown", [SEC + "test_sanitizing.py"]),
    # 10. schema fuzzing
    M("M10.1", "10 fuzzing", "search/views.py",
      "        params.is_valid(raise_exception=True)\n        data = dict(params.validated_data)",
      "        params.is_valid()\n        data = dict(params.validated_data)",
      "search does not refuse invalid parameters (a 500)", [SEC + "test_schema_fuzz.py"]),
    M("M10.2", "10 fuzzing", "search/views.py",
      '        return Response(AutocompleteListSerializer({"results": suggestions, "next": None}).data)',
      '        return Response({"suggestions": AutocompleteListSerializer({"results": suggestions, "next": None}).data})',
      "suggest answers a shape its schema does not document", [SEC + "test_schema_fuzz.py"]),
    M("M10.4", "10 fuzzing", "events/serializers.py",
      '    festival = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)',
      '    festival = serializers.SlugRelatedField(slug_field="slug", read_only=True)',
      "events answer `festival: null` where the schema says a string", [SEC + "test_schema_fuzz.py"]),
    M("M10.3", "10 fuzzing", "novosphere/text.py",
      "    if any(_forbidden(char) for char in value):", "    if False:",
      "the JSON parser lets NUL through to fields that do not check it",
      [SEC + "test_size_bounds.py::test_nul_characters_are_a_400_everywhere"], postgres=True),
    # 12. the registry of kinds: each kind's rule, and activities that follow their subject
    M("M12.1", "12 kinds", "events/selectors.py",
      "    events = Event.objects.filter(hidden=False).exclude(organizers__suspended=True)",
      "    events = Event.objects.exclude(organizers__suspended=True)",
      "a hidden event stays on every path", [KINDS + "test_subject_visibility.py"]),
    M("M12.2", "12 kinds", "feeds/signals.py",
      "    if kinds.audience_of(kind, [instance.pk]).get(instance.pk) != before:",
      "    if False:",
      "a subject turned private keeps its activities' stored audience (the event leak)",
      [KINDS + "test_subject_visibility.py"]),
    M("M12.3", "12 kinds", "novosphere/kinds.py",
      "            affected = other.depends_on(changed.name, changed_pks)",
      "            affected = None",
      "what follows from a subject (a project's updates, an owner's projects) keeps its audience",
      [KINDS + "test_audiences.py"]),
    M("M12.4", "12 kinds", "feeds/services.py",
      "        audience=kinds.audience_of(subject_kind, [subject.pk])[subject.pk] if subject is not None else kinds.Audience.EVERYONE,",
      "        audience=kinds.Audience.EVERYONE,",
      "every new activity public, whatever its subject", [SEC + "test_visibility_surfaces.py"]),
    M("M12.5", "12 kinds", "novosphere/kinds.py",
      "    return next((thing for thing in named if kind_of(thing).name != \"actor\"), named[0] if named else None)",
      "    return named[0] if named else None",
      "an activity about an actor in a private project takes the actor's audience", [KINDS + "test_audiences.py"]),
    M("M12.6", "12 kinds", "feeds/selectors.py",
      "            rule &= ~about_blocked",
      "            pass",
      "a block leaves what is about the blocked actor in the blocker's feeds",
      [KINDS + "test_subject_visibility.py::test_a_block_hides_what_is_about_the_blocked_actor_and_theirs"]),
    M("M12.7", "12 kinds", "profiles/kinds.py",
      "        return actors.filter(kind=Actor.Kind.CITY) if prefix == \"city\" else actors.exclude(kind=Actor.Kind.CITY)",
      "        return actors",
      "`actor:<city>` and `city:<person>` name a stream", [KINDS + "test_registry.py"]),
    M("M12.8", "12 kinds", "search/registry.py",
      "        if stored == kinds.Audience.SIGNED_IN:",
      "        if stored in (kinds.Audience.SIGNED_IN, kinds.Audience.SOME):",
      "search documents of private things stored for every signed-in person", [SEC + "test_visibility_surfaces.py"]),
    M("M12.9", "12 kinds", "events/map.py",
      "    upcoming = kinds.kind_named(\"event\").visible_to(viewer).filter(",
      "    upcoming = Event.objects.filter(",
      "the map shows private events", [KINDS + "test_subject_visibility.py::test_an_event_turned_private_leaves_the_map"]),
    M("M12.10", "12 kinds", "moderation/services.py",
      "    declared.set_hidden(thing, hidden)",
      "    thing.hidden = hidden",
      "hiding by a moderator changes nothing", ["tests/moderation/test_api.py"]),
    # 13. an account acting in bad faith (tests/security/test_bad_faith.py, test_roles.py, ...)
    M("M13.1", "13 bad faith", "novosphere/proxies.py",
      "    return any(ip in network for network in _networks(tuple(settings.TRUSTED_PROXIES)))",
      "    return True",
      "every peer is a trusted proxy: the client's X-Forwarded-For names the counted address",
      [BF + "::test_password_resets_are_limited_per_address_whatever_the_headers",
       BF + "::test_rotating_x_forwarded_for_does_not_reset_the_address_limit"]),
    M("M13.2", "13 bad faith", "novosphere/proxies.py",
      '        if not _is_trusted(meta.get("REMOTE_ADDR") or ""):\n            for header',
      "        if False:\n            for header",
      "forwarded headers kept from any peer (X-Forwarded-Proto reflected)",
      [BF + "::test_a_forged_port_and_scheme_are_not_reflected_in_calendars_and_feeds",
       BF + "::test_a_forged_port_and_scheme_are_not_reflected_in_links"]),
    M("M13.3", "13 bad faith", "novosphere/proxies.py",
      '    port = str(request.META.get("SERVER_PORT") or "")\n',
      '    port = host.rsplit(":", 1)[1] if ":" in host else ""\n',
      "links take the port the client wrote in Host",
      [BF + "::test_a_forged_port_and_scheme_are_not_reflected_in_calendars_and_feeds",
       BF + "::test_a_forged_port_and_scheme_are_not_reflected_in_links"]),
    M("M13.4", "13 bad faith", "novosphere/api/throttling.py",
      '        spent("login_account", _account_key(username)),\n', "",
      "failed logins not limited per account", [BF + "::test_an_account_is_limited_whatever_the_address"]),
    M("M13.5", "13 bad faith", "novosphere/urls.py",
      '    path("admin/login/", login_with_limits),', "",
      "the admin's login not limited", [BF + "::test_the_admin_login_is_limited"]),
    M("M13.6", "13 bad faith", "novosphere/api/parsers.py",
      "    if depth_of(data) > max_depth:", "    if False:",
      "no JSON depth bound", [BF + "::test_deeply_nested_json_is_a_400"]),
    M("M13.7", "13 bad faith", "novosphere/text.py",
      "    if any(_forbidden(char) for char in value):", "    if False:",
      "control characters and direction overrides accepted",
      [BF + "::test_names_refuse_control_characters_overrides_and_invisible_text"]),
    M("M13.8", "13 bad faith", "novosphere/text.py",
      "    if value and all(_invisible(char) for char in value) and not value.isspace():", "    if False:",
      "zero-width-only names accepted", [BF + "::test_names_refuse_control_characters_overrides_and_invisible_text"]),
    M("M13.9", "13 bad faith", "novosphere/roles.py",
      "        if current is not None and current not in row:\n            return False\n", "",
      "a maintainer changes or removes an owner", [SEC + "test_roles.py"]),
    M("M13.10", "13 bad faith", "novosphere/roles.py",
      "        if current == self.top and new != self.top and others_at_top == 0:", "        if False:",
      "the last owner or admin leaves or is demoted", [SEC + "test_roles.py::test_anyone_may_leave_a_project_but_the_last_owner"]),
    M("M13.11", "13 bad faith", "projects/services.py",
      '    invitation, created = ProjectInvitation.objects.update_or_create(\n'
      '        project=project, actor=actor, defaults={"role": role, "invited_by": me}\n    )',
      '    invitation, created = ProjectMember.objects.update_or_create(\n'
      '        project=project, actor=actor, defaults={"role": role}\n    )',
      "adding someone to a project makes them a member at once",
      [SEC + "test_pending_grants_nothing.py::test_an_invitation_to_a_private_project_opens_nothing_until_accepted"]),
    M("M13.12", "13 bad faith", "profiles/services.py",
      "    if blocks(blocker=person, blocked=me):\n", "    if False:\n",
      "a blocker can be invited by the person they block",
      [SEC + "test_pending_grants_nothing.py::test_a_person_who_blocks_someone_cannot_be_invited_by_them"]),
    M("M13.13", "13 bad faith", "feeds/consumers.py",
      "        if await db(live.blocked_from_stream)(user=self.user, key=key):", "        if False:",
      "a blocked person subscribes to the blocker's stream",
      ["tests/moderation/test_websocket.py::test_a_blocked_person_cannot_subscribe_to_the_blocker_and_deep_frames_are_an_error"]),
    M("M13.14", "13 bad faith", "feeds/consumers.py",
      "            frame = loads_bounded(text_data)", "            frame = json.loads(text_data)",
      "websocket frames nest without bound (1011)",
      ["tests/moderation/test_websocket.py::test_a_blocked_person_cannot_subscribe_to_the_blocker_and_deep_frames_are_an_error"]),
    M("M13.15", "13 bad faith", "projects/selectors.py",
      "        responses = responses.filter(responder=me)\n", "        pass\n",
      "anyone signed in reads every response's text",
      [BF + "::test_the_text_of_a_response_is_read_by_the_author_the_target_and_the_responder_only"]),
    M("M13.16", "13 bad faith", "projects/services.py",
      "    if origin_city is not None and not speaks_from(person=me, city=origin_city):", "    if False:",
      "a request claims any city as its origin", [BF + "::test_origin_city_is_one_of_the_authors_cities"]),
    M("M13.17", "13 bad faith", "novosphere/settings.py",
      '    "csp.middleware.CSPMiddleware",\n', "",
      "no Content-Security-Policy", [BF + "::test_every_answer_carries_a_content_security_policy"]),
    M("M13.18", "13 bad faith", "events/ical.py",
      '    calendar.add("x-wr-calname", _text(name))', '    calendar.add("x-wr-calname", name)',
      "a calendar name with CR/LF breaks the .ics (500)", [BF + "::test_a_name_with_line_breaks_does_not_break_a_calendar"]),
    M("M13.19", "13 bad faith", "projects/services.py",
      '    base = (wanted or slugify(title) or "projet")[:70]',
      '    if wanted and Project.objects.filter(slug=wanted).exists():\n'
      '        raise invalid("slug", _("This slug is already taken."))\n'
      '    base = (wanted or slugify(title) or "projet")[:70]',
      "a taken slug is refused (a hidden project's existence leaks)",
      [BF + "::test_a_taken_slug_gets_a_free_one_without_telling_a_hidden_project_exists"]),
    M("M13.20", "13 bad faith", "novosphere/rendering.py",
      '_markdown.add_render_rule("image", _image_as_link)\n', "",
      "markdown images not turned into links", [BF + "::test_remote_images_in_markdown_are_not_embedded"]),
    M("M13.21", "13 bad faith", "novosphere/settings.py",
      '    "novosphere.api.fallback.ApiErrorsMiddleware",\n', "",
      "an oversize body is an HTML 400", [BF + "::test_a_body_beyond_the_upload_limit_is_a_json_413"]),
    M("M13.22", "13 bad faith", "novosphere/keys.py",
      "    return fold(handle.strip())[:KEY_MAX]", "    return handle.strip()[:KEY_MAX]",
      "handle keys keep case and accents (`Spx-EvilOrg` beside `spx-evilorg`)",
      [NAMES + "::test_the_database_refuses_handles_that_differ_by_case_or_accents_on_every_path",
       NAMES + "::test_a_handle_is_taken_whatever_its_case"]),
    M("M13.23", "13 bad faith", "profiles/models.py",
      "        if self.others_with(handle_key=self.handle_key).exists():", "        if False:",
      "the model's check of a taken handle gone (the database's constraint left alone)",
      [NAMES + "::test_a_handle_is_taken_whatever_its_case"]),
    M("M13.24", "13 bad faith", "profiles/selectors.py",
      "    return queryset.filter(handle_key=handle_key(handle)).first()",
      "    return queryset.filter(handle=handle).first()",
      "lookups by handle are exact again", [NAMES + "::test_an_actor_is_found_whatever_the_case_of_its_handle"]),
    M("M13.25", "13 bad faith", "novosphere/api/parsers.py",
      "        if self.folded_field and isinstance(data, str):", "        if False:",
      "handles and slugs in bodies are exact again", [NAMES + "::test_an_actor_is_found_whatever_the_case_of_its_handle"]),
    M("M13.26", "13 bad faith", "projects/services.py",
      "    while Project.objects.filter(slug_key=handle_key(slug)).exists():", "    while Project.objects.filter(slug=slug).exists():",
      "a free slug is looked for by exact slug (`Open-Lab` after `open-lab`)",
      [NAMES + "::test_a_project_slug_is_taken_whatever_its_case"]),
    M("M13.27", "13 bad faith", "novosphere/keys.py",
      '    return re.sub(r"[\\W_]+", "", fold(name))[:KEY_MAX]', "    return name.strip()[:KEY_MAX]",
      "city names compared as written (`rennes` beside `Rennes`, `Saint Malo` beside `Saint-Malo`)",
      [NAMES + "::test_a_new_city_cannot_take_the_name_of_another"]),
    M("M13.28", "13 bad faith", "profiles/models.py",
      "        if self.kind == self.Kind.CITY and not self.is_remote and self.others_with(",
      "        if False and self.others_with(",
      "the model's check of a taken city name gone (the database's constraint left alone)",
      [NAMES + "::test_a_new_city_cannot_take_the_name_of_another"]),
    M("M13.29", "13 bad faith", "profiles/services.py",
      "    actor = Actor(kind=kind, handle=handle, name=name, verified=False, **fields)",
      "    actor = Actor(kind=kind, handle=handle, name=name, verified=kind == Actor.Kind.CITY, **fields)",
      "a new city comes verified", [NAMES + "::test_a_new_city_is_unverified_until_a_moderator_verifies_it"]),
    M("M13.30", "13 bad faith", "profiles/services.py",
      "        actor.verified = False  # a moderator verified the city under its former name", "        pass",
      "a verified city renamed by its admins stays verified",
      [NAMES + "::test_a_new_city_is_unverified_until_a_moderator_verifies_it"]),
    M("M13.31", "13 bad faith", "moderation/views.py",
      "    permission_classes = [IsModerator]\n    verified = True",
      "    permission_classes = [permissions.IsAuthenticated]\n    verified = True",
      "anyone signed in verifies a city", [NAMES + "::test_only_moderators_verify"]),
    M("M13.32", "13 bad faith", "profiles/serializers.py",
      "        return actor.verified if actor.kind == Actor.Kind.CITY else None", "        return True",
      "every city shown as verified", [NAMES + "::test_a_new_city_is_unverified_until_a_moderator_verifies_it"]),
    M("M13.33", "13 bad faith", "federation/services.py",
      "    if is_blocked(host):\n        raise Http404\n", "",
      "an actor of a blocked instance is reachable by its `name@host`",
      [SEC + "test_guessing.py::test_a_hidden_remote_actor_answers_like_an_unknown_one"]),
    M("M13.34", "13 bad faith", "events/services.py",
      "    if not event.recurrence:\n        return\n    series =", "    return\n    series =",
      "recurring series not capped per organizer (an .ics import of many rules too)",
      [BF + "::test_a_calendar_import_cannot_carry_more_series_than_the_organizer_may_keep",
       BF + "::test_recurring_events_are_bounded_per_organizer_and_per_list"]),
    M("M13.35", "13 bad faith", "events/selectors.py",
      "    return list(islice(merged, settings.EVENTS_MAX_OCCURRENCES_PER_LIST))",
      "    return list(islice(merged, 10 * settings.EVENTS_MAX_OCCURRENCES_PER_LIST))",
      "a dated list expands ten times its bound of occurrences",
      [BF + "::test_recurring_events_are_bounded_per_organizer_and_per_list"]),
    M("M13.36", "13 bad faith", "novosphere/api/caching.py",
      '"private, no-cache" if has_credentials(request) else "public, no-cache"', '"public, no-cache"',
      "a read with credentials is marked public: a shared cache may hand one viewer's answer to another",
      ["tests/test_conditional_reads.py::test_a_read_with_credentials_is_for_the_caller_only"]),
    M("M13.37", "13 bad faith", "accounts/services.py",
      "    index_on_commit(me)  # their profile leaves search", "    pass  # their profile leaves search",
      "an erased person's profile stays findable in search",
      ["tests/search/test_sync.py::test_profile_edits_and_deletion_through_the_api"]),
    M("M13.38", "13 bad faith", "profiles/services.py",
      "    if actor.kind == Actor.Kind.PERSON:\n        # A person goes only", "    if False:\n        # A person goes only",
      "a person's profile deleted by its token alone, without the erasure's password (and a 500 when they own a project)",
      ["tests/profiles/test_actors.py::test_a_person_deletes_their_account_through_its_erasure_only"]),
]


def run(mutation: Mutation) -> tuple[str, str]:
    path = ROOT / mutation.file
    if subprocess.run(["git", "status", "--porcelain", "--", mutation.file], cwd=ROOT, capture_output=True,
                      text=True, check=True).stdout.strip():
        # Restoring with `git checkout` would throw those changes away.
        return "NOT RUN", f"{mutation.file} has uncommitted changes: commit them first"
    text = path.read_text()
    if text.count(mutation.old) != 1:
        return "NOT APPLIED", f"the code to mutate was found {text.count(mutation.old)} times"
    path.write_text(text.replace(mutation.old, mutation.new))
    try:
        env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
        if mutation.postgres:
            env["DATABASE_URL"] = os.environ.get("MUTATIONS_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test_proof")
        result = subprocess.run([*PYTEST, *mutation.tests], cwd=ROOT, env=env, capture_output=True, text=True,
                                timeout=900)
    finally:
        subprocess.run(["git", "checkout", "--", mutation.file], cwd=ROOT, check=True)
    failed = [line.split(" - ")[0].replace("FAILED ", "").replace("ERROR ", "")
              for line in result.stdout.splitlines() if line.startswith(("FAILED", "ERROR"))]
    if result.returncode == 0:
        return "SURVIVED", "all green"
    summary = next((line for line in reversed(result.stdout.splitlines()) if " failed" in line), "red")
    return "caught", failed[0] if failed else summary


if __name__ == "__main__":
    wanted = set(sys.argv[1:])
    for mutation in MUTATIONS:
        if wanted and mutation.id not in wanted:
            continue
        verdict, detail = run(mutation)
        print(f"| {mutation.id} | {mutation.prop} | `{mutation.file}`: {mutation.what} | {verdict} | `{detail}` |",
              flush=True)


try:  # M6.3 names this class in settings; importing Django here only when it is configured
    from rest_framework.authentication import SessionAuthentication

    class SessionWithoutCsrf(SessionAuthentication):
        def enforce_csrf(self, request):
            return None
except Exception:  # noqa: BLE001 - outside a configured project (running this file as a script)
    pass
