"""JSON in, checked whole before any view sees it.

- Nesting deeper than `JSON_MAX_DEPTH` is a 400: no body of ours nests beyond a
  few levels, and walking a deeper one costs recursion (Python's own limit made
  it a 500).
- Every string, at any depth, goes through `novosphere.text.text_problem`:
  control characters, direction overrides, NUL (which PostgreSQL text cannot
  hold) and invisible-only texts are a 400 naming the field, so every field a
  person writes is covered by one rule.
"""

import json
import re
from datetime import date

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.parsers import JSONParser

from novosphere.dates import end_of_day
from novosphere.text import SINGLE_LINE_FIELDS, text_problem

TOO_DEEP = _("This JSON nests too deeply.")


def loads_bounded(text: str | bytes, max_depth: int | None = None):
    """`json.loads`, refusing nesting beyond `max_depth` with a ValueError."""
    max_depth = settings.JSON_MAX_DEPTH if max_depth is None else max_depth
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise ValueError(str(TOO_DEEP)) from None
    if depth_of(data) > max_depth:
        raise ValueError(str(TOO_DEEP))
    return data


def depth_of(data) -> int:
    """How deep lists and objects nest in `data` (0 for a scalar), without recursion."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children)
    return deepest


def text_errors(data) -> dict:
    """`{field: [message]}` (nested like the body) for every string that breaks the text rule."""
    errors: dict = {}
    stack = [(data, (), None)]
    while stack:
        value, path, key = stack.pop()
        if isinstance(value, str):
            problem = text_problem(value, single_line=key in SINGLE_LINE_FIELDS)
            if problem is not None:
                _put(errors, path or ("non_field_errors",), problem)
        elif isinstance(value, dict):
            for child_key, child in value.items():
                if text_problem(child_key, single_line=True) is not None:
                    _put(errors, (*path, "non_field_errors"), text_problem(child_key, single_line=True))
                    continue
                stack.append((child, (*path, child_key), child_key))
        elif isinstance(value, list):
            stack.extend((child, (*path, str(index)), key) for index, child in enumerate(value))
    return errors


def _put(errors: dict, path: tuple, message) -> None:
    node = errors
    for part in path[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):  # a message already sits here: keep it
            return
        node = child
    node.setdefault(path[-1], [message])


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")  # NaN and Infinity, as DRF's strict mode


class StrictJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            data = loads_bounded(stream.read().decode(encoding))
        except (ValueError, UnicodeDecodeError) as error:
            raise ParseError(_("JSON parse error - %(error)s") % {"error": error}) from None
        errors = text_errors(data)
        if errors:
            raise ValidationError(errors)
        return data


class KeyField(serializers.SlugRelatedField):
    """An object named by its handle or slug; a value that cannot be a key
    (NUL, or longer than any key) is refused before the database sees it.

    With `folded_field` (the model's folded key, novosphere/keys.py) the object is
    found whatever the case and accents the caller wrote."""

    folded_field: str | None = None

    def to_internal_value(self, data):
        if isinstance(data, str) and ("\x00" in data or len(data) > 200):
            self.fail("does_not_exist", slug_name=self.slug_field, value=data[:50].replace("\x00", ""))
        if self.folded_field and isinstance(data, str):
            from novosphere.keys import handle_key

            found = self.get_queryset().filter(**{self.folded_field: handle_key(data)}).first()
            if found is None:
                self.fail("does_not_exist", slug_name=self.slug_field, value=data[:50])
            return found
        return super().to_internal_value(data)


DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")


class EndOfDayDateTimeField(serializers.DateTimeField):
    """An ISO 8601 time, or a bare date (`2027-03-01`) meaning the end of that day in the
    instance's time zone: a person who writes a date means "until that day is over"."""

    def to_internal_value(self, value):
        if isinstance(value, str) and DATE_ONLY.fullmatch(value.strip()):
            try:
                return end_of_day(date.fromisoformat(value.strip()))
            except ValueError:
                self.fail("invalid", format="YYYY-MM-DD[Thh:mm[:ss[.uuuuuu]]][+HH:MM|-HH:MM|Z]")
        return super().to_internal_value(value)
