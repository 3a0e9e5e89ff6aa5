"""Every write about an account itself: its address, its password by e-mail, its tokens.

Answers about addresses never tell whether an account uses them, except where
the person already proved who they are (a change of address on /me,
registration), where "taken" is the only useful answer.
"""

import hashlib
import logging
import secrets

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from knox.models import AuthToken

from accounts import keys
from accounts.mail import send_account_email
from accounts.selectors import sole_admin_of
from events import services as event_services
from events.models import Attendance, Event
from feeds import services as feeds
from feeds.models import Activity, Follow, Notification, TimelineEntry
from moderation.models import Block
from novosphere.api.throttling import enforce, hit
from novosphere.errors import Conflict, invalid
from novosphere.models import audit
from novosphere.ws_auth import recheck_connections
from profiles import services as profiles
from profiles.models import Actor, Membership, User
from profiles.selectors import address_taken
from projects import services as project_services
from projects.models import (
    CollaborationRequest,
    CollaborationResponse,
    Project,
    ProjectMember,
    ProjectUpdate,
)
from search.sync import index_on_commit

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
    if user.email:
        # The current address hears of it: a stolen session cannot quietly move the account away.
        send_account_email(user=user, template="email_change", context={"address": email})
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


# --- Erasure -------------------------------------------------------------------------


def _successor(project: Project, me: Actor) -> ProjectMember | None:
    """Who takes over a project its owner leaves: another owner, else its longest-standing maintainer."""
    others = (
        ProjectMember.objects.filter(project=project, actor__kind=Actor.Kind.PERSON, actor__suspended=False,
                                     actor__erased=False)
        .exclude(actor=me)
    )
    for role in (ProjectMember.Role.OWNER, ProjectMember.Role.MAINTAINER):
        found = others.filter(role=role).order_by("created", "id").select_related("actor").first()
        if found is not None:
            return found
    return None


def _hand_over_or_delete_projects(user: User, me: Actor) -> tuple[list[str], list[str]]:
    handed_over, deleted = [], []
    for project in Project.objects.select_for_update().filter(owner=me).order_by("pk"):
        successor = _successor(project, me)
        if successor is None:
            deleted.append(project.slug)
            project_services.delete_project(project=project, editor=user)
            continue
        project.owner = successor.actor
        project.save(update_fields=["owner"])
        successor.role = ProjectMember.Role.OWNER
        successor.save(update_fields=["role"])
        handed_over.append(project.slug)
    for membership in ProjectMember.objects.filter(actor=me).select_related("project"):
        project = membership.project
        membership.delete()
        Project.objects.filter(pk=project.pk).update(
            members_count=ProjectMember.objects.filter(project=project).count()
        )
    return handed_over, deleted


def _leave_or_delete_events(user: User, me: Actor) -> list[str]:
    deleted = []
    for event in Event.objects.filter(organizers=me).order_by("pk"):
        if event.organizers.exclude(pk=me.pk).exists() or event.organizer_projects.exists():
            event.organizers.remove(me)
        else:
            deleted.append(event.slug)
            event.delete()
    for attendance in Attendance.objects.filter(actor=me).select_related("event"):
        event_services.leave(event=attendance.event, user=user)  # the freed place goes to the waiting list
    return deleted


def _end_follows(me: Actor) -> None:
    for follow in Follow.objects.filter(follower=me).select_related("target_actor", "target_project"):
        feeds.unfollow(follower=me, target=follow.target_actor or follow.target_project)
    for follow in Follow.objects.filter(target_actor=me).select_related("follower"):
        feeds.unfollow(follower=follow.follower, target=me)


def _kept_relations() -> set[tuple[type, str]]:
    """What an erased person's remaining actor still answers for: their words in others' spaces."""
    return {(ProjectUpdate, "author"), (CollaborationResponse, "responder")}


def _detach_all_but_kept(me: Actor) -> None:
    """Every other row that still points at the person goes (or lets go, where the
    relation is optional): a relation added later is erased too, without a line here."""
    kept = _kept_relations()
    for relation in Actor._meta.related_objects:
        model, field = relation.related_model, relation.field
        if (model, field.name) in kept:
            continue
        if relation.many_to_many:
            getattr(me, relation.get_accessor_name()).clear()
        elif field.null:
            model._default_manager.filter(**{field.name: me}).update(**{field.name: None})
        else:
            model._default_manager.filter(**{field.name: me}).delete()


@transaction.atomic
def erase_account(*, user: User, password: str) -> dict:
    """Erase the account and the person's data; keep, credited to a former member, what
    they wrote in others' spaces. Returns what was handed over and deleted (for the audit).

    Refused (409) while the person is the only admin of an organization or a city:
    erasing would leave it with no one to run it.
    """
    if not user.check_password(password):
        raise invalid("password", _("Wrong password."))
    user = User.objects.select_for_update().get(pk=user.pk)
    me = Actor.objects.select_for_update().get(user=user)
    orphaned = sole_admin_of(me)
    if orphaned:
        raise Conflict(
            _("You are the only admin of %(names)s. Make another member an admin there, or delete it, "
              "then erase your account.") % {"names": ", ".join(group.name for group in orphaned)}
        )
    index_on_commit(me)  # their profile leaves search (found now, while what it depends on exists)
    was_in = profiles.cities_of(me)
    handed_over, deleted_projects = _hand_over_or_delete_projects(user, me)
    deleted_events = _leave_or_delete_events(user, me)
    CollaborationRequest.objects.filter(author=me).delete()  # their own asks, with the answers to them
    Membership.objects.filter(person=me).delete()
    _end_follows(me)
    Block.objects.filter(Q(blocker=me) | Q(blocked=me)).delete()
    Notification.objects.filter(recipient=me).delete()
    TimelineEntry.objects.filter(owner=me).delete()
    # Their activity, and others' activity naming them ("Bob follows Alice").
    Activity.objects.filter(
        Q(actor=me) | Q(object_type=Actor.Kind.PERSON, object_id=me.handle)
        | Q(target_type=Actor.Kind.PERSON, target_id=me.handle)
    ).delete()
    end_every_token(user)

    kept = {
        "updates": ProjectUpdate.objects.filter(author=me).count(),
        "responses": CollaborationResponse.objects.filter(responder=me).count(),
    }
    me.user = None
    if any(kept.values()):
        # What they wrote in others' spaces stays, under a name that is no one's.
        me.handle = f"former-{secrets.token_hex(6)}"
        me.name = me.headline = me.bio = me.region = me.organization_type = ""
        me.city, me.country = None, ""
        me.latitude = me.longitude = None
        me.followers_count = me.following_count = 0
        me.erased = True
        me.save()
        for field in ("skills", "sectors", "interests"):
            getattr(me, field).clear()
        _detach_all_but_kept(me)
    else:
        me.delete()
    user_id = user.pk
    user.delete()  # the account: address, password, language, reports made, sessions' owner
    profiles.recount_cities(cities=was_in)  # an erased person is counted nowhere on the map
    recheck_connections(user_id)
    summary = {
        "projects_handed_over": handed_over, "projects_deleted": deleted_projects,
        "events_deleted": deleted_events, **{f"kept_{name}": count for name, count in kept.items()},
    }
    audit(user=None, action="account.erase", subject=f"user:{user_id}", **summary)
    logger.info("account erased user=%s %s", user_id, summary)
    return summary
