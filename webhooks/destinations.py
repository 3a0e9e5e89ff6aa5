"""Webhooks as a kind of destination of the delivery outbox: who wants an activity,
and the signed POST each one gets (Standard Webhooks)."""

import json
from datetime import UTC, datetime

from django.conf import settings
from django.utils import translation
from standardwebhooks import Webhook

from delivery.kinds import DestinationKind, Outgoing, register
from delivery.models import Destination
from feeds.public import public_activity, stream_is_public
from webhooks.models import SubscribedStream, Subscription
from webhooks.services import KIND


def payload_for(activity) -> dict:
    """`{type: "activity", activity: {...}}`: the activity as the REST stream shows it."""
    from feeds.serializers import ActivitySerializer

    with translation.override(settings.LANGUAGE_CODE):
        return {"type": "activity", "activity": ActivitySerializer(activity).data}


def signed_headers(*, secret: str, message_id: str, body: str, at: datetime | None = None) -> dict[str, str]:
    at = at or datetime.now(UTC)
    return {
        "Content-Type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, at, body),
    }


class WebhookKind(DestinationKind):
    name = KIND

    def allow_private(self) -> bool:
        return settings.WEBHOOKS_ALLOW_PRIVATE

    def destinations_for(self, activity) -> list[int]:
        from feeds.models import StreamEntry

        streams = StreamEntry.objects.filter(activity_id=activity.pk).values("stream")
        wanted = list(
            SubscribedStream.objects.filter(
                stream__in=streams, subscription__destination__state=Destination.State.ACTIVE
            ).values_list("subscription__destination_id", flat=True).distinct()
        )
        # Checked again when each is sent; this only spares rows nobody may receive.
        if not wanted or public_activity(activity.pk) is None:
            return []
        return wanted

    def build(self, delivery) -> Outgoing | None:
        """The signed POST, if an anonymous reader of a subscribed stream may still see the activity."""
        from feeds.models import StreamEntry

        subscription = Subscription.objects.filter(destination_id=delivery.destination_id).first()
        if subscription is None or delivery.activity_id is None:
            return None
        activity = public_activity(delivery.activity_id)
        if activity is None:
            return None
        on = StreamEntry.objects.filter(
            activity_id=activity.pk, stream__in=subscription.streams.values("stream")
        ).values_list("stream", flat=True)
        if not any(stream_is_public(key) for key in on):
            return None
        body = json.dumps(payload_for(activity), ensure_ascii=False, separators=(",", ":"))
        headers = signed_headers(secret=subscription.secret, message_id=delivery.message_id, body=body)
        return Outgoing(body=body.encode(), headers=headers)


register(WebhookKind())
