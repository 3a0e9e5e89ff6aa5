from django.contrib import admin

from novosphere.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["created", "action", "subject", "user"]
    list_filter = ["action"]
    search_fields = ["subject"]
    readonly_fields = ["created", "action", "subject", "user", "data"]
