from rest_framework import serializers

from feeds.models import Activity, Notification


class ActivitySerializer(serializers.Serializer):
    """Activity Streams 2.0 shaped."""

    def to_representation(self, activity: Activity) -> dict:
        target = None
        if activity.target_type:
            target = {"type": activity.target_type, "id": activity.target_id, "name": activity.target_name}
        return {
            "id": activity.id,
            "type": activity.type,
            "actor": {"handle": activity.actor.handle, "name": activity.actor.name, "kind": activity.actor.kind},
            "object": {"type": activity.object_type, "id": activity.object_id, "name": activity.object_name},
            "target": target,
            "published": activity.published.isoformat(),
            "summary": f"{activity.actor.name} {activity.get_type_display()} {activity.object_name}",
        }


class NotificationSerializer(serializers.ModelSerializer):
    activity = ActivitySerializer()

    class Meta:
        model = Notification
        fields = ["id", "activity", "reason", "read"]
