from django.conf import settings
from django.db import models
from django.utils import timezone

from delivery.models import Destination


class Subscription(models.Model):
    """A URL that receives, signed, each activity published on some public streams.

    Its delivery state (active or disabled, failing since when) is its
    destination's, in the delivery outbox."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(max_length=2000)
    # `whsec_` and base64 of 32 random bytes (Standard Webhooks); the key that signs.
    secret = models.CharField(max_length=100)
    destination = models.OneToOneField(Destination, on_delete=models.CASCADE, related_name="webhook")
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.owner} → {self.url}"


class SubscribedStream(models.Model):
    """One stream (`city:rennes`, `actor:<handle>`, `project:<slug>`) a subscription receives."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="streams")
    stream = models.CharField(max_length=100)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["subscription", "stream"], name="one_subscribed_stream")]
        # The fan-out's lookup: who subscribes to this stream.
        indexes = [models.Index(fields=["stream"], name="subscribed_stream")]

    def __str__(self) -> str:
        return self.stream
