"""Activities in Activity Streams 2.0 shape, notifications, and the query parameters of their lists."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from rest_framework import serializers
from ulid import ULID

from feeds.models import Activity, Notification

MAX_LIMIT = 100


class CursorField(serializers.CharField):
    """An activity id (a ULID) used as a cursor; anything else is a 400."""

    def to_internal_value(self, data) -> str:
        value = super().to_internal_value(data)
        try:
            return str(ULID.from_str(value))
        except ValueError:
            raise serializers.ValidationError(_("Not a valid cursor.")) from None


class ActivityQuerySerializer(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, default=20, help_text="page size, at most 100")
    before = CursorField(required=False, help_text="activities older than this activity id (the `next` cursor)")
    after = CursorField(required=False, help_text="activities newer than this activity id (catching up)")


class NotificationQuerySerializer(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, default=20, help_text="page size, at most 100")
    before = serializers.IntegerField(min_value=1, required=False, help_text="notifications older than this id (the `next` cursor)")
    unread = serializers.BooleanField(default=False, help_text="1: only unread notifications")


class MarkReadSerializer(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False, max_length=1000)
    all = serializers.BooleanField(required=False)

    def validate(self, attrs: dict) -> dict:
        if attrs.get("all") and "ids" in attrs:
            raise serializers.ValidationError(_("Give either ids or all, not both."))
        if not attrs.get("all") and "ids" not in attrs:
            raise serializers.ValidationError({"ids": [_("Give the ids to mark read, or all: true.")]})
        return attrs


class ActorRefSerializer(serializers.Serializer):
    handle = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()


class ObjectRefSerializer(serializers.Serializer):
    type = serializers.CharField()
    id = serializers.CharField()
    name = serializers.CharField()


# Summary templates, marked for translation here and translated one at a time in
# _summary: translating all of them for every activity of a page was a third
# of the cost of serializing it.
CITYLINK_SUMMARY = gettext_noop("%(actor)s is now linked with %(object)s")
# Nobody edits a request after it is sent: its only update is its deadline closing it.
REQUEST_EXPIRED_SUMMARY = gettext_noop("%(object)s reached its deadline and is closed")
SUMMARY_WITH_TARGET = {
    "Create": gettext_noop("%(actor)s created %(object)s in %(target)s"),
    "Update": gettext_noop("%(actor)s updated %(object)s in %(target)s"),
    "Add": gettext_noop("%(actor)s added %(object)s to %(target)s"),
    "Remove": gettext_noop("%(actor)s removed %(object)s from %(target)s"),
    "Offer": gettext_noop("%(actor)s offered %(object)s to %(target)s"),
}
SUMMARY_ALONE = {
    "Create": gettext_noop("%(actor)s created %(object)s"),
    "Update": gettext_noop("%(actor)s updated %(object)s"),
    "Delete": gettext_noop("%(actor)s deleted %(object)s"),
    "Follow": gettext_noop("%(actor)s followed %(object)s"),
    "Join": gettext_noop("%(actor)s joined %(object)s"),
    "Leave": gettext_noop("%(actor)s left %(object)s"),
    "Add": gettext_noop("%(actor)s added %(object)s"),
    "Remove": gettext_noop("%(actor)s removed %(object)s"),
    "Offer": gettext_noop("%(actor)s offered %(object)s"),
    "Accept": gettext_noop("%(actor)s accepted %(object)s"),
    "Reject": gettext_noop("%(actor)s declined %(object)s"),
}
UNKNOWN_SUMMARY = gettext_noop("%(actor)s: %(type)s %(object)s")


def _summary(activity: Activity) -> str:
    """One sentence saying what happened, in the request's language."""
    names = {"actor": activity.actor.name, "object": activity.object_name or activity.object_id,
             "target": activity.target_name or activity.target_id}
    kind, has_target = activity.type, bool(activity.target_id)
    if activity.object_type == "citylink":
        return _(CITYLINK_SUMMARY) % names
    if activity.object_type == "collaboration" and kind == "Update":
        return _(REQUEST_EXPIRED_SUMMARY) % names
    template = (SUMMARY_WITH_TARGET.get(kind) if has_target else None) or SUMMARY_ALONE.get(kind)
    if template is None:
        return _(UNKNOWN_SUMMARY) % {**names, "type": kind}
    return _(template) % names


class ActivitySerializer(serializers.Serializer):
    """An activity, Activity Streams 2.0 shaped."""

    id = serializers.CharField(help_text="a cursor that sorts by time")
    type = serializers.ChoiceField(choices=Activity.Type.choices)
    actor = serializers.SerializerMethodField()
    object = serializers.SerializerMethodField()
    target = serializers.SerializerMethodField()
    published = serializers.DateTimeField()
    summary = serializers.SerializerMethodField()

    def get_actor(self, activity: Activity) -> ActorRefSerializer:
        actor = activity.actor
        return {"handle": actor.handle, "name": actor.name, "kind": actor.kind}

    def get_object(self, activity: Activity) -> ObjectRefSerializer:
        return {"type": activity.object_type, "id": activity.object_id, "name": activity.object_name}

    def get_target(self, activity: Activity) -> ObjectRefSerializer(allow_null=True):
        if not activity.target_id:
            return None
        return {"type": activity.target_type, "id": activity.target_id, "name": activity.target_name}

    def get_summary(self, activity: Activity) -> str:
        return _summary(activity)

    def to_representation(self, activity: Activity) -> dict:
        """The same dict as the declared fields give, built directly: pages hold up
        to 100 activities and DRF's per-field machinery was most of their cost.
        The fields above stay the schema."""
        return {
            "id": str(activity.id),
            "type": str(activity.type),
            "actor": self.get_actor(activity),
            "object": self.get_object(activity),
            "target": self.get_target(activity),
            "published": self.fields["published"].to_representation(activity.published),
            "summary": _summary(activity),
        }


class ActivityPageSerializer(serializers.Serializer):
    results = ActivitySerializer(many=True, source="items")
    next = serializers.CharField(allow_null=True, help_text="`before` cursor of the next older page, or null")
    newer = serializers.CharField(
        allow_null=True, help_text="`after` cursor to fetch what is newer than this page, or null"
    )


class NotificationSerializer(serializers.ModelSerializer):
    activity = ActivitySerializer()
    reason = serializers.ChoiceField(choices=Notification.Reason.choices)

    class Meta:
        model = Notification
        fields = ["id", "activity", "reason", "read", "created"]


class NotificationPageSerializer(serializers.Serializer):
    results = NotificationSerializer(many=True, source="items")
    next = serializers.CharField(allow_null=True, help_text="`before` cursor of the next older page, or null")
    unread_count = serializers.IntegerField(help_text="unread notifications the caller may see")


class MarkedReadSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="notifications newly marked read")
    unread_count = serializers.IntegerField()
