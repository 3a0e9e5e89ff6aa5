"""Webhooks API: an account's subscriptions of URLs to public streams."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from webhooks import selectors, services
from webhooks.serializers import (
    CreatedSubscriptionSerializer,
    SubscribeSerializer,
    SubscriptionListSerializer,
    SubscriptionSerializer,
)

NO_TOKEN = OpenApiResponse(description="no or bad token")


class WebhooksView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(tags=["webhooks"], operation_id="webhooks_list",
                   responses={200: SubscriptionListSerializer, 401: NO_TOKEN},
                   summary="The caller's webhooks, with their delivery state",
                   description="`{results, next}`: each webhook's URL, streams and how its deliveries go (the "
                   "last success and failure, whether it was disabled after failing for days); never its secret.")
    def get(self, request: Request) -> Response:
        subscriptions = selectors.subscriptions_of(request.user)
        return Response({"results": SubscriptionSerializer(subscriptions, many=True).data, "next": None})

    @extend_schema(
        tags=["webhooks"], request=SubscribeSerializer,
        responses={
            201: CreatedSubscriptionSerializer,
            400: OpenApiResponse(description="not an http(s) URL, a private address, a stream that is not "
                                 "public or does not exist, or too many webhooks for the account"),
            401: NO_TOKEN,
        },
        summary="POST each activity of some public streams to a URL, signed (Standard Webhooks)",
        description="`{url, streams: [\"city:rennes\", ...]}`. Each activity published on those public streams "
        "is POSTed to `url` as `{type: \"activity\", activity}`, signed as Standard Webhooks say "
        "(`webhook-id`, `webhook-timestamp`, `webhook-signature`), at least once, in stream order, retried with "
        "backoff. The answer's `secret` (whsec_...) signs every delivery; it is shown only here.",
    )
    def post(self, request: Request) -> Response:
        data = SubscribeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        subscription = services.subscribe(owner=request.user, **data.validated_data)
        return Response(CreatedSubscriptionSerializer(subscription).data, status=status.HTTP_201_CREATED)


class WebhookView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(tags=["webhooks"], responses={200: SubscriptionSerializer, 401: NO_TOKEN,
                                                 404: OpenApiResponse(description="not one of the caller's")},
                   summary="One of the caller's webhooks, with its delivery state",
                   description="Another account's webhook is the same 404 as an unknown id.")
    def get(self, request: Request, subscription_id: int) -> Response:
        subscription = selectors.subscription_for_owner(owner=request.user, subscription_id=subscription_id)
        return Response(SubscriptionSerializer(subscription).data)

    @extend_schema(tags=["webhooks"], responses={204: None, 401: NO_TOKEN,
                                                 404: OpenApiResponse(description="not one of the caller's")},
                   summary="Delete a webhook; nothing more is sent to it",
                   description="Deliveries still waiting are dropped. Another account's webhook is a 404.")
    def delete(self, request: Request, subscription_id: int) -> Response:
        subscription = selectors.subscription_for_owner(owner=request.user, subscription_id=subscription_id)
        services.unsubscribe(subscription=subscription)
        return Response(status=status.HTTP_204_NO_CONTENT)
