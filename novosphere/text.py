"""What text a person may write: one rule for every field, applied at the door.

Refused anywhere: control characters (C0 but tab, line feed and carriage
return; DEL; C1), lone surrogates, and the bidirectional embeddings, overrides
and isolates (U+202A–U+202E, U+2066–U+2069) that make a name read otherwise
than it is (`gpj.exe` shown as `exe.jpg`). Refused in names and titles (one
line): line breaks and tabs too. Refused everywhere: a text that is only
invisible characters (zero-width spaces and the like), which would show as
nothing where a name is expected.

`novosphere.api.parsers.StrictJSONParser` applies it to every string of every
JSON body, so each serializer field a person writes is covered, nested ones
and fields added later included; `text_problem` is also what other inputs
(calendar files) go through.
"""

import unicodedata

from django.utils.translation import gettext_lazy as _

BIDI_CONTROLS = frozenset(chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)])
LINE_BREAKS = frozenset("\n\r\t\u2028\u2029\x0b\x0c\x85")
ALLOWED_CONTROLS = frozenset("\t\n\r")
# Keys of one-line texts, wherever they sit in a body (`venue.name` too).
SINGLE_LINE_FIELDS = frozenset(
    {"name", "title", "headline", "summary", "handle", "username", "slug", "region", "organizer", "city"}
)

CONTROL_MESSAGE = _("Text may not contain control characters or direction overrides.")
ONE_LINE_MESSAGE = _("This text must fit on one line.")
INVISIBLE_MESSAGE = _("This text has no visible character.")


def _forbidden(char: str) -> bool:
    if char in BIDI_CONTROLS:
        return True
    category = unicodedata.category(char)
    return (category == "Cc" and char not in ALLOWED_CONTROLS) or category == "Cs"


def _invisible(char: str) -> bool:
    return char.isspace() or unicodedata.category(char) == "Cf"


def text_problem(value: str, *, single_line: bool = False):
    """The message saying why `value` is refused, or None if it is fine."""
    if any(_forbidden(char) for char in value):
        return CONTROL_MESSAGE
    if single_line and any(char in LINE_BREAKS for char in value):
        return ONE_LINE_MESSAGE
    if value and all(_invisible(char) for char in value) and not value.isspace():
        return INVISIBLE_MESSAGE
    return None
