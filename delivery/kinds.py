"""Kinds of destination: what each sends, and which destinations want an activity.

A kind is a `DestinationKind` subclass registered by its app (webhooks in
`webhooks/destinations.py`; federation adds a remote shared inbox the same
way, in `federation/destinations.py`):

    class InboxKind(DestinationKind):
        name = "federation.inbox"
        def allow_private(self): return settings.FEDERATION_ALLOW_PRIVATE
        def destinations_for(self, activity): ...   # the inboxes of remote followers
        def build(self, delivery): ...              # the signed ActivityPub POST, or None
    register(InboxKind())

The outbox (`delivery.services`) does the rest the same for every kind:
a row per (activity, destination), drained one at a time per destination in
stream order, retried with backoff and jitter, the destination disabled
after DELIVERY_DISABLE_AFTER_DAYS of failures (`on_disabled` is told).

For federation, a destination is a remote shared inbox (`key`: the inbox
URL, made with `services.destination_for(kind=..., key=..., url=...)`):
- one drainer per destination (its lease) is the per-inbox concurrency of 1,
  and keeps that instance's deliveries in order;
- "instance unavailable" is the destination's `failing_since` /
  `state == "disabled"`; `on_disabled` can mark the instance, and
  `destinations_for` leave disabled ones out;
- what is not an activity (a Follow, an Accept) goes through
  `services.enqueue_payload(destination=..., payload=...)` in the caller's
  transaction, queued behind that inbox's earlier deliveries; `build` then
  reads `delivery.payload` instead of `delivery.activity`;
- `build` signs (HTTP Signatures) at send time, so a retry carries a fresh
  `Date`; returning None skips a delivery the inbox may no longer see.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings


@dataclass
class Outgoing:
    """One POST: the body and the headers that go with it (signatures included)."""

    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    url: str | None = None  # None: the destination's URL


class DestinationKind:
    name: str = ""

    def allow_private(self) -> bool:
        """Whether this kind may reach private and loopback addresses (tests, one private network)."""
        return False

    def timeout(self) -> float:
        return settings.DELIVERY_TIMEOUT

    def destinations_for(self, activity) -> list[int]:
        """Ids of this kind's active destinations that should receive `activity` (at fan-out)."""
        return []

    def build(self, delivery) -> Outgoing | None:
        """What to send for `delivery` now, or None if the destination may no longer see it."""
        raise NotImplementedError

    def accepted(self, status: int) -> bool:
        return 200 <= status < 300

    def on_disabled(self, destination) -> None:
        """Called once, in the transaction that disables the destination."""


_kinds: dict[str, DestinationKind] = {}


def register(kind: DestinationKind) -> DestinationKind:
    _kinds[kind.name] = kind
    return kind


def kind_named(name: str) -> DestinationKind | None:
    return _kinds.get(name)


def all_kinds() -> list[DestinationKind]:
    return list(_kinds.values())
