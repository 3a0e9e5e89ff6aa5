from django.utils.translation import gettext_lazy
from rest_framework import serializers

from moderation.models import Block, Report
from profiles.serializers import ActorSummarySerializer

REASON_MAX = 500


class ModerationInputSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=REASON_MAX, required=False, allow_blank=True, default="",
        help_text="Why, for the audit log (at most 500 characters).",
    )


class HiddenStateSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=[
        ("project", gettext_lazy("project")), ("collaboration", gettext_lazy("collaboration request")), ("update", gettext_lazy("project update"))
    ])
    id = serializers.CharField(help_text="The project's slug, or the request's or update's id.")
    hidden = serializers.BooleanField()
    changed = serializers.BooleanField(help_text="False when it already was in that state (nothing written).")


class SuspensionStateSerializer(serializers.Serializer):
    handle = serializers.CharField()
    suspended = serializers.BooleanField()
    changed = serializers.BooleanField(help_text="False when it already was in that state (nothing written).")


class VerificationStateSerializer(serializers.Serializer):
    handle = serializers.CharField()
    verified = serializers.BooleanField(help_text="Whether a moderator verified that the city speaks for its place.")
    changed = serializers.BooleanField(help_text="False when it already was in that state (nothing written).")


class ReportCreateSerializer(serializers.Serializer):
    target_type = serializers.ChoiceField(choices=Report.TargetType.choices)
    target_id = serializers.CharField(
        max_length=80, help_text="The actor's handle, the project's slug, or the request's or update's id."
    )
    reason = serializers.ChoiceField(choices=Report.Reason.choices)
    message = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ReportSerializer(serializers.ModelSerializer):
    """A report as its reporter sees it: nothing about who else reported."""

    target_id = serializers.CharField(source="target_ident")

    class Meta:
        model = Report
        fields = ["id", "target_type", "target_id", "reason", "message", "status", "created"]
        read_only_fields = fields


class ModeratorReportSerializer(ReportSerializer):
    reporter = serializers.SerializerMethodField()
    resolved_by = serializers.CharField(source="resolved_by.username", default=None)

    class Meta(ReportSerializer.Meta):
        fields = [
            *ReportSerializer.Meta.fields, "reporter", "resolution", "resolution_reason", "resolved_by", "resolved_at",
        ]
        read_only_fields = fields

    def get_reporter(self, report: Report) -> str:
        """The reporter's handle, or their username when the account has no profile."""
        actor = getattr(report.reporter, "actor", None)
        return actor.handle if actor is not None else report.reporter.username


class ReportQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Report.Status.choices, required=False, help_text="open or resolved")


class ResolveInputSerializer(ModerationInputSerializer):
    action = serializers.ChoiceField(
        choices=Report.Resolution.choices,
        help_text="dismiss; hide the content; or suspend the actor (or the content's author)",
    )


class BlockStateSerializer(serializers.Serializer):
    actor = serializers.CharField(help_text="The blocked actor's handle.")
    is_blocked = serializers.BooleanField()


class BlockSerializer(serializers.ModelSerializer):
    actor = ActorSummarySerializer(source="blocked")

    class Meta:
        model = Block
        fields = ["actor", "created"]
        read_only_fields = fields
