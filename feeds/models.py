from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from novosphere.kinds import Audience
from profiles.models import Actor


class Follow(models.Model):
    """A follower subscribed to one stream: an actor's (`actor:<handle>`, cities
    included as `city:<handle>`) or a project's (`project:<slug>`)."""

    follower = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="follows")
    target_actor = models.ForeignKey(
        Actor, null=True, blank=True, on_delete=models.CASCADE, related_name="follower_links"
    )
    target_project = models.ForeignKey(
        "projects.Project", null=True, blank=True, on_delete=models.CASCADE, related_name="follower_links"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(target_actor__isnull=False, target_project__isnull=True)
                | Q(target_actor__isnull=True, target_project__isnull=False),
                name="follow_has_one_target",
            ),
            models.UniqueConstraint(
                fields=["follower", "target_actor"],
                condition=Q(target_actor__isnull=False),
                name="follow_actor_once",
            ),
            models.UniqueConstraint(
                fields=["follower", "target_project"],
                condition=Q(target_project__isnull=False),
                name="follow_project_once",
            ),
        ]
        indexes = [
            models.Index(fields=["target_actor", "-id"], name="follow_by_target_actor"),
            models.Index(fields=["target_project", "-id"], name="follow_by_target_project"),
        ]

    def __str__(self) -> str:
        target = self.target_actor or self.target_project
        return f"{self.follower} → {target}"


class Activity(models.Model):
    """Something that happened, Activity Streams 2.0 shaped."""

    class Type(models.TextChoices):
        # Verbs ("X accepted …"); the statuses of the same words are states, in their own context.
        CREATE = "Create", pgettext_lazy("activity type", "created")
        UPDATE = "Update", pgettext_lazy("activity type", "updated")
        DELETE = "Delete", pgettext_lazy("activity type", "deleted")
        FOLLOW = "Follow", pgettext_lazy("activity type", "followed")
        JOIN = "Join", pgettext_lazy("activity type", "joined")
        LEAVE = "Leave", pgettext_lazy("activity type", "left")
        ADD = "Add", pgettext_lazy("activity type", "added")
        REMOVE = "Remove", pgettext_lazy("activity type", "removed")
        OFFER = "Offer", pgettext_lazy("activity type", "offered")
        ACCEPT = "Accept", pgettext_lazy("activity type", "accepted")
        REJECT = "Reject", pgettext_lazy("activity type", "declined")

    # A ULID allocated in commit order by `feeds.services.next_activity_id`.
    id = models.CharField(primary_key=True, max_length=26, editable=False)
    type = models.CharField(max_length=10, choices=Type.choices)
    actor = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="activities")
    object_type = models.CharField(max_length=20)
    object_id = models.CharField(max_length=80)
    object_name = models.CharField(max_length=200, blank=True)
    target_type = models.CharField(max_length=20, blank=True)
    target_id = models.CharField(max_length=80, blank=True)
    target_name = models.CharField(max_length=200, blank=True)
    # The API URLs of the object and target (paths), and what the activity says to a
    # person in each language, rendered once when it is recorded (feeds.summaries):
    # {language: {summary, object: {name, content}, target: {name, content} | null}}.
    object_url = models.CharField(max_length=300, blank=True)
    target_url = models.CharField(max_length=300, blank=True)
    texts = models.JSONField(default=dict, blank=True)
    # What the activity is about (a `novosphere.kinds` kind and its primary key as
    # text), whose visibility it takes: an activity about a thing that turns
    # private or hidden goes with it. Empty for a city link, between public cities.
    subject_kind = models.CharField(max_length=20, blank=True)
    subject_id = models.CharField(max_length=80, blank=True)
    # Who may see the subject, derived from its kind's `visible_to` and kept in step
    # when the subject changes (`feeds.services.refresh_audiences`): most readers are
    # decided by this column; only `private` asks the kind's rule per reader.
    audience = models.CharField(max_length=10, default=Audience.SOME)
    published = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "activities"
        indexes = [
            # The activities about one thing, whose audience follows it.
            models.Index(fields=["subject_kind", "subject_id"], name="activity_by_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.actor.handle} {self.type} {self.object_type}:{self.object_id}"


class StreamEntry(models.Model):
    """An activity published on a stream (`actor:<handle>`, `project:<slug>`, `city:<handle>`)."""

    stream = models.CharField(max_length=100)
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="stream_entries")
    # Decided once, when the activity is recorded: a stream with more followers
    # than FEEDS_FANOUT_MAX_FOLLOWERS is merged into home timelines at read time
    # instead of being copied to each follower. Keeping the decision on the row
    # means a stream that later shrinks or grows never loses an activity.
    merged_at_read = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["stream", "activity"], name="one_entry_per_stream")
        ]
        indexes = [
            # What a home timeline reads of a big stream, newest first: small,
            # since only big streams' entries are in it.
            models.Index(
                fields=["stream", "-activity"], condition=Q(merged_at_read=True), name="merged_stream_entries"
            )
        ]

    def __str__(self) -> str:
        return f"{self.stream} ← {self.activity_id}"


class MergedStream(models.Model):
    """A stream some of whose activities are merged at read time rather than fanned out.

    Readers look up which of the streams they follow are here (a small table)
    so they query only those streams' entries.
    """

    stream = models.CharField(max_length=100, unique=True)
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.stream


class TimelineEntry(models.Model):
    """One activity in one actor's home timeline, written by the fan-out."""

    # No index of its own on owner: the unique (owner, activity) index serves every
    # lookup by owner, and one index fewer on the biggest table speeds the fan-out.
    owner = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="timeline_entries", db_index=False)
    # A plain index (declared below) rather than db_index: on PostgreSQL a
    # db_index on a text key adds a second, pattern-matching index nobody uses.
    activity = models.ForeignKey(
        Activity, on_delete=models.CASCADE, related_name="timeline_entries", db_index=False
    )

    class Meta:
        constraints = [
            # Also the index the home timeline reads through (owner, activity id
            # descending), and what makes a redelivered fan-out harmless.
            models.UniqueConstraint(fields=["owner", "activity"], name="one_timeline_entry_per_owner")
        ]
        indexes = [models.Index(fields=["activity"], name="timeline_entry_activity")]
        verbose_name_plural = "timeline entries"

    def __str__(self) -> str:
        return f"{self.owner_id} ← {self.activity_id}"


class Notification(models.Model):
    """An activity that concerns one actor directly, with why it does."""

    class Reason(models.TextChoices):
        FOLLOWED = "followed", _("followed you")
        REQUEST_RECEIVED = "request_received", _("collaboration request received")
        RESPONSE = "response", _("response to your request")
        ACCEPTED = "accepted", _("your response was accepted")
        DECLINED = "declined", _("your request was declined")
        ADDED_TO_PROJECT = "added_to_project", _("added to a project")
        ADDED_TO_GROUP = "added_to_group", _("added to an organization or city")
        INVITED = "invited", _("invited to join")
        CITY_LINK = "city_link", _("city link")
        EVENT_REMINDER = "event_reminder", _("event tomorrow")
        REQUEST_EXPIRED = "request_expired", _("your request reached its deadline")

    recipient = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="notifications")
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="notifications")
    reason = models.CharField(max_length=20, choices=Reason.choices)
    read = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "activity"], name="one_notification_per_activity")
        ]
        indexes = [models.Index(fields=["recipient", "read", "-id"], name="notification_inbox")]

    def __str__(self) -> str:
        return f"{self.recipient_id} {self.reason} {self.activity_id}"
