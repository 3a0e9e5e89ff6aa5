from django.contrib import admin

from projects.models import Project, ProjectMember


class ProjectMemberInline(admin.TabularInline):
    model = ProjectMember
    raw_id_fields = ["actor"]
    extra = 0


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["slug", "title", "owner", "city", "stage", "visibility"]
    list_filter = ["stage", "visibility"]
    search_fields = ["slug", "title"]
    raw_id_fields = ["owner", "city"]
    inlines = [ProjectMemberInline]
