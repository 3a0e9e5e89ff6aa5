"""Atom feeds of public streams (`/activity.atom` of cities, actors and projects).

What an anonymous reader of the stream sees (`feeds.public`), newest first,
each entry with the activity's readable summary, the text of its object, its
author, its time and a stable id (the activity's ULID as a UUID URN, the same
whatever host the feed is read through). Built with Django's
`feedgenerator.Atom1Feed`, every text marked `type="text"`: names and texts
people wrote are never read as HTML by a feed reader.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from django.utils import feedgenerator, translation
from django.utils.feedgenerator import rfc3339_date
from ulid import ULID

from feeds import public

FEED_SIZE = 50
CONTENT_TYPE = "application/atom+xml; charset=utf-8"


class TextAtomFeed(feedgenerator.Atom1Feed):
    """Atom 1.0 whose entries carry plain-text `summary` and `content`."""

    # An empty feed's <updated> is the epoch, not the time of reading (Django's choice):
    # the same document, hence the same ETag, until something is published.
    NEVER_UPDATED = datetime(1970, 1, 1, tzinfo=UTC)

    def latest_post_date(self):
        return super().latest_post_date() if self.items else self.NEVER_UPDATED

    def add_item_elements(self, handler, item):
        handler.addQuickElement("title", item["title"], {"type": "text"})
        handler.addQuickElement("link", "", {"href": item["link"], "rel": "alternate"})
        handler.addQuickElement("published", rfc3339_date(item["pubdate"]))
        handler.addQuickElement("updated", rfc3339_date(item["updateddate"] or item["pubdate"]))
        handler.startElement("author", {})
        handler.addQuickElement("name", item["author_name"])
        if item["author_link"]:
            handler.addQuickElement("uri", item["author_link"])
        handler.endElement("author")
        handler.addQuickElement("id", item["unique_id"])
        handler.addQuickElement("summary", item["description"], {"type": "text"})
        if item.get("content"):
            handler.addQuickElement("content", item["content"], {"type": "text"})
        for category in item["categories"]:
            handler.addQuickElement("category", "", {"term": category})


def entry_id(activity_id: str) -> str:
    """Stable and global: the activity's ULID as a UUID URN."""
    return f"urn:uuid:{ULID.from_str(activity_id).to_uuid()}"


def stream_feed(*, key: str, title: str, base_url: str, feed_url: str, stream_url: str) -> bytes:
    """The Atom document of public stream `key` in the active language."""
    from feeds.serializers import ActivitySerializer

    activities = public.public_stream_activities(key, limit=FEED_SIZE)
    feed = TextAtomFeed(
        title=title,
        link=stream_url,
        description=title,
        language=translation.get_language(),
        feed_url=feed_url,
        feed_guid=f"{base_url}/api/v1/streams/{key}",
    )
    for activity in activities:
        data = ActivitySerializer(activity).data
        obj = data.get("object") or {}
        actor = data["actor"]
        feed.add_item(
            title=data["summary"],
            link=_absolute(base_url, obj.get("url")) or stream_url,
            description=data["summary"],
            content=obj.get("content") or "",
            author_name=actor["name"],
            author_link=f"{base_url}/api/v1/actors/{actor['handle']}/",
            pubdate=activity.published,
            updateddate=activity.published,
            unique_id=entry_id(activity.id),
            categories=[data["type"]],
        )
    return feed.writeString("utf-8").encode("utf-8")


def _absolute(base_url: str, url: str | None) -> str | None:
    if not url:
        return None
    return url if url.startswith(("http://", "https://")) else f"{base_url}{url}"


def etag_of(body: bytes) -> str:
    """A strong validator of the exact document: any change to it (a new entry, a
    hidden one, a renamed author, another language) changes it."""
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'
