"""Blocks between actors and reports of content to the moderators."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from profiles.models import Actor


class Block(models.Model):
    """`blocker` (a person) no longer hears from `blocked` (a person or an organization)."""

    blocker = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="blocks_made")
    blocked = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="blocks_received")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            # Also the index of "whom does this reader block" (blocker first).
            models.UniqueConstraint(fields=["blocker", "blocked"], name="block_once"),
            models.CheckConstraint(condition=~Q(blocker=models.F("blocked")), name="no_self_block"),
        ]
        # "Who among these recipients blocks this author": read on every notifying write.
        indexes = [models.Index(fields=["blocked", "blocker"], name="block_by_blocked")]

    def __str__(self) -> str:
        return f"{self.blocker_id} blocks {self.blocked_id}"


class Report(models.Model):
    """A signed-in user's report of an actor or a piece of content, until a moderator resolves it."""

    class TargetType(models.TextChoices):
        ACTOR = "actor", _("actor")
        PROJECT = "project", _("project")
        COLLABORATION = "collaboration", _("collaboration request")
        UPDATE = "update", _("project update")

    class Reason(models.TextChoices):
        SPAM = "spam", _("spam")
        ABUSE = "abuse", _("abuse")
        INAPPROPRIATE = "inappropriate", _("inappropriate")
        OTHER = "other", _("other")

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("report status", "open")
        RESOLVED = "resolved", pgettext_lazy("report status", "resolved")

    class Resolution(models.TextChoices):
        DISMISS = "dismiss", _("dismissed")
        HIDE = "hide", _("hidden")
        SUSPEND = "suspend", _("suspended")

    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports_made")
    target_type = models.CharField(max_length=20, choices=TargetType.choices)
    # The target's primary key (what resolving acts on) and its public id (handle,
    # slug or number) as the reporter named it, for the moderators' list.
    target_pk = models.BigIntegerField()
    target_ident = models.CharField(max_length=80)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    message = models.TextField(max_length=2000, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    resolution = models.CharField(max_length=10, choices=Resolution.choices, blank=True)
    resolution_reason = models.CharField(max_length=500, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="reports_resolved"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            # One open report per person and target: the database makes a repeat race-free.
            models.UniqueConstraint(
                fields=["reporter", "target_type", "target_pk"], condition=Q(status="open"),
                name="one_open_report_per_target",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-id"], name="report_queue"),
            models.Index(fields=["target_type", "target_pk", "status"], name="report_by_target"),
        ]

    def __str__(self) -> str:
        return f"report {self.pk} {self.target_type}:{self.target_ident} ({self.status})"
