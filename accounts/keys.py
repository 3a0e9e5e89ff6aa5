"""Keys sent by e-mail, on Django's token machinery: `<account>-<timestamp>-<signature>`.

Each key is signed over the state it changes, so it works once and no longer
than its timeout: a reset key over the password hash and the address (a new
password voids it), a verification key over the address it verifies and
whether that is done.
"""

from datetime import datetime

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils.crypto import constant_time_compare
from django.utils.http import base36_to_int, int_to_base36

from profiles.models import User

MAX_KEY_LENGTH = 100


class PasswordResetKeys(PasswordResetTokenGenerator):
    """Django's reset tokens (PASSWORD_RESET_TIMEOUT), under a salt of our own."""

    key_salt = "novosphere.accounts.password_reset"


def address_to_verify(user: User) -> str:
    """The address a verification key proves: the new one while a change waits."""
    return user.pending_email or user.email


class EmailVerificationKeys(PasswordResetTokenGenerator):
    key_salt = "novosphere.accounts.email_verification"

    def _make_hash_value(self, user: User, timestamp: int) -> str:
        return f"{user.pk}|{address_to_verify(user).lower()}|{user.email_verified}|{timestamp}"

    def check_token(self, user: User, token: str) -> bool:
        # Django's check reads PASSWORD_RESET_TIMEOUT; verification keys live longer.
        try:
            ts_b36, _signature = token.split("-")
            timestamp = base36_to_int(ts_b36)
        except ValueError:
            return False
        if not any(
            constant_time_compare(self._make_token_with_timestamp(user, timestamp, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        ):
            return False
        age = self._num_seconds(datetime.now()) - timestamp
        return 0 <= age <= settings.EMAIL_VERIFICATION_TIMEOUT


password_reset_keys = PasswordResetKeys()
email_verification_keys = EmailVerificationKeys()


def make_key(generator: PasswordResetTokenGenerator, user: User) -> str:
    return f"{int_to_base36(user.pk)}-{generator.make_token(user)}"


def user_for_key(generator: PasswordResetTokenGenerator, key: str) -> User | None:
    """The active account a key was made for, if the key still holds; None otherwise."""
    if not isinstance(key, str) or len(key) > MAX_KEY_LENGTH:
        return None
    account, _sep, token = key.strip().partition("-")
    try:
        pk = base36_to_int(account)
    except ValueError:
        return None
    user = User.objects.filter(pk=pk, is_active=True).first()
    if user is None or not generator.check_token(user, token):
        return None
    return user
