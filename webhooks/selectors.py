"""Reads of webhook subscriptions."""

from django.db.models import QuerySet
from django.http import Http404

from webhooks.models import Subscription


def subscriptions_of(user) -> QuerySet[Subscription]:
    return Subscription.objects.filter(owner=user).select_related("destination").prefetch_related("streams")


def subscription_for_owner(*, owner, subscription_id: int) -> Subscription:
    """The caller's own subscription; 404 for someone else's, as for an unknown one."""
    subscription = subscriptions_of(owner).filter(pk=subscription_id).first()
    if subscription is None:
        raise Http404
    return subscription
