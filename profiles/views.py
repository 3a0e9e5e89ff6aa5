from django.contrib.auth import authenticate, login, logout
from django.db import transaction
from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.middleware.csrf import get_token
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from knox.models import AuthToken
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services as account_services
from accounts.serializers import ErasureSerializer
from feeds import selectors as follow_selectors
from feeds import services as follow_services
from feeds.serializers import ActivityPageSerializer, ActivityQuerySerializer
from feeds.views import stream_response
from novosphere import kinds
from novosphere.api.throttling import refuse_login_if_limited
from novosphere.errors import DomainError, Forbidden
from novosphere.keys import handle_key
from profiles import selectors, services
from profiles.filters import ActorFilter, CityFilter
from profiles.models import Actor, CityLink
from profiles.serializers import (
    ActorCreateSerializer,
    ActorSerializer,
    CityLinkInputSerializer,
    CityLinkSerializer,
    CitySerializer,
    FollowStateSerializer,
    LoginSerializer,
    MembershipInputSerializer,
    MembershipSerializer,
    MeSerializer,
    PasswordChangeSerializer,
    RegisteredSerializer,
    RegisterSerializer,
    TokenSerializer,
    actor_json,
)

ACTOR_PREFETCH = [
    "skills",
    "sectors",
    "interests",
    Prefetch("links_proposed", queryset=CityLink.objects.select_related("to_city")),
    Prefetch("links_received", queryset=CityLink.objects.select_related("from_city")),
]


def actors_for(request: Request, queryset=None):
    """Actors the caller may see, ready to serialize (tags, peers, `is_following`)."""
    queryset = selectors.visible_actors(request.user) if queryset is None else queryset
    queryset = queryset.select_related("city").prefetch_related(*ACTOR_PREFETCH)
    return selectors.with_viewer_state(queryset, request.user)


def serialized_actor(request: Request, actor: Actor, serializer_class=ActorSerializer, queryset=None) -> dict:
    fresh = actors_for(request, queryset).get(pk=actor.pk)
    return serializer_class(fresh, context={"request": request}).data


# --- Auth and me -------------------------------------------------------------


class RegisterView(APIView):
    permission_classes = [permissions.AllowAny]
    throttle_scope = "register"

    @extend_schema(
        request=RegisterSerializer, responses={201: RegisteredSerializer}, tags=["auth"],
        summary="Register: a new account, its person actor and a token",
        description="Creates the account and its person actor and answers a token for it (`Authorization: "
        "Token <token>`). With `city` (a city's handle) the person lives there and follows it. A key to prove "
        "`email` is sent to it. A taken username or address (case does not matter) or a weak password is a 400; "
        "sign-ups are limited per network address (`RATE_LIMIT_REGISTER`, 25 per 5 minutes).",
    )
    def post(self, request: Request) -> Response:
        data = RegisterSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with transaction.atomic():
            user, actor = account_services.register_account(
                **data.validated_data, language=getattr(request, "LANGUAGE_CODE", None)
            )
            _instance, token = AuthToken.objects.create(user)
        return Response(
            {"token": token, "actor": serialized_actor(request, actor)}, status=status.HTTP_201_CREATED
        )


def checked_credentials(request: Request):
    """The active user named by the body's username and password; a 400 otherwise."""
    data = LoginSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    refuse_login_if_limited(request, data.validated_data["username"])
    # A failure is counted by novosphere.signals, for this login and the admin's alike.
    user = authenticate(request._request, **data.validated_data)
    if user is None or not user.is_active:
        raise DomainError(_("Wrong username or password."), code="authentication_failed")
    return user


