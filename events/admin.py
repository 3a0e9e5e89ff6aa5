from django.contrib import admin

from events.models import Attendance, Event, Territory, TerritoryCity
from projects.admin import HideActions


class AttendanceInline(admin.TabularInline):
    model = Attendance
    raw_id_fields = ["actor"]
    extra = 0


@admin.register(Event)
class EventAdmin(HideActions, admin.ModelAdmin):
    moderation_kind = "event"
    list_display = ["slug", "title", "kind", "city", "start", "visibility", "capacity", "hidden"]
    list_filter = ["kind", "visibility", "hidden"]
    readonly_fields = ["hidden"]  # changed by the actions, which audit it
    search_fields = ["slug", "title", "uid"]
    raw_id_fields = ["city", "festival"]
    filter_horizontal = ["organizers", "organizer_projects", "sectors", "skills"]
    inlines = [AttendanceInline]


class TerritoryCityInline(admin.TabularInline):
    model = TerritoryCity
    raw_id_fields = ["city"]
    extra = 0


@admin.register(Territory)
class TerritoryAdmin(admin.ModelAdmin):
    list_display = ["handle", "name", "created_by", "created"]
    search_fields = ["handle", "name"]
    raw_id_fields = ["created_by"]
    filter_horizontal = ["territories"]
    inlines = [TerritoryCityInline]
