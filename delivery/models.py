from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ulid import ULID


def new_message_id() -> str:
    """The id a receiver sees (`webhook-id`): the same on every attempt of one delivery."""
    return f"msg_{ULID()}"


class Destination(models.Model):
    """Somewhere outside that receives deliveries in order: a webhook URL, a remote inbox.

    The unit of ordering and of failure: its deliveries go out one at a time,
    oldest first, and a destination that fails for DELIVERY_DISABLE_AFTER_DAYS
    is disabled. `kind` names the `delivery.kinds.DestinationKind` that knows
    what to send; `key` is what that kind identifies it by.
    """

    class State(models.TextChoices):
        ACTIVE = "active", _("active")
        DISABLED = "disabled", _("disabled")

    kind = models.CharField(max_length=40)
    key = models.CharField(max_length=500)
    url = models.URLField(max_length=2000)
    state = models.CharField(max_length=10, choices=State.choices, default=State.ACTIVE)
    # Since when every attempt has failed (None: the last one worked, or none was made).
    failing_since = models.DateTimeField(null=True, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    last_success = models.DateTimeField(null=True, blank=True)
    # A drainer holds it until then: one drainer at a time keeps its deliveries in
    # order; one that dies lets the lease pass and the sweep hands it to another.
    lease_until = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="one_destination_per_key")]

    def __str__(self) -> str:
        return f"{self.kind} {self.url}"


class Delivery(models.Model):
    """One thing to send to one destination: an activity (or, for kinds that send
    something else, a payload), retried until the destination takes it."""

    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        DELIVERED = "delivered", _("delivered")
        # No longer visible to the destination when its turn came: nothing was sent.
        SKIPPED = "skipped", _("skipped")
        # Given up: the destination was disabled.
        FAILED = "failed", _("failed")

    destination = models.ForeignKey(Destination, on_delete=models.CASCADE, related_name="deliveries")
    activity = models.ForeignKey(
        "feeds.Activity", null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    payload = models.JSONField(null=True, blank=True)
    # Stream order: the activity's id (ids sort in commit order), or a fresh ULID
    # for a payload. Deliveries to one destination go out sorted by it.
    position = models.CharField(max_length=26)
    message_id = models.CharField(max_length=40, unique=True, default=new_message_id)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    due = models.DateTimeField(default=timezone.now)
    last_error = models.CharField(max_length=500, blank=True)
    created = models.DateTimeField(default=timezone.now)
    sent = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["destination", "activity"], condition=Q(activity__isnull=False),
                name="one_delivery_per_activity",
            )
        ]
        indexes = [
            # The drain's read: a destination's next pending delivery, in order.
            models.Index(
                fields=["destination", "position", "id"], condition=Q(state="pending"),
                name="delivery_queue",
            ),
            # The sweep's read: what is due, over all destinations.
            models.Index(fields=["due"], condition=Q(state="pending"), name="delivery_due"),
        ]

    def __str__(self) -> str:
        return f"{self.message_id} → {self.destination_id} ({self.state})"