class TokenView(APIView):
    def get_permissions(self):
        if self.request.method == "POST":
            return [permissions.AllowAny()]
        return [permissions.IsAuthenticated()]

    def get_authenticators(self):
        # Login reads only the body: a stale token in the header must not block it.
        if getattr(self, "request", None) is not None and self.request.method == "POST":
            return []
        return super().get_authenticators()

    @extend_schema(
        request=LoginSerializer, responses={200: TokenSerializer}, tags=["auth"],
        summary="Log in: a new token",
        description="A new token for `username` and `password`, beside any others the account has; `expiry` "
        "is when it ends unless used (each use extends it, `TOKEN_TTL`). Wrong credentials are a 400; failed "
        "logins are limited per account and per network address (429).",
    )
    def post(self, request: Request) -> Response:
        user = checked_credentials(request)
        instance, token = AuthToken.objects.create(user)
        return Response({"token": token, "expiry": instance.expiry})

    @extend_schema(
        request=None, responses={204: None}, tags=["auth"], summary="Log out: this token stops working",
        description="The token of this request stops working, and the websockets opened with it close (4401); "
        "the account's other tokens and sessions go on.",
    )
    def delete(self, request: Request) -> Response:
        if isinstance(request.auth, AuthToken):
            request.auth.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class SessionView(APIView):
    # Cookie sessions for browsers: writes then need the CSRF token (`csrftoken` cookie).

    def get_permissions(self):
        if self.request.method == "POST":
            return [permissions.AllowAny()]
        return [permissions.IsAuthenticated()]

    @extend_schema(
        request=LoginSerializer, responses={200: ActorSerializer}, tags=["auth"],
        summary="Log in a browser with a session cookie",
        description="For browsers on this site: sets the session cookie (a new session key every time) and "
        "the `csrftoken` cookie, whose value every write then sends in `X-CSRFToken`. Answers the caller's "
        "actor. Wrong credentials are a 400, limited as token logins are.",
    )
    def post(self, request: Request) -> Response:
        user = checked_credentials(request)
        login(request._request, user)
        get_token(request._request)  # sets the csrftoken cookie for the writes to come
        me = selectors.viewer_actor(user)
        return Response(serialized_actor(request, me, queryset=Actor.objects.all()) if me else {})

    @extend_schema(
        request=None, responses={204: None}, tags=["auth"], summary="Log out of this browser session",
        description="Ends the session of the cookie; websockets opened with it close (4401). Tokens go on.",
    )
    def delete(self, request: Request) -> Response:
        logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        request=PasswordChangeSerializer, responses={200: TokenSerializer}, tags=["auth"],
        summary="Change the password; every other token and session ends",
        description="Needs the current password. Every token and session of the account ends (their "
        "websockets close with 4401) and a new token is answered. A wrong old password or a weak new one is a 400.",
    )
    def post(self, request: Request) -> Response:
        data = PasswordChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with transaction.atomic():
            services.change_password(user=request.user, **data.validated_data)
            instance, token = AuthToken.objects.create(request.user)
        return Response({"token": token, "expiry": instance.expiry})


