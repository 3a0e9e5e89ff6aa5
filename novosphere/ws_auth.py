"""Who is on the other end of a websocket: `?token=` first, else the session cookie."""

from urllib.parse import parse_qs

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.security.websocket import OriginValidator
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from rest_framework.exceptions import AuthenticationFailed

from novosphere.api.authentication import TokenAuthentication


@database_sync_to_async
def user_for_token(token: str):
    """The active user owning `token`, and the token row; (None, None) if it is not valid."""
    try:
        user, auth_token = TokenAuthentication().authenticate_credentials(token.encode())
    except (AuthenticationFailed, UnicodeError):
        return None, None
    return user, auth_token


class TokenAuthMiddleware:
    """Puts `user` (and `auth_token` when a token was given) in the scope.

    A `?token=` that does not authenticate leaves an anonymous user, even if
    a session cookie is present: a bad token is an error, not a fallback.
    """

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        token = query_token(scope)
        if token is not None:
            user, auth_token = await user_for_token(token)
            scope = {**scope, "user": user or AnonymousUser(), "auth_token": auth_token, "auth_by": "token"}
            return await self.app(scope, receive, send)
        scope = {**scope, "auth_by": "session"}
        return await AuthMiddlewareStack(self.app)(scope, receive, send)


def query_token(scope) -> str | None:
    """The `?token=` of a websocket URL, if it carries one."""
    tokens = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token")
    return tokens[0][:200] if tokens else None


class BrowserOriginValidator(OriginValidator):
    """The origin rule of the websocket.

    A `?token=` client is accepted from any origin: a token is a credential no
    other site holds, and a token that does not authenticate never falls back to
    the cookie (`TokenAuthMiddleware`). A session-cookie client is accepted only
    from ALLOWED_HOSTS or CORS_ALLOWED_ORIGINS, so no other site can open a socket
    riding a logged-in user's cookie. Clients that send no Origin (apps, scripts)
    are not browsers: nobody else's cookie rides on them."""

    async def __call__(self, scope, receive, send):
        if query_token(scope) is not None:
            return await self.application(scope, receive, send)
        return await super().__call__(scope, receive, send)

    def valid_origin(self, parsed_origin) -> bool:
        if parsed_origin is None:
            return True
        return super().valid_origin(parsed_origin)


def origin_checked(app):
    allowed_hosts = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed_hosts:
        allowed_hosts = ["localhost", "127.0.0.1", "[::1]"]
    return BrowserOriginValidator(app, [*allowed_hosts, *settings.CORS_ALLOWED_ORIGINS])


def still_authorized(scope) -> bool:
    """Whether the credentials a socket connected with are still good: the token not
    revoked, the session not ended, the account active, its actor not suspended."""
    from django.contrib.auth import HASH_SESSION_KEY
    from django.contrib.sessions.models import Session
    from django.db.models import Q
    from django.utils import timezone
    from django.utils.crypto import constant_time_compare
    from knox.models import AuthToken

    user = scope.get("user")
    if user is None or not user.is_authenticated:
        return False
    try:
        user.refresh_from_db(fields=["is_active"])
    except type(user).DoesNotExist:  # the account was erased
        return False
    actor = getattr(user, "actor", None)
    if not user.is_active or actor is None:
        return False
    actor.refresh_from_db(fields=["suspended"])
    if actor.suspended:
        return False
    if scope.get("auth_by") == "token":
        token = scope.get("auth_token")
        live = AuthToken.objects.filter(pk=token.pk) if token is not None else AuthToken.objects.none()
        return live.filter(Q(expiry__isnull=True) | Q(expiry__gt=timezone.now())).exists()
    session = scope.get("session")
    key = getattr(session, "session_key", None)
    if not key or not Session.objects.filter(session_key=key, expire_date__gt=timezone.now()).exists():
        return False
    # A password change leaves the session row but not its copy of the password hash.
    return constant_time_compare(session.get(HASH_SESSION_KEY, ""), user.get_session_auth_hash())


def group_for_user(user_id: int) -> str:
    return f"user.{user_id}"


def recheck_connections(user_id: int) -> None:
    """Ask every open socket of a user to check its credentials again (after commit)."""
    from novosphere.dispatch import AUTH_CHECK, tell_user_sockets_on_commit

    tell_user_sockets_on_commit(user_id, AUTH_CHECK)
