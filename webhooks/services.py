"""Every write of webhook subscriptions."""

import base64
import logging
import secrets
import uuid

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from delivery import services as delivery
from feeds.public import stream_is_public
from novosphere import outbound
from novosphere.errors import invalid
from webhooks.models import SubscribedStream, Subscription

logger = logging.getLogger(__name__)

KIND = "webhook"  # the delivery outbox's kind of destination (webhooks.destinations)


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def check_receiver_url(url: str) -> None:
    """Refuse a receiver the outbound client would refuse, with a message a person reads."""
    try:
        outbound.check_url(url, allow_private=settings.WEBHOOKS_ALLOW_PRIVATE)
    except outbound.RefusedAddress:
        raise invalid("url", _("This address is private, loopback or reserved: webhooks go to the public Internet only.")) from None
    except outbound.RefusedURL:
        raise invalid("url", _("Give an http or https URL whose host can be found, without a user name or password.")) from None


def subscribe(*, owner, url: str, streams: list[str]) -> Subscription:
    """Subscribe `url` to public streams; 400 for a bad URL or stream, or past the limit per account."""
    check_receiver_url(url)
    streams = list(dict.fromkeys(streams))
    refused = [key for key in streams if not stream_is_public(key)]
    if refused:
        raise invalid("streams", _("No public stream is named %(streams)s.") % {"streams": ", ".join(refused)})
    with transaction.atomic():
        # Locks the account's row so that two subscriptions at once cannot pass the limit together.
        type(owner).objects.select_for_update().filter(pk=owner.pk).first()
        if Subscription.objects.filter(owner=owner).count() >= settings.WEBHOOKS_MAX_PER_ACCOUNT:
            raise invalid("url", _("An account may have at most %(limit)d webhooks; delete one first.")
                          % {"limit": settings.WEBHOOKS_MAX_PER_ACCOUNT})
        # Each subscription has a destination of its own (its queue, its failures),
        # even when two share a URL: each has its own secret and streams.
        destination = delivery.destination_for(kind=KIND, key=uuid.uuid4().hex, url=url)
        subscription = Subscription.objects.create(
            owner=owner, url=url, secret=new_secret(), destination=destination
        )
        SubscribedStream.objects.bulk_create(
            [SubscribedStream(subscription=subscription, stream=key) for key in streams]
        )
    logger.info("webhook subscribed id=%s owner=%s streams=%s", subscription.pk, owner.pk, ",".join(streams))
    return subscription


def unsubscribe(*, subscription: Subscription) -> None:
    """Delete the subscription, and with its destination whatever it was still owed."""
    with transaction.atomic():
        subscription.destination.delete()  # cascades to the subscription and its deliveries
    logger.info("webhook deleted id=%s", subscription.pk)
