"""Every write about an account itself: its address, its password by e-mail, its tokens.

Answers about addresses never tell whether an account uses them, except where
the person already proved who they are (a change of address on /me,
registration), where "taken" is the only useful answer.
"""

import hashlib
import logging

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from knox.models import AuthToken

from accounts import keys
from accounts.mail import send_account_email
from novosphere.api.errors import invalid
from novosphere.api.throttling import enforce, hit
from novosphere.models import audit
from novosphere.ws_auth import recheck_connections
from profiles import services as profiles
from profiles.models import Actor, User
from profiles.selectors import address_taken

logger = logging.getLogger(__name__)


def normalized_address(email: str) -> str:
    return email.strip().lower()


def _address_ident(email: str) -> str:
    # The counter's key holds a digest, not the address itself.
    return "address:" + hashlib.sha256(normalized_address(email).encode()).hexdigest()[:32]


def _may_mail_account(user: User) -> bool:
    """Per account: past the limit, further reset and verification e-mails are not sent."""
    return hit("account_email", f"account:{user.pk}") is None


def supported_language(code: str | None) -> str:
    code = (code or "").split("-")[0].lower()
    return code if code in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


# --- Registration and verification ---------------------------------------------------


@transaction.atomic
def register_account(
    *, username: str, password: str, email: str, name: str, city: Actor | None = None, language: str | None = None
) -> tuple[User, Actor]:
    """A new account and its person actor; a verification key goes to the address."""
    user, actor = profiles.register_person(
        username=username, password=password, email=email.strip(), name=name, city=city
    )
    user.language = supported_language(language)
    user.save(update_fields=["language"])
    send_email_verification(user=user)
    return user, actor


def send_email_verification(*, user: User) -> None:
    """Send a key proving the address to verify (the new one while a change waits)."""
    address = keys.address_to_verify(user)
    if not address or not _may_mail_account(user):
        logger.info("verification not sent user=%s (no address or limit reached)", user.pk)
        return
    send_account_email(
        user=user, template="verify_email", to=address,
        context={
            "key": keys.make_key(keys.email_verification_keys, user),
            "address": address,
            "days": settings.EMAIL_VERIFICATION_TIMEOUT // 86400 or 1,
        },
    )


@transaction.atomic
def verify_email(*, key: str) -> User:
    """The key's address becomes the account's, verified; the key then works no more."""
    user = keys.user_for_key(keys.email_verification_keys, key)
    if user is None:
        raise invalid("key", _("This key is not valid: it was already used, has expired or was mistyped."))
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.pending_email:
        if address_taken(user.pending_email, by_other_than=user):
            raise invalid("email", _("This e-mail address is already used by another account."))
        user.email, user.pending_email = user.pending_email, ""
    user.email_verified = True
    try:
        with transaction.atomic():
            user.save(update_fields=["email", "pending_email", "email_verified"])
    except IntegrityError:
        raise invalid("email", _("This e-mail address is already used by another account.")) from None
    audit(user=user, action="email.verify", subject=f"user:{user.pk}")
    logger.info("e-mail verified user=%s", user.pk)
    return user


@transaction.atomic
def update_account(*, user: User, email: str | None = None, language: str | None = None) -> User:
    """Account settings from /me. A new address waits, unverified, beside the old one,
    which stays the account's until the key sent to the new one comes back."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if language is not None:
        user.language = supported_language(language)
        user.save(update_fields=["language"])
    if email is None:
        return user
    email = email.strip()
    if normalized_address(email) == normalized_address(user.email):
        if user.pending_email:  # back to the current address: the change is called off
            user.pending_email = ""
            user.save(update_fields=["pending_email"])
        return user
    if address_taken(email, by_other_than=user):
        raise invalid("email", _("This e-mail address is already used by another account."))
    enforce("account_email", f"account:{user.pk}")
    user.pending_email = email
    user.save(update_fields=["pending_email"])
    audit(user=user, action="email.change_requested", subject=f"user:{user.pk}")
    send_account_email(
        user=user, template="verify_email", to=email,
        context={
            "key": keys.make_key(keys.email_verification_keys, user),
            "address": email,
            "days": settings.EMAIL_VERIFICATION_TIMEOUT // 86400 or 1,
        },
    )
    return user


# --- Password reset ------------------------------------------------------------------


def request_password_reset(*, email: str) -> None:
    """Mail a reset key if an active account has this address; the same answer either way.

    The per-address limit counts unknown addresses too, so its 429 tells nothing."""
    enforce("password_reset", _address_ident(email))
    user = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
    if user is None:
        logger.info("password reset asked for an unknown address")
        return
    if not _may_mail_account(user):
        logger.info("password reset not sent user=%s (limit reached)", user.pk)
        return
    send_account_email(
        user=user, template="password_reset",
        context={
            "key": keys.make_key(keys.password_reset_keys, user),
            "minutes": settings.PASSWORD_RESET_TIMEOUT // 60 or 1,
        },
    )


@transaction.atomic
def reset_password(*, key: str, password: str) -> User:
    """A new password from a reset key; every token and session of the account ends."""
    user = keys.user_for_key(keys.password_reset_keys, key)
    if user is None:
        raise invalid("key", _("This key is not valid: it was already used, has expired or was mistyped."))
    user = User.objects.select_for_update().get(pk=user.pk)
    try:
        password_validation.validate_password(password, user)
    except DjangoValidationError as error:
        raise invalid("password", error.messages[0]) from None
    user.set_password(password)  # voids the key: it was signed over the old hash
    # The key came to this address, so the address is proven.
    user.email_verified = user.email_verified or bool(user.email)
    user.save(update_fields=["password", "email_verified"])
    end_every_token(user)
    audit(user=user, action="password.reset", subject=f"user:{user.pk}")
    logger.info("password reset user=%s tokens and sessions ended", user.pk)
    return user


# --- Tokens --------------------------------------------------------------------------


def end_every_token(user: User) -> None:
    """Every token of the account stops working and its sockets close; sessions end too,
    as Django checks each session's copy of the password hash."""
    for token in AuthToken.objects.filter(user=user):
        token.delete()  # one by one, so each open socket hears of it
    recheck_connections(user.pk)


def prune_expired_tokens() -> int:
    """Delete the tokens past their expiry (they already answer 401); sockets opened with them close."""
    expired = AuthToken.objects.filter(expiry__lt=timezone.now())
    count = 0
    for token in expired.iterator():
        token.delete()
        count += 1
    logger.info("pruned expired tokens count=%d", count)
    return count
