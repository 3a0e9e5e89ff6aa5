from django.contrib import admin

from moderation.models import Block, Report
from moderation.services import resolve_report


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ["id", "target_type", "target_ident", "reason", "reporter", "status", "resolution", "created"]
    list_filter = ["status", "target_type", "reason", "resolution"]
    search_fields = ["target_ident", "message"]
    raw_id_fields = ["reporter", "resolved_by"]
    readonly_fields = ["reporter", "target_type", "target_pk", "target_ident", "reason", "message", "created"]
    actions = ["dismiss"]

    @admin.action(description="Dismiss (every open report on the same target)")
    def dismiss(self, request, queryset):
        for report in queryset.filter(status=Report.Status.OPEN):
            if Report.objects.filter(pk=report.pk, status=Report.Status.OPEN).exists():
                resolve_report(report=report, moderator=request.user, action=Report.Resolution.DISMISS)


@admin.register(Block)
class BlockAdmin(admin.ModelAdmin):
    list_display = ["blocker", "blocked", "created"]
    raw_id_fields = ["blocker", "blocked"]
