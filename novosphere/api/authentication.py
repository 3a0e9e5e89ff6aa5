"""Token authentication: knox's hashed tokens, with fewer queries per request."""

from hmac import compare_digest

from django.db import router
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox import auth as knox_auth
from knox.crypto import hash_token
from knox.models import get_token_model
from knox.settings import CONSTANTS, knox_settings
from rest_framework import exceptions

from novosphere.compiled import compiled_objects


class TokenAuthentication(knox_auth.TokenAuthentication):
    """knox's check, minus two queries on every authenticated request.

    knox loads every token of the user to prune the expired ones on each
    request, then the view loads the user's actor. Here only the presented
    token's own expiry is checked (an expired token is a 401; pruning the
    others is `accounts.tasks.prune_tokens`, on Celery beat), and the actor
    comes with the user in the same query. A token in use slides: each use
    pushes its expiry TOKEN_TTL ahead, written at most once per
    TOKEN_RENEW_INTERVAL. The query runs on every request: it is compiled once.
    """

    def authenticate_credentials(self, token: bytes):
        message = _("Invalid token.")
        try:
            token = token.decode("utf-8")
            digest = hash_token(token)
        except (TypeError, ValueError, UnicodeError):
            raise exceptions.AuthenticationFailed(message) from None
        token_model = get_token_model()
        candidates = compiled_objects(
            "accounts.tokens", _tokens_with_user, using=router.db_for_read(token_model), key=token[: CONSTANTS.TOKEN_KEY_LENGTH],
        )
        for auth_token in candidates:
            if not compare_digest(digest, auth_token.digest):
                continue
            if auth_token.expiry is not None and auth_token.expiry < timezone.now():
                auth_token.delete()
                break
            if knox_settings.AUTO_REFRESH and auth_token.expiry is not None:
                self.renew_token(auth_token)
            return self.validate_user(auth_token)
        raise exceptions.AuthenticationFailed(message)


def _tokens_with_user(key):
    return get_token_model().objects.filter(token_key=key).select_related("user", "user__actor")


class TokenScheme(KnoxTokenScheme):
    """The OpenAPI security scheme of our token check: the same as knox's."""

    target_class = TokenAuthentication
