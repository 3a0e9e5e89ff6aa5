from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from delivery.models import Destination
from webhooks.models import Subscription

MAX_STREAMS = 20


class SubscribeSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=2000, help_text="where each activity is POSTed (http or https)")
    streams = serializers.ListField(
        child=serializers.CharField(max_length=100), min_length=1, max_length=MAX_STREAMS,
        help_text="public streams: `city:<handle>`, `actor:<handle>`, `project:<slug>`",
    )


class SubscriptionSerializer(serializers.ModelSerializer):
    streams = serializers.SerializerMethodField()
    state = serializers.ChoiceField(
        choices=Destination.State.choices, source="destination.state",
        help_text="`disabled` once deliveries have failed for DELIVERY_DISABLE_AFTER_DAYS days",
    )
    failing_since = serializers.DateTimeField(
        source="destination.failing_since", allow_null=True,
        help_text="since when every delivery attempt has failed (null: the last one worked)",
    )
    last_error = serializers.CharField(source="destination.last_error", help_text="what the last failure was")
    last_success = serializers.DateTimeField(source="destination.last_success", allow_null=True)
    disabled_at = serializers.DateTimeField(source="destination.disabled_at", allow_null=True)

    class Meta:
        model = Subscription
        fields = ["id", "url", "streams", "state", "failing_since", "last_error", "last_success", "disabled_at",
                  "created"]

    def get_streams(self, subscription: Subscription) -> list[str]:
        return sorted(s.stream for s in subscription.streams.all())


class CreatedSubscriptionSerializer(SubscriptionSerializer):
    secret = serializers.CharField(help_text=_("the signing secret (whsec_...), shown only in this answer"))

    class Meta(SubscriptionSerializer.Meta):
        fields = [*SubscriptionSerializer.Meta.fields, "secret"]


class SubscriptionListSerializer(serializers.Serializer):
    results = SubscriptionSerializer(many=True)
    next = serializers.CharField(allow_null=True, help_text="always null: an account has at most "
                                 f"{settings.WEBHOOKS_MAX_PER_ACCOUNT} webhooks")
