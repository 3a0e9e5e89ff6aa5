from django.contrib import admin

from federation.models import DomainBlock, InboxItem, RemoteActor, RemoteObject


@admin.register(DomainBlock)
class DomainBlockAdmin(admin.ModelAdmin):
    list_display = ["domain", "reason", "created_by", "created"]
    search_fields = ["domain"]
    readonly_fields = ["created_by", "created"]

    def save_model(self, request, obj, form, change):
        from federation import services

        services.block_domain(domain=obj.domain, reason=obj.reason, user=request.user)

    def delete_model(self, request, obj):
        from federation import services

        services.unblock_domain(domain=obj.domain, user=request.user)


@admin.register(RemoteActor)
class RemoteActorAdmin(admin.ModelAdmin):
    list_display = ["uri", "domain", "type", "fetched"]
    search_fields = ["uri", "domain"]
    list_filter = ["type"]


@admin.register(RemoteObject)
class RemoteObjectAdmin(admin.ModelAdmin):
    list_display = ["uri", "type", "public", "published", "deleted"]
    search_fields = ["uri"]


@admin.register(InboxItem)
class InboxItemAdmin(admin.ModelAdmin):
    list_display = ["uri", "type", "received", "processed"]
    search_fields = ["uri"]
