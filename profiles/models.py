from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_countries.fields import CountryField

from novosphere.keys import FoldedKeyField, KeyedModel, refresh_keys

HANDLE_TAKEN = _("This handle is already taken.")
CITY_NAME_TAKEN = _("A city by this name already exists.")


class User(AbstractUser):
    """The account; its public face is its person `Actor`.

    `email` is the address the account answers to (password resets go there);
    a new address waits in `pending_email` until its key comes back, so a typo
    never locks a person out.
    """

    email_verified = models.BooleanField(default=False)
    pending_email = models.EmailField(blank=True)
    # The language of the e-mails the account receives: from Accept-Language at
    # registration, then as the person sets it on /me.
    language = models.CharField(max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE)

    class Meta(AbstractUser.Meta):
        constraints = [
            # Two accounts never share an address, whatever its case; accounts
            # made without one (the admin's createsuperuser, tests) are left out.
            models.UniqueConstraint(Lower("email"), condition=~Q(email=""), name="one_account_per_email"),
        ]


class Tag(models.Model):
    """A skill, sector or interest, named by its slug (`python`, `sante`, `smart-city`)."""

    slug = models.SlugField(max_length=50, unique=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug


class Actor(KeyedModel):
    """A person, an organization or a city: anything that can act and be followed."""

    class Kind(models.TextChoices):
        PERSON = "person", _("person")
        ORGANIZATION = "organization", _("organization")
        CITY = "city", _("city")

    class OrganizationType(models.TextChoices):
        STARTUP = "startup", _("startup")
        COMPANY = "company", _("company")
        LAB = "lab", _("lab")
        UNIVERSITY = "university", _("university")
        ASSOCIATION = "association", _("association")
        INCUBATOR = "incubator", _("incubator")
        FABLAB = "fablab", _("fablab")
        PUBLIC_BODY = "public_body", _("public body")
        INVESTOR = "investor", _("investor")
        MEDIA = "media", _("media")
        CLUSTER = "cluster", _("cluster")

    # Local handles are slugs; remote actors (federation) are `name@host[:port]`.
    handle = models.SlugField(max_length=80, unique=True)
    # One handle to a reader is one handle here: `Spx-EvilOrg` cannot stand beside
    # `spx-evilorg`, nor `élodie` beside `elodie` (novosphere/keys.py).
    handle_key = FoldedKeyField(source="handle", unique=True)
    kind = models.CharField(max_length=12, choices=Kind.choices, db_index=True)
    user = models.OneToOneField(
        "profiles.User", null=True, blank=True, on_delete=models.CASCADE, related_name="actor"
    )
    name = models.CharField(max_length=120)
    # Two cities of this instance never share a name (case, accents and punctuation aside).
    name_key = FoldedKeyField(source="name", folding="name")
    headline = models.CharField(max_length=200, blank=True)
    bio = models.TextField(max_length=5000, blank=True)
    city = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="residents",
        limit_choices_to={"kind": "city"},
    )
    country = CountryField(blank=True, db_index=True)
    skills = models.ManyToManyField(Tag, blank=True, related_name="actors_with_skill")
    sectors = models.ManyToManyField(Tag, blank=True, related_name="actors_in_sector")
    interests = models.ManyToManyField(Tag, blank=True, related_name="actors_interested")
    organization_type = models.CharField(max_length=20, choices=OrganizationType.choices, blank=True)
    region = models.CharField(max_length=120, blank=True)
    latitude = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    longitude = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )
    # Counters kept by feeds.services.follow/unfollow so lists never count rows.
    followers_count = models.PositiveIntegerField(default=0)
    following_count = models.PositiveIntegerField(default=0)
    # A moderator's suspension hides the actor on every path.
    suspended = models.BooleanField(default=False, db_index=True)
    # A city speaks for a place only once a moderator has checked it
    # (POST /api/v1/moderation/actors/{handle}/verify/); new cities start unverified.
    verified = models.BooleanField(default=False)
    # What remains of a person who erased their account while their updates and
    # responses in others' spaces stay: no account, no personal data, shown as
    # "Former member" beside those, absent everywhere else.
    erased = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["handle"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="person") | Q(user__isnull=True), name="only_people_have_accounts"
            ),
            # Remote cities (`name@host`) are named by their own instance, so they are left out.
            models.UniqueConstraint(
                fields=["name_key"], condition=Q(kind="city") & ~Q(handle__contains="@"),
                name="one_city_per_name",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (@{self.handle})"

    def clean(self):
        """A handle another actor already has, or the name of another of our cities, is taken."""
        refresh_keys(self)
        errors = {}
        if self.others_with(handle_key=self.handle_key).exists():
            errors["handle"] = [HANDLE_TAKEN]
        if self.kind == self.Kind.CITY and not self.is_remote and self.others_with(
            kind=self.Kind.CITY, name_key=self.name_key
        ).exclude(handle__contains="@").exists():
            errors["name"] = [CITY_NAME_TAKEN]
        if errors:
            raise ValidationError(errors)

    @property
    def is_remote(self) -> bool:
        """An actor of another instance (federation): its handle is `name@host`."""
        return "@" in self.handle

    @property
    def is_group(self) -> bool:
        return self.kind in (self.Kind.ORGANIZATION, self.Kind.CITY)


class Membership(models.Model):
    """A person in an organization or a city, as `admin` or `member`."""

    class Role(models.TextChoices):
        ADMIN = "admin", _("admin")
        MEMBER = "member", _("member")

    person = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="memberships")
    group = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="members")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created", "id"]
        constraints = [
            models.UniqueConstraint(fields=["person", "group"], name="one_membership_per_group")
        ]

    def __str__(self) -> str:
        return f"{self.person.handle} {self.role} of {self.group.handle}"


class GroupInvitation(models.Model):
    """An offer to join an organization or a city; it grants nothing until the person accepts
    (then it becomes a `Membership` and is deleted), and is deleted when they decline."""

    person = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="group_invitations")
    group = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="invitations")
    role = models.CharField(max_length=10, choices=Membership.Role.choices, default=Membership.Role.MEMBER)
    invited_by = models.ForeignKey(Actor, null=True, on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created", "id"]
        constraints = [models.UniqueConstraint(fields=["person", "group"], name="one_invitation_per_group")]

    def __str__(self) -> str:
        return f"{self.person.handle} invited as {self.role} of {self.group.handle}"


class CityLink(models.Model):
    """A link between a city and a peer city abroad: proposed, then accepted by the peer."""

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("link status", "pending")
        ACCEPTED = "accepted", pgettext_lazy("link status", "accepted")

    from_city = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="links_proposed")
    to_city = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="links_received")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created", "id"]
        constraints = [
            models.UniqueConstraint(fields=["from_city", "to_city"], name="one_link_per_pair"),
            models.CheckConstraint(condition=~Q(from_city=models.F("to_city")), name="no_self_link"),
        ]

    def __str__(self) -> str:
        return f"{self.from_city.handle} → {self.to_city.handle} ({self.status})"


class CityActorCount(models.Model):
    """How many actors every viewer may see cluster at a city, per kind of actor.

    The map's `cluster=city` reads these few hundred rows instead of counting every actor
    at each request. They are derived, never written by hand: `profiles.services.
    recount_cities` recounts a city from the visibility rule (`visible_actors`) in the
    transaction of each write that creates, moves, suspends, erases or deletes an actor.
    """

    city = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=Actor.Kind.choices)
    count = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["city", "kind"], name="one_count_per_city_and_kind")]

    def __str__(self) -> str:
        return f"{self.count} {self.kind} at {self.city_id}"
