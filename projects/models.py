from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from novosphere.keys import FoldedKeyField, KeyedModel, refresh_keys
from profiles.models import Actor, Tag


class Visibility(models.TextChoices):
    PUBLIC = "public", _("public")
    MEMBERS = "members", _("signed-in users")
    PRIVATE = "private", _("project members only")


class Project(KeyedModel):
    class Stage(models.TextChoices):
        IDEA = "idea", _("idea")
        PROTOTYPE = "prototype", _("prototype")
        LAUNCHED = "launched", _("launched")
        SCALING = "scaling", _("scaling")

    slug = models.SlugField(max_length=80, unique=True)
    # `Open-Lab` and `open-lab` are one slug to a reader (novosphere/keys.py).
    slug_key = FoldedKeyField(source="slug", unique=True)
    title = models.CharField(max_length=160)
    summary = models.CharField(max_length=300, blank=True)
    description = models.TextField(max_length=20000, blank=True)
    owner = models.ForeignKey(Actor, on_delete=models.PROTECT, related_name="owned_projects")
    city = models.ForeignKey(
        Actor,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="projects_here",
        limit_choices_to={"kind": "city"},
    )
    stage = models.CharField(max_length=12, choices=Stage.choices, default=Stage.IDEA, db_index=True)
    sectors = models.ManyToManyField(Tag, blank=True, related_name="projects_in_sector")
    needed_skills = models.ManyToManyField(Tag, blank=True, related_name="projects_needing")
    needed_partner_kinds = models.JSONField(default=list, blank=True)
    needs_text = models.TextField(max_length=2000, blank=True)
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC, db_index=True
    )
    followers_count = models.PositiveIntegerField(default=0)
    members_count = models.PositiveIntegerField(default=0)
    # A moderator's decision (who, when and why: the audit row): hidden on every path.
    hidden = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return self.title

    def clean(self):
        refresh_keys(self)
        if self.others_with(slug_key=self.slug_key).exists():
            raise ValidationError({"slug": [_("This slug is already taken.")]})


class ProjectMember(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", _("owner")
        MAINTAINER = "maintainer", _("maintainer")
        CONTRIBUTOR = "contributor", _("contributor")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    actor = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="project_memberships")
    role = models.CharField(max_length=12, choices=Role.choices, default=Role.CONTRIBUTOR)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "actor"], name="one_role_per_project")
        ]

    def __str__(self) -> str:
        return f"{self.actor.handle} {self.role} of {self.project.slug}"


class ProjectInvitation(models.Model):
    """An offer to join a project (a person, or an organization through its admins); it
    grants nothing until accepted (then it becomes a `ProjectMember` and is deleted)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="invitations")
    actor = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="project_invitations")
    role = models.CharField(max_length=12, choices=ProjectMember.Role.choices, default=ProjectMember.Role.CONTRIBUTOR)
    invited_by = models.ForeignKey(Actor, null=True, on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created", "id"]
        constraints = [models.UniqueConstraint(fields=["project", "actor"], name="one_invitation_per_project")]

    def __str__(self) -> str:
        return f"{self.actor.handle} invited as {self.role} of {self.project.slug}"


class ProjectUpdate(models.Model):
    """A news post on a project page: markdown as written, and its sanitized HTML."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="updates")
    author = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="project_updates")
    body = models.TextField(max_length=20000)
    # Rendered once at write time so reads never run the markdown pipeline.
    html = models.TextField()
    hidden = models.BooleanField(default=False)  # by a moderator
    published = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-published", "-id"]

    def __str__(self) -> str:
        return f"update {self.pk} of {self.project.slug}"


class CollaborationRequest(models.Model):
    """A call for partners, addressed to exactly one actor, project or city."""

    class Kind(models.TextChoices):
        PARTNERSHIP = "partnership", _("partnership")
        RESEARCH = "research", _("research")
        MENTORING = "mentoring", _("mentoring")
        FUNDING = "funding", _("funding")
        HOSTING = "hosting", _("hosting")
        EVENT = "event", _("event")

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("request status", "open")
        ACCEPTED = "accepted", pgettext_lazy("request status", "accepted")
        DECLINED = "declined", pgettext_lazy("request status", "declined")
        WITHDRAWN = "withdrawn", pgettext_lazy("request status", "withdrawn")
        CLOSED = "closed", pgettext_lazy("request status", "closed")

    title = models.CharField(max_length=160)
    message = models.TextField(max_length=5000)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.PARTNERSHIP, db_index=True)
    author = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="collaboration_requests")
    from_project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.CASCADE, related_name="requests_sent"
    )
    origin_city = models.ForeignKey(
        Actor, null=True, blank=True, on_delete=models.SET_NULL, related_name="requests_from_here",
        limit_choices_to={"kind": "city"},
    )
    to_actor = models.ForeignKey(
        Actor, null=True, blank=True, on_delete=models.CASCADE, related_name="requests_received"
    )
    to_project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.CASCADE, related_name="requests_received"
    )
    to_city = models.ForeignKey(
        Actor, null=True, blank=True, on_delete=models.CASCADE, related_name="requests_to_city",
        limit_choices_to={"kind": "city"},
    )
    include_peer_cities = models.BooleanField(default=False)
    needed_skills = models.ManyToManyField(Tag, blank=True, related_name="requests_needing")
    needed_sectors = models.ManyToManyField(Tag, blank=True, related_name="requests_in_sector")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    deadline = models.DateTimeField()
    # A request opened without a deadline closes at the end of the day this many days later.
    DEFAULT_DEADLINE_DAYS = 30
    responses_count = models.PositiveIntegerField(default=0)
    accepted_response = models.ForeignKey(
        "CollaborationResponse", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    hidden = models.BooleanField(default=False)  # by a moderator
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(to_actor__isnull=False, to_project__isnull=True, to_city__isnull=True)
                | Q(to_actor__isnull=True, to_project__isnull=False, to_city__isnull=True)
                | Q(to_actor__isnull=True, to_project__isnull=True, to_city__isnull=False),
                name="request_has_one_target",
            ),
        ]
        # The auto-close sweep reads open requests by deadline.
        indexes = [models.Index(fields=["status", "deadline"], name="request_open_by_deadline")]

    def __str__(self) -> str:
        return self.title

    @property
    def target(self):
        return self.to_actor or self.to_project or self.to_city


class CollaborationResponse(models.Model):
    """An offer to collaborate on a request, by a person, possibly for an organization or project."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("response status", "open")
        ACCEPTED = "accepted", pgettext_lazy("response status", "accepted")
        NOT_CHOSEN = "not_chosen", pgettext_lazy("response status", "not chosen")

    request = models.ForeignKey(CollaborationRequest, on_delete=models.CASCADE, related_name="responses")
    responder = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="collaboration_responses")
    on_behalf_of = models.ForeignKey(
        Actor, null=True, blank=True, on_delete=models.SET_NULL, related_name="responses_on_behalf"
    )
    on_behalf_of_project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.SET_NULL, related_name="responses_on_behalf"
    )
    message = models.TextField(max_length=5000)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created", "id"]
        constraints = [
            # The database, not a read-then-write check, makes "one open response each" race-free.
            models.UniqueConstraint(
                fields=["request", "responder"], condition=Q(status="open"), name="one_open_response_each"
            ),
        ]

    def __str__(self) -> str:
        return f"response {self.pk} to request {self.request_id}"
