from django.conf import settings
from django.db import models


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
