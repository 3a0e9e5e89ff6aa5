"""The remote object kind: posts (Note, Article...) of actors of other instances."""

from django.db.models import Q, QuerySet
from django.utils import formats, timezone
from django.utils.html import strip_tags

from federation.models import RemoteObject
from federation.posts import POST_ACTIVITY_TYPES, REMOTE_EVENT
from novosphere.kinds import Kind, excerpt, first_words, register


class RemoteObjectKind(Kind):
    name = "remote"
    model = RemoteObject
    activity_types = POST_ACTIVITY_TYPES

    def activity_type(self, obj: RemoteObject) -> str:
        if obj.type == "Event":
            return REMOTE_EVENT  # not "event": that names our own events' kind
        kind = (obj.type or "note").lower()
        return kind if kind in POST_ACTIVITY_TYPES else "note"

    def name_of(self, obj: RemoteObject) -> str:
        return obj.name or first_words(strip_tags(obj.content)) or obj.actor.name

    def content_of(self, obj: RemoteObject) -> str:
        if obj.type == "Event" and obj.starts:
            # Like our events: its title and start, in the reader's language.
            start = formats.date_format(timezone.localtime(obj.starts), "DATETIME_FORMAT")
            return excerpt(f"{obj.name}, {start}" + (f", {obj.place}" if obj.place else ""))
        return excerpt(strip_tags(obj.content))

    def sentence_kind(self, obj: RemoteObject) -> str:
        return "event" if obj.type == "Event" else self.name

    def url_of(self, obj: RemoteObject) -> str:
        # Read where it lives: on its own instance.
        return obj.url or obj.uri

    def visible_to(self, viewer) -> QuerySet[RemoteObject]:
        """Public posts only (what was addressed to a few never enters), not deleted,
        of actors nobody suspended."""
        return RemoteObject.objects.filter(public=True, deleted__isnull=True, actor__suspended=False)

    def excluded_by_blocks(self, blocked: QuerySet | list[int]) -> Q:
        return Q(actor__in=blocked)

    def depends_on(self, kind: str, pks):
        if kind == "actor":
            return list(RemoteObject.objects.filter(actor__in=pks).values_list("pk", flat=True))
        return None

    def author_of(self, obj: RemoteObject):
        return obj.actor


register(RemoteObjectKind())
