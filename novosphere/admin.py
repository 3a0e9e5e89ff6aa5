from django.contrib import admin

from novosphere.models import AuditEntry, OutboxItem


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["created", "action", "subject", "user"]
    list_filter = ["action"]
    search_fields = ["subject"]
    readonly_fields = ["created", "action", "subject", "user", "data"]


@admin.register(OutboxItem)
class OutboxItemAdmin(admin.ModelAdmin):
    """What is still to be done after a commit: rows that stay here are work that keeps failing."""

    list_display = ["id", "kind", "created", "due", "attempts", "last_error"]
    list_filter = ["kind"]
    readonly_fields = ["kind", "payload", "created", "due", "attempts", "last_error"]