class MeView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    def _me(self, request: Request) -> Actor:
        me = selectors.viewer_actor(request.user)
        if me is None:
            raise AuthenticationFailed(_("This account has no profile."))
        return me

    def _answer(self, request: Request, me: Actor) -> Response:
        return Response(serialized_actor(request, me, MeSerializer, queryset=Actor.objects.select_related("user")))

    @extend_schema(
        responses=MeSerializer, tags=["auth"], summary="The caller's profile and account settings",
        description="The caller's person actor, as everyone sees it, plus what only its owner sees: `email`, "
        "`email_verified`, `pending_email` and `language` (of the e-mails it is sent).",
    )
    def get(self, request: Request) -> Response:
        return self._answer(request, self._me(request))

    @extend_schema(
        request=MeSerializer, responses=MeSerializer, tags=["auth"], summary="Edit the caller's profile and settings",
        description="Any profile field, `email` and `language`. A new `email` waits in `pending_email` (and is "
        "sent a key for `POST /api/v1/auth/email/verify/`) while the old address stays the account's; an "
        "address another account uses is a 400. People publish no coordinates.",
    )
    def patch(self, request: Request) -> Response:
        me = self._me(request)
        data = MeSerializer(me, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        account = fields.pop("user", {})
        with transaction.atomic():
            if account:
                account_services.update_account(user=request.user, **account)
            if fields:
                services.update_actor(actor=me, editor=request.user, **fields)
        return self._answer(request, me)

    @extend_schema(
        request=ErasureSerializer, tags=["auth"],
        responses={
            204: OpenApiResponse(description="The account and its personal data are erased; its sockets close"),
            400: OpenApiResponse(description="Wrong password"),
            409: OpenApiResponse(description="The caller is the only admin of an organization or city"),
        },
        summary="Erase the account: personal data go, updates and responses in others' spaces stay as a former member's",
        description="Needs the password. The person's profile, follows, memberships, tokens and sessions are "
        "erased and its sockets close; what it wrote in others' spaces stays, signed \"Former member\". The only "
        "admin of an organization or city must hand it over first (409).",
    )
    def delete(self, request: Request) -> Response:
        self._me(request)
        data = ErasureSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        account_services.erase_account(user=request.user, password=data.validated_data["password"])
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Actors ------------------------------------------------------------------


class FollowMixin:
    # `follow/` (POST, DELETE) for the object that `get_object()` returns. A comment, not a
    # docstring: the schema would take a class docstring as every operation's description.

    throttle_scope: str | None = None  # set per action (`follow`)

    def _follow_target(self):
        return self.get_object()

    @extend_schema(
        request=None, responses=FollowStateSerializer, methods=["POST"], summary="Follow",
        description="Its activity joins the caller's home timeline and live stream. Repeating it is harmless. "
        "Yourself is a 400, a blocked account a 403; a remote actor's follow is `pending` until its instance "
        "accepts.",
    )
    @extend_schema(
        request=None, responses=FollowStateSerializer, methods=["DELETE"], summary="Unfollow",
        description="Its activity leaves the caller's home timeline from now on. Repeating it is harmless.",
    )
    @action(
        detail=True, methods=["post", "delete"], permission_classes=[permissions.IsAuthenticated],
        throttle_scope="follow",
    )
    def follow(self, request: Request, **kwargs) -> Response:
        # Follow (POST) or unfollow (DELETE); repeating either is harmless.
        target = self._follow_target()
        me = selectors.viewer_actor(request.user)
        if me is None:
            raise AuthenticationFailed(_("This account has no profile."))
        remote = isinstance(target, Actor) and target.is_remote
        if remote:
            # Across instances: a Follow (or Undo) goes out; pending until the remote Accept.
            from federation import services as federation

            if request.method == "POST":
                if not follow_selectors.is_following(follower=me, target=target):
                    federation.request_follow(follower=me, target=target)
            else:
                federation.cancel_follow(follower=me, target=target)
        elif request.method == "POST":
            follow_services.follow(follower=me, target=target)
        else:
            follow_services.unfollow(follower=me, target=target)
        target.refresh_from_db(fields=["followers_count"])
        state = {
            "is_following": follow_selectors.is_following(follower=me, target=target),
            "followers_count": target.followers_count,
        }
        if remote:
            from federation.services import is_pending

            state["pending"] = is_pending(follower=me, target=target)
        return Response(state)


@extend_schema_view(
    list=extend_schema(
        summary="People, organizations and cities", tags=["actors"],
        description="Every actor the caller may see (suspended ones are not), paginated, filtered by `kind`, "
        "`city`, `country`, `skill`, `sector` and `interest`.",
    ),
    retrieve=extend_schema(
        summary="One actor", tags=["actors"],
        description="A person, organization or city by handle (`name@host` for an actor of another "
        "instance). Unknown and suspended actors are the same 404.",
    ),
    create=extend_schema(
        request=ActorCreateSerializer, responses={201: ActorSerializer}, tags=["actors"],
        summary="Create an organization or a city; the caller becomes its admin",
        description="`kind` is `organization` or `city`; a taken handle is a 400. Organizations and cities may "
        "give their own `latitude` and `longitude` (both, in range) to be placed there on the map.",
    ),
    partial_update=extend_schema(
        request=ActorSerializer, responses=ActorSerializer, tags=["actors"], summary="Edit a profile",
        description="By the person themself, or an admin of the organization or city (else 403). An "
        "organization may set its own coordinates (both or neither; null for both puts it back at its city's "
        "centre); `region` is for cities only.",
    ),
    destroy=extend_schema(
        tags=["actors"], summary="Delete an organization or city (its admins)",
        description="By an admin of the group (else 403); its memberships, follows and search document go with "
        "it. A person's own profile is a 409: it goes with the account, through `DELETE /api/v1/me/` and the "
        "password.",
    ),
    follow=extend_schema(tags=["actors"]),
)
class ActorViewSet(FollowMixin, viewsets.ModelViewSet):
    lookup_field = "handle"
    # A local handle, or a remote actor's `name@host[:port]` (federation).
    lookup_value_regex = r"[-a-zA-Z0-9_]+(@[-a-zA-Z0-9_.:\[\]]+)?"
    serializer_class = ActorSerializer
    filterset_class = ActorFilter
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return actors_for(self.request)

    def get_object(self) -> Actor:
        return selectors.actor_for_viewer(viewer=self.request.user, handle=self.kwargs["handle"])

    def create(self, request: Request, *args, **kwargs) -> Response:
        data = ActorCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        actor = services.create_group_actor(creator=request.user, **data.validated_data)
        return Response(serialized_actor(request, actor), status=status.HTTP_201_CREATED)

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        return Response(actor_json(selectors.actor_page(viewer=request.user, handle=self.kwargs["handle"])))

    def partial_update(self, request: Request, *args, **kwargs) -> Response:
        actor = self.get_object()
        data = ActorSerializer(actor, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        services.update_actor(actor=actor, editor=request.user, **data.validated_data)
        return Response(serialized_actor(request, actor))

    def destroy(self, request: Request, *args, **kwargs) -> Response:
        services.delete_actor(actor=self.get_object(), editor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        responses=MembershipSerializer(many=True), methods=["GET"], tags=["actors"],
        summary="Members and their roles; admins also see open invitations (`status: invited`)",
        description="The members of an organization or city with their role (`admin`, `member`), paginated. "
        "An invitation grants nothing until it is accepted; only the group's admins see open ones.",
    )
    @extend_schema(
        request=MembershipInputSerializer, responses={201: MembershipSerializer}, methods=["POST"], tags=["actors"],
        summary="Invite a person (`status: invited`), or change a member's role (admins)",
        description="By the group's admins (else 403). A person who is not a member yet is invited and "
        "becomes one when they accept; a member's role changes at once. The last admin cannot be demoted (409).",
    )
    @action(detail=True, methods=["get", "post"])
    def members(self, request: Request, **kwargs) -> Response:
        group = self.get_object()
        if request.method == "POST":
            data = MembershipInputSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            membership = services.add_member(
                group=group, editor=request.user, person=data.validated_data["actor"],
                role=data.validated_data["role"],
            )
            return Response(MembershipSerializer(membership).data, status=status.HTTP_201_CREATED)
        page = self.paginate_queryset(selectors.group_members(group=group, viewer=request.user))
        return self.get_paginated_response(MembershipSerializer(page, many=True).data)

    @extend_schema(
        request=None, responses={204: None}, tags=["actors"],
        summary="Leave (your own handle), remove a member or withdraw an invitation (as the role rules allow)",
        description="Anyone may leave; admins remove members and withdraw invitations (else 403). The last "
        "admin cannot leave (409): name another admin first.",
    )
    @action(detail=True, methods=["delete"], url_path=r"members/(?P<member>[-a-zA-Z0-9_]+)",
            permission_classes=[permissions.IsAuthenticated])
    def remove_member(self, request: Request, handle: str, member: str) -> Response:
        person = selectors.actor_for_viewer(viewer=request.user, handle=member)
        services.remove_member(group=self.get_object(), editor=request.user, person=person)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _invited_group(self, request: Request, member: str) -> Actor:
        me = selectors.viewer_actor(request.user)
        if me is None or me.handle_key != handle_key(member):
            raise Forbidden(_("Only the invited person can answer an invitation."))
        return self.get_object()

    @extend_schema(request=None, responses={200: MembershipSerializer}, tags=["actors"],
                   summary="Accept an invitation (the invited person): you become a member",
                   description="Only the invited person (`{member}` is their own handle, else 403); no open "
                   "invitation is a 409. The membership starts with the role the invitation named.")
    @action(detail=True, methods=["post"], url_path=r"members/(?P<member>[-a-zA-Z0-9_]+)/accept",
            permission_classes=[permissions.IsAuthenticated])
    def accept_invitation(self, request: Request, handle: str, member: str) -> Response:
        group = self._invited_group(request, member)
        return Response(MembershipSerializer(services.accept_group_invitation(group=group, user=request.user)).data)

    @extend_schema(request=None, responses={204: None}, tags=["actors"],
                   summary="Decline an invitation (the invited person)",
                   description="Only the invited person (else 403); the invitation is gone and grants nothing. No open "
                   "invitation is a 409.")
    @action(detail=True, methods=["post"], url_path=r"members/(?P<member>[-a-zA-Z0-9_]+)/decline",
            permission_classes=[permissions.IsAuthenticated])
    def decline_invitation(self, request: Request, handle: str, member: str) -> Response:
        services.decline_group_invitation(group=self._invited_group(request, member), user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _actor_page(self, request: Request, queryset) -> Response:
        page = self.paginate_queryset(actors_for(request, queryset))
        return self.get_paginated_response(ActorSerializer(page, many=True, context={"request": request}).data)

    @extend_schema(
        responses=ActorSerializer(many=True), tags=["actors"], summary="Who follows this actor",
        description="Actors following it, newest follow first, paginated; suspended ones are left out.",
    )
    @action(detail=True, methods=["get"])
    def followers(self, request: Request, **kwargs) -> Response:
        return self._actor_page(request, follow_selectors.followers_of(self.get_object()))

    @extend_schema(
        responses=ActorSerializer(many=True), tags=["actors"], summary="Whom this actor follows",
        description="The actors it follows, newest follow first, paginated (projects it follows are in "
        "`/api/v1/me/following/` for the caller).",
    )
    @action(detail=True, methods=["get"])
    def following(self, request: Request, **kwargs) -> Response:
        return self._actor_page(request, follow_selectors.following_of(self.get_object()))

    @extend_schema(
        parameters=[ActivityQuerySerializer], responses=ActivityPageSerializer, tags=["actors"],
        summary="The actor's stream",
        description="What the actor did and what was published on its stream, newest first, as `{results, "
        "next}`: only activities the caller may see, in the caller's language. Page older with `before`.",
    )
    @action(detail=True, methods=["get"])
    def activity(self, request: Request, **kwargs) -> Response:
        return stream_response(request, kinds.stream_key(self.get_object()))


# --- Cities ------------------------------------------------------------------


def cities_for(request: Request):
    from projects.selectors import visible_projects

    cities = selectors.visible_actors(request.user).filter(kind=Actor.Kind.CITY)
    return actors_for(request, cities).annotate(
        actors_count=Count("residents", filter=Q(residents__suspended=False), distinct=True),
        projects_count=Count(
            "projects_here", filter=Q(projects_here__in=visible_projects(request.user)), distinct=True
        ),
    ).order_by("handle")


@extend_schema_view(
    list=extend_schema(
        summary="Cities", tags=["cities"],
        description="City actors by handle, paginated, filtered by `country`, each with its accepted peer "
        "cities and its `actors_count` and `projects_count` (what the caller may see).",
    ),
    retrieve=extend_schema(
        summary="A city with its peers and counts", tags=["cities"],
        description="A city: its `peers` (handles of accepted linked cities abroad), region, coordinates, "
        "`actors_count` and `projects_count`. Not a city, or suspended: 404.",
    ),
)
class CityViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    lookup_field = "handle"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"
    serializer_class = CitySerializer
    filterset_class = CityFilter

    def get_queryset(self):
        return cities_for(self.request)

    def get_object(self) -> Actor:
        city = selectors.actor_by_handle(self.get_queryset(), self.kwargs["handle"])  # whatever its case
        if city is None:
            raise Http404
        self.check_object_permissions(self.request, city)
        return city

    def _city(self, handle: str) -> Actor:
        return selectors.actor_for_viewer(viewer=self.request.user, handle=handle, kind=Actor.Kind.CITY)

    @extend_schema(
        request=CityLinkInputSerializer, responses={201: CityLinkSerializer}, tags=["cities"],
        summary="Propose a link to a peer city (admins of this city)",
        description="A pending link from this city to `peer`, until an admin of `peer` accepts it; a link "
        "between the two already is a 409, a city itself a 400.",
    )
    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    def links(self, request: Request, handle: str) -> Response:
        city = self._city(handle)
        data = CityLinkInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        link = services.propose_city_link(city=city, peer=data.validated_data["peer"], editor=request.user)
        return Response(CityLinkSerializer(link).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=None, responses={200: CityLinkSerializer}, tags=["cities"],
        summary="Accept the link that the peer city proposed (admins of this city)",
        description="The two cities become peers: requests to one may reach the other (`include_peer_cities`) "
        "and their events list together (`include_peers=1`). No pending link from `peer` is a 409.",
    )
    @action(
        detail=True, methods=["post"], url_path=r"links/(?P<peer>[-a-zA-Z0-9_]+)/accept",
        permission_classes=[permissions.IsAuthenticated],
    )
    def accept_link(self, request: Request, handle: str, peer: str) -> Response:
        link = services.accept_city_link(city=self._city(handle), peer=self._city(peer), editor=request.user)
        return Response(CityLinkSerializer(link).data)

    @extend_schema(
        request=None, responses={204: OpenApiResponse(description="The link is ended")}, tags=["cities"],
        summary="End a link, pending or accepted (admins of either city)",
        description="Either side ends it (a pending one too, which withdraws or refuses it).",
    )
    @action(
        detail=True, methods=["delete"], url_path=r"links/(?P<peer>[-a-zA-Z0-9_]+)",
        permission_classes=[permissions.IsAuthenticated],
    )
    def end_link(self, request: Request, handle: str, peer: str) -> Response:
        services.end_city_link(city=self._city(handle), peer=self._city(peer), editor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        parameters=[ActivityQuerySerializer], responses=ActivityPageSerializer, tags=["cities"],
        summary="The city's stream: what happens there, newest first",
        description="Activities published on `city:<handle>` that the caller may see, newest first, as "
        "`{results, next}`, in the caller's language; page older with `before`.",
    )
    @action(detail=True, methods=["get"])
    def activity(self, request: Request, handle: str) -> Response:
        return stream_response(request, kinds.stream_key(self._city(handle)))
