from django.contrib import admin
from django.http import HttpResponse
from django.utils.translation import gettext as _

from novosphere.api.throttling import login_refused
from novosphere.models import AuditEntry, OutboxItem


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["created", "action", "subject", "user"]
    list_filter = ["action"]
    search_fields = ["subject"]
    readonly_fields = ["created", "action", "subject", "user", "data"]


def login_with_limits(request, extra_context=None):
    """The admin's login page under the same failed-login limits as the API's.

    Failures are counted by `novosphere.signals`; here a login is refused once
    the account's or the address's window is spent."""
    if request.method == "POST":
        wait = login_refused(request, request.POST.get("username", ""))
        if wait is not None:
            response = HttpResponse(
                _("Too many failed logins; try again later."), status=429, content_type="text/plain; charset=utf-8"
            )
            response["Retry-After"] = str(int(wait) + 1)
            return response
    return admin.site.login(request, extra_context)


@admin.register(OutboxItem)
class OutboxItemAdmin(admin.ModelAdmin):
    """What is still to be done after a commit: rows that stay here are work that keeps failing."""

    list_display = ["id", "kind", "created", "due", "attempts", "last_error"]
    list_filter = ["kind"]
    readonly_fields = ["kind", "payload", "created", "due", "attempts", "last_error"]
