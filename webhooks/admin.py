from django.contrib import admin

from webhooks.models import Subscription


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["id", "owner", "url", "created"]
    search_fields = ["url", "owner__username"]
    exclude = ["secret"]
    readonly_fields = ["destination"]
