from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from profiles.models import Actor, CityLink, Membership, Tag, User
from profiles.services import cities_of, recount_cities, set_suspended, set_verified

admin.site.register(User, UserAdmin)


@admin.register(Actor)
class ActorAdmin(admin.ModelAdmin):
    list_display = ["handle", "name", "kind", "city", "country", "verified", "suspended"]
    list_filter = ["kind", "verified", "suspended", "organization_type", "country"]
    search_fields = ["handle", "name"]
    raw_id_fields = ["user", "city"]
    filter_horizontal = ["skills", "sectors", "interests"]
    # Changed by the actions below only, so each change is audited.
    readonly_fields = ["verified", "suspended"]
    actions = ["suspend", "unsuspend", "verify", "unverify"]

    # An actor added, moved or deleted here moves the map's per-city counts too.
    def save_model(self, request, obj, form, change):
        was_in = cities_of(Actor.objects.get(pk=obj.pk)) if change else set()
        super().save_model(request, obj, form, change)
        recount_cities(cities=was_in | cities_of(obj))

    def delete_model(self, request, obj):
        was_in = cities_of(obj) - {obj.pk}
        super().delete_model(request, obj)
        recount_cities(cities=was_in)

    def delete_queryset(self, request, queryset):
        was_in = cities_of(*queryset) - set(queryset.values_list("pk", flat=True))
        super().delete_queryset(request, queryset)
        recount_cities(cities=was_in)

    @admin.action(description="Suspend: hide on every path, end live connections")
    def suspend(self, request, queryset):
        set_suspended(actors=queryset, suspended=True, moderator=request.user)

    @admin.action(description="Lift the suspension")
    def unsuspend(self, request, queryset):
        set_suspended(actors=queryset, suspended=False, moderator=request.user)

    @admin.action(description=_("Verify the selected cities"))
    def verify(self, request, queryset):
        set_verified(cities=queryset.filter(kind=Actor.Kind.CITY), verified=True, moderator=request.user)

    @admin.action(description=_("Take back the verification of the selected cities"))
    def unverify(self, request, queryset):
        set_verified(cities=queryset.filter(kind=Actor.Kind.CITY), verified=False, moderator=request.user)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["person", "group", "role", "created"]
    list_filter = ["role"]
    raw_id_fields = ["person", "group"]


@admin.register(CityLink)
class CityLinkAdmin(admin.ModelAdmin):
    list_display = ["from_city", "to_city", "status", "created", "accepted_at"]
    list_filter = ["status"]


admin.site.register(Tag)
