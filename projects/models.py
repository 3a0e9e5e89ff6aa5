from django.db import models
from django.utils.translation import gettext_lazy as _

from profiles.models import Actor, Tag


class Visibility(models.TextChoices):
    PUBLIC = "public", _("public")
    MEMBERS = "members", _("signed-in users")
    PRIVATE = "private", _("project members only")


class Project(models.Model):
    class Stage(models.TextChoices):
        IDEA = "idea", _("idea")
        PROTOTYPE = "prototype", _("prototype")
        LAUNCHED = "launched", _("launched")
        SCALING = "scaling", _("scaling")

    slug = models.SlugField(max_length=80, unique=True)
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
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return self.title


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
