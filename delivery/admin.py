from django.contrib import admin

from delivery.models import Delivery, Destination


@admin.register(Destination)
class DestinationAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "url", "state", "failing_since", "last_success"]
    list_filter = ["kind", "state"]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["message_id", "destination", "activity", "state", "attempts", "due"]
    list_filter = ["state"]
    raw_id_fields = ["destination", "activity"]
