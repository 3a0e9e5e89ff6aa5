"""Activities in Activity Streams 2.0 shape, notifications, and the query parameters of their lists."""

import functools

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from rest_framework import serializers
from ulid import ULID

from feeds import summaries
from feeds.models import Activity, Notification
from novosphere import kinds

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
    type = serializers.CharField(help_text="what it is: person, organization, city, project, update, collaboration, response, event")
    id = serializers.CharField(help_text="its handle, slug or number")
    name = serializers.CharField(help_text="the name a person knows it by, in the reader's language")
    content = serializers.CharField(
        help_text="plain text a person reads about it (an update's text, a request's title and message, an "
        "event's title and start, a project's summary); at most 500 characters, cut on a word; may be empty"
    )
    url = serializers.CharField(help_text="its API URL (a path), or empty when it has none")


def _texts(activity: Activity, language: str) -> dict | None:
    """What the activity says in `language` (rendered when it was recorded)."""
    texts = activity.texts or {}
    return texts.get(language) or texts.get(settings.LANGUAGE_CODE)


def _summary(activity: Activity, texts: dict | None) -> str:
    """One sentence saying what happened, in the request's language."""
    if texts is not None:
        return texts["summary"]
    # Recorded before sentences were rendered with the activity: built from the stored names.
    object_kind = "citylink" if activity.object_type == "citylink" else _kind_name(activity.object_type)
    if object_kind == "actor" and activity.object_id == activity.actor.handle:
        object_kind = "self"
    return summaries.summary(
        type=activity.type, object_kind=object_kind,
        target_kind=_kind_name(activity.target_type) if activity.target_id else "",
        names={"actor": activity.actor.name, "object": activity.object_name, "target": activity.target_name},
    )


def _kind_name(activity_type: str) -> str:
    kind = kinds.kind_for_activity_type(activity_type)
    return kind.name if kind is not None else ""


def _ref(activity: Activity, role: str, texts: dict | None) -> dict:
    said = (texts or {}).get(role) or {}
    return {
        "type": getattr(activity, f"{role}_type"), "id": getattr(activity, f"{role}_id"),
        "name": said.get("name") or getattr(activity, f"{role}_name"), "content": said.get("content", ""),
        "url": getattr(activity, f"{role}_url"),
    }


class _Rendering:
    """What activities are rendered with in one language and time zone: looked up once per
    page, since the request's language and time zone live in context-local storage,
    slow to read fifty times (`_rendering`)."""

    def __init__(self, language: str, zone):
        self.language = language
        self.published = serializers.DateTimeField(default_timezone=zone)

    def activity(self, activity) -> dict:
        texts = _texts(activity, self.language)
        actor = activity.actor
        return {
            "id": str(activity.id),
            "type": str(activity.type),
            "actor": {"handle": actor.handle, "name": actor.name, "kind": actor.kind},
            "object": _ref(activity, "object", texts),
            "target": _ref(activity, "target", texts) if activity.target_id else None,
            "published": self.published.to_representation(activity.published),
            "summary": _summary(activity, texts),
        }

    def notification(self, notification: Notification) -> dict:
        return {
            "id": notification.id,
            "activity": self.activity(notification.activity),
            "reason": str(notification.reason),
            "read": notification.read,
            "created": self.published.to_representation(notification.created),
        }


def activity_json(activity: Activity) -> dict:
    """An activity as `ActivitySerializer` declares it, built directly: pages hold up to
    100 activities, and DRF's per-field machinery was most of their cost. Takes an
    `Activity` or a page's `feeds.selectors.ActivityRow`."""
    return _rendering().activity(activity)


@functools.lru_cache(maxsize=64)
def _rendering_in(language: str, zone) -> _Rendering:
    return _Rendering(language, zone)


def _rendering() -> _Rendering:
    """The rendering of the current request's language and time zone."""
    return _rendering_in(translation.get_language(), timezone.get_current_timezone())


def notification_json(notification: Notification) -> dict:
    """A notification as `NotificationSerializer` declares it, built directly (as `activity_json`)."""
    return _rendering().notification(notification)


def notification_page_json(page, unread_count: int) -> dict:
    """A `feeds.selectors.Page` of notifications as `NotificationPageSerializer` declares it."""
    rendering = _rendering()
    return {"results": [rendering.notification(item) for item in page.items], "next": page.next,
            "unread_count": unread_count}


def page_json(page) -> dict:
    """A `feeds.selectors.Page` of activities as `ActivityPageSerializer` declares it."""
    rendering = _rendering()
    return {"results": [rendering.activity(activity) for activity in page.items], "next": page.next, "newer": page.newer}


class ActivitySerializer(serializers.Serializer):
    """An activity, Activity Streams 2.0 shaped."""

    id = serializers.CharField(help_text="a cursor that sorts by time")
    type = serializers.ChoiceField(choices=Activity.Type.choices)
    actor = serializers.SerializerMethodField()
    object = serializers.SerializerMethodField()
    target = serializers.SerializerMethodField()
    published = serializers.DateTimeField()
    summary = serializers.SerializerMethodField(help_text="one sentence in the reader's language, built from names")

    # The method fields name the schema of each part; `to_representation` builds them all.
    def get_actor(self, activity: Activity) -> ActorRefSerializer:
        return activity_json(activity)["actor"]

    def get_object(self, activity: Activity) -> ObjectRefSerializer:
        return activity_json(activity)["object"]

    def get_target(self, activity: Activity) -> ObjectRefSerializer(allow_null=True):
        return activity_json(activity)["target"]

    def get_summary(self, activity: Activity) -> str:
        return activity_json(activity)["summary"]

    def to_representation(self, activity: Activity) -> dict:
        return activity_json(activity)


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

    def to_representation(self, notification: Notification) -> dict:
        return notification_json(notification)


class NotificationPageSerializer(serializers.Serializer):
    results = NotificationSerializer(many=True, source="items")
    next = serializers.CharField(allow_null=True, help_text="`before` cursor of the next older page, or null")
    unread_count = serializers.IntegerField(help_text="unread notifications the caller may see")


class MarkedReadSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="notifications newly marked read")
    unread_count = serializers.IntegerField()


class FollowedSerializer(serializers.Serializer):
    """One stream the caller follows: an actor (person, organization, city) or a project."""

    stream = serializers.CharField(help_text="its stream key, e.g. `city:rennes`, `project:<slug>`")
    type = serializers.CharField(help_text="person, organization, city or project")
    id = serializers.CharField(help_text="the actor's handle or the project's slug")
    name = serializers.CharField()
    url = serializers.CharField(help_text="its API URL; POST/DELETE `<url>follow/` follows or unfollows")
    since = serializers.DateTimeField(help_text="when the follow began")

    def to_representation(self, follow) -> dict:
        target = follow.target_actor or follow.target_project
        described = kinds.describe(target)
        return {
            "stream": kinds.stream_key(target), "type": described["type"], "id": described["id"],
            "name": described["name"], "url": described["url"],
            "since": serializers.DateTimeField().to_representation(follow.created),
        }
