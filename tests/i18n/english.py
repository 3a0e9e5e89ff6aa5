"""Finding English that leaked into an answer meant for a French reader.

A word counts when it is common English and not a French word (so `a`, `on`,
`or`, `an`, `type`, `public` never count). Code spans (`like_this`), field
names with underscores, handles, slugs and ids are skipped: they are not
prose. Each hit is reported with where in the answer it was found.
"""

import re

ENGLISH_ONLY = frozenset("""
the of to and with from your you this that these those is are was were be been being not only must
cannot can't could should would will shall may might has have had do does did done give please try
again moment such which what when where who whom whose there their them they it its by for into in at
no yes one any every each than then too very more most now here already yet also just about over under
created updated deleted followed joined left added removed offered accepted declined answered sent
attend attends attending will going waiting pending open opened closed withdrawn chosen resolved
request requests response responses update updates project projects event events city cities
organization organizations person people member members owner maintainer contributor
actor actors stream streams frame frames cursor activity activities notification notifications
unknown invalid required field fields value values number numbers time zone start end after before
day days week month year tomorrow today yesterday new link linked peer shared skills sectors
wrong password username taken already allowed found exist exists page limit text body title
name exactly target deadline future choose respond yourself itself between both neither either least
larger smaller make makes someone something nothing lost wrote search temporarily unavailable later
because while without within other others another same like see seen hidden suspended blocked block
following followers signed users account accounts first last inside outside invited accept decline
withdraw profile enough characters bytes doesn't don't isn't won't it's you're here's
""".split())

WORD = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿ'’]+")
CODE = re.compile(r"`[^`]*`")
NOT_PROSE = re.compile(r"\S*[_/@:\d]\S*")  # handles, slugs, paths, ids, field names


def english_words(text: str) -> list[str]:
    prose = NOT_PROSE.sub(" ", CODE.sub(" ", text))
    words = []
    for word in WORD.findall(prose):
        # French elisions: l'acteur, d'un, qu'au
        bare = re.sub(r"^(?:[ldjmnstc]|qu)['’]", "", word.lower())
        if bare in ENGLISH_ONLY:
            words.append(word)
    return words


# Keys whose values are machine values (ids, enum values, cursors) or the
# people's own content, not sentences the service writes.
MACHINE_KEYS = frozenset({
    "id", "type", "kind", "handle", "slug", "status", "url", "published", "created", "updated", "next",
    "newer", "cursor", "code", "reason", "stream", "city", "owner", "author", "country", "visibility",
    "stage", "role", "start", "end", "timezone", "html", "token", "email",
})


def leaks(payload, path: str = "") -> list[str]:
    """Every English word in the strings of a JSON answer, as `path: word in «text»`."""
    found = []
    if isinstance(payload, dict):
        for key, value in payload.items():
            if key not in MACHINE_KEYS:
                found += leaks(value, f"{path}.{key}")
    elif isinstance(payload, list):
        for index, value in enumerate(payload):
            found += leaks(value, f"{path}[{index}]")
    elif isinstance(payload, str):
        found += [f"{path or '.'}: {word!r} in «{payload}»" for word in english_words(payload)]
    return found
