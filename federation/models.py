"""What federation stores: our signing keys, remote actors and objects, what
arrived in the inboxes, follows waiting for the far side's Accept, domain blocks."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from profiles.models import Actor


class SigningKey(models.Model):
    """An RSA key pair of one of our ActivityPub actors, made the first time it is needed.

    `owner` names the actor: `actor:<handle>`, `project:<slug>` or `instance`.
    """

    owner = models.CharField(max_length=120, unique=True)
    private_pem = models.TextField()
    public_pem = models.TextField()
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.owner


class RemoteActor(models.Model):
    """The ActivityPub side of an actor of another instance: its `Actor` row carries
    the name, the handle (`name@host`) and the counters every path already reads."""

    actor = models.OneToOneField(Actor, on_delete=models.CASCADE, related_name="remote")
    uri = models.URLField(max_length=500, unique=True)
    domain = models.CharField(max_length=255, db_index=True, help_text="host[:port]")
    type = models.CharField(max_length=30)
    inbox = models.URLField(max_length=500)
    shared_inbox = models.URLField(max_length=500, blank=True)
    outbox = models.URLField(max_length=500, blank=True)
    followers = models.URLField(max_length=500, blank=True)
    url = models.URLField(max_length=500, blank=True)
    key_id = models.URLField(max_length=500, db_index=True)
    public_key_pem = models.TextField()
    fetched = models.DateTimeField()

    def __str__(self) -> str:
        return self.uri

    @property
    def delivery_inbox(self) -> str:
        return self.shared_inbox or self.inbox


class OutgoingFollow(models.Model):
    """A local follower's Follow sent to a remote actor. Pending (`accepted` empty), it
    grants nothing (no `feeds.Follow` row) until the remote Accept; its id is what
    the Undo names later."""

    follower = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="remote_follows_sent")
    target = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="remote_follows_received")
    uri = models.URLField(max_length=500, unique=True, help_text="the id of the Follow we sent")
    created = models.DateTimeField(auto_now_add=True)
    accepted = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["follower", "target"], name="one_follow_sent")]

    def __str__(self) -> str:
        return f"{self.follower.handle} → {self.target.handle}" + ("" if self.accepted else " (pending)")


class InboxItem(models.Model):
    """An activity an inbox took: its id makes a repeated delivery harmless."""

    uri = models.URLField(max_length=500, unique=True)
    type = models.CharField(max_length=30)
    actor = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="inbox_items")
    payload = models.JSONField()
    received = models.DateTimeField(auto_now_add=True)
    processed = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.type} {self.uri}"


class RemoteObject(models.Model):
    """A post (Note, Article...) of a remote actor, its HTML sanitized.

    A Delete leaves a tombstone (`deleted`): a Create or Update arriving later for
    the same id changes nothing, so the Delete wins whatever the order.
    """

    uri = models.URLField(max_length=500, unique=True)
    actor = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="remote_objects")
    type = models.CharField(max_length=30, blank=True)
    name = models.CharField(max_length=200, blank=True)
    content = models.TextField(blank=True)
    url = models.URLField(max_length=500, blank=True)
    public = models.BooleanField(default=False)
    published = models.DateTimeField(null=True, blank=True)
    updated = models.DateTimeField(null=True, blank=True)
    deleted = models.DateTimeField(null=True, blank=True)
    # The local activity that brought it to timelines (its Create).
    activity = models.OneToOneField(
        "feeds.Activity", null=True, blank=True, on_delete=models.SET_NULL, related_name="remote_object"
    )

    def __str__(self) -> str:
        return self.uri


class DomainBlock(models.Model):
    """An instance moderators cut off: its deliveries are dropped, nothing is sent to it."""

    domain = models.CharField(max_length=255, unique=True, help_text=_("host, e.g. spam.example"))
    reason = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain


class FederatedRequest(models.Model):
    """Our copy of a collaboration request that an actor of another instance
    addressed to one of ours (it came as an Offer): the id it has there, which
    every later message about it names."""

    request = models.OneToOneField(
        "projects.CollaborationRequest", on_delete=models.CASCADE, related_name="federated"
    )
    uri = models.URLField(max_length=500, unique=True)
    offer_uri = models.URLField(max_length=500)

    def __str__(self) -> str:
        return self.uri


class FederatedResponse(models.Model):
    """A response made on another instance to one of our requests: the id it has there."""

    response = models.OneToOneField(
        "projects.CollaborationResponse", on_delete=models.CASCADE, related_name="federated"
    )
    uri = models.URLField(max_length=500, unique=True)

    def __str__(self) -> str:
        return self.uri
