"""JSON in, refused whole if any string holds a NUL character.

PostgreSQL text cannot hold NUL, so such a value would fail deep in a query
(a 500) wherever a field does not check for it itself; refusing it at the
door keeps every endpoint's answer a clear 400.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


def _holds_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(key) or _holds_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    return False


class StrictJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if _holds_nul(data):
            raise ParseError(_("Text may not contain NUL characters."))
        return data


class KeyField(serializers.SlugRelatedField):
    """An object named by its handle or slug; a value that cannot be a key
    (NUL, or longer than any key) is refused before the database sees it."""

    def to_internal_value(self, data):
        if isinstance(data, str) and ("\x00" in data or len(data) > 200):
            self.fail("does_not_exist", slug_name=self.slug_field, value=data[:50].replace("\x00", ""))
        return super().to_internal_value(data)
