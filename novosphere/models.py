from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditEntry(models.Model):
    """What moderators may need to reconstruct, written in the same transaction as the change."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    action = models.CharField(max_length=64)
    subject = models.CharField(max_length=200, help_text="kind:key of the object changed")
    data = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.created:%Y-%m-%d %H:%M} {self.action} {self.subject}"


def audit(*, user, action: str, subject: str, **data) -> AuditEntry:
    return AuditEntry.objects.create(user=user, action=action, subject=subject, data=data)


class OutboxItem(models.Model):
    """One piece of work to do after a commit (see `novosphere.publisher`).

    Written in the writer's transaction, so it exists exactly when the change
    it follows does; deleted once its handler has run. A row still here after
    the sweep's grace is work whose task or process was lost.
    """

    kind = models.CharField(max_length=50)  # the registered kind of work: "feeds.fan_out", ...
    payload = models.JSONField(default=dict)
    created = models.DateTimeField(default=timezone.now)
    # Not taken before this: a retry's backoff, or the lease of whoever is running it.
    due = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["due", "id"], name="outbox_due")]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"
