from django.contrib import admin

from feeds.models import Activity, Follow


@admin.register(Follow)
class FollowAdmin(admin.ModelAdmin):
    list_display = ["follower", "target_actor", "target_project", "created"]
    raw_id_fields = ["follower", "target_actor", "target_project"]


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ["id", "type", "actor", "object_type", "object_id", "subject_kind", "audience", "published"]
    list_filter = ["type", "object_type", "subject_kind", "audience"]
    raw_id_fields = ["actor"]
