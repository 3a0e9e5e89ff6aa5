from django.contrib import admin

from projects.models import CollaborationRequest, Project, ProjectMember, ProjectUpdate


class HideActions:
    """Hide / show again through moderation.services, so each one is audited and reaches every path."""

    moderation_kind = ""
    actions = ["hide", "unhide"]

    def _set_hidden(self, request, queryset, hidden: bool) -> None:
        from moderation.services import set_hidden

        for pk in queryset.values_list("pk", flat=True):
            set_hidden(kind=self.moderation_kind, pk=pk, hidden=hidden, moderator=request.user, reason="admin")

    @admin.action(description="Hide on every path (audited)")
    def hide(self, request, queryset):
        self._set_hidden(request, queryset, True)

    @admin.action(description="Show again (audited)")
    def unhide(self, request, queryset):
        self._set_hidden(request, queryset, False)


class ProjectMemberInline(admin.TabularInline):
    model = ProjectMember
    raw_id_fields = ["actor"]
    extra = 0


@admin.register(Project)
class ProjectAdmin(HideActions, admin.ModelAdmin):
    moderation_kind = "project"
    list_display = ["slug", "title", "owner", "city", "stage", "visibility", "hidden"]
    list_filter = ["stage", "visibility", "hidden"]
    readonly_fields = ["hidden"]  # changed by the actions, which audit it
    search_fields = ["slug", "title"]
    raw_id_fields = ["owner", "city"]
    inlines = [ProjectMemberInline]


@admin.register(CollaborationRequest)
class CollaborationRequestAdmin(HideActions, admin.ModelAdmin):
    moderation_kind = "collaboration"
    list_display = ["id", "title", "author", "kind", "status", "hidden", "created"]
    list_filter = ["status", "kind", "hidden"]
    search_fields = ["title"]
    raw_id_fields = ["author", "from_project", "origin_city", "to_actor", "to_project", "to_city", "accepted_response"]
    readonly_fields = ["hidden"]


@admin.register(ProjectUpdate)
class ProjectUpdateAdmin(HideActions, admin.ModelAdmin):
    moderation_kind = "update"
    list_display = ["id", "project", "author", "published", "hidden"]
    list_filter = ["hidden"]
    raw_id_fields = ["project", "author"]
    readonly_fields = ["hidden", "html"]
