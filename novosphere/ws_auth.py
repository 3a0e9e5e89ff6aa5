"""Who is on the other end of a websocket: `?token=` first, else the session cookie."""

from urllib.parse import parse_qs

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.security.websocket import OriginValidator
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from knox.auth import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed


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
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        tokens = query.get("token")
        if tokens:
            user, auth_token = await user_for_token(tokens[0][:200])
            scope = {**scope, "user": user or AnonymousUser(), "auth_token": auth_token, "auth_by": "token"}
            return await self.app(scope, receive, send)
        scope = {**scope, "auth_by": "session"}
        return await AuthMiddlewareStack(self.app)(scope, receive, send)


class BrowserOriginValidator(OriginValidator):
    """Browsers always send an Origin: it must be one of ALLOWED_HOSTS, so no other
    site can open a socket riding a logged-in user's session cookie. Clients that
    send no Origin (apps, scripts) are not browsers and carry their own token."""

    def valid_origin(self, parsed_origin) -> bool:
        if parsed_origin is None:
            return True
        return super().valid_origin(parsed_origin)


def origin_checked(app):
    allowed_hosts = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed_hosts:
        allowed_hosts = ["localhost", "127.0.0.1", "[::1]"]
    return BrowserOriginValidator(app, allowed_hosts)
