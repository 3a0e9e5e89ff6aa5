"""What an activity says to a person: its object and target in words, and one sentence.

Rendered once per language when the activity is recorded (`render_texts`), so
that every reader, on REST, on the websocket and in notifications, gets the
same sentence in their own language without any work at read time. The
sentence is built only from the names people know (`Kind.name_of`), with a
verb that fits what happened: "sent a request to", "answered", "will attend".
"""

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_noop

from novosphere import kinds

# (activity type, object's kind, target's kind or "") → the sentence. Kinds are the
# registry's names; "self" is an actor acting on themself (leaving a project).
SENTENCES = {
    ("Create", "project", ""): gettext_noop("%(actor)s created the project “%(object)s”"),
    ("Update", "project", ""): gettext_noop("%(actor)s updated the project “%(object)s”"),
    ("Create", "update", "project"): gettext_noop("%(actor)s posted news on “%(target)s”: “%(object)s”"),
    ("Add", "actor", "project"): gettext_noop("%(actor)s added %(object)s to the project “%(target)s”"),
    ("Remove", "actor", "project"): gettext_noop("%(actor)s removed %(object)s from the project “%(target)s”"),
    ("Remove", "self", "project"): gettext_noop("%(actor)s left the project “%(target)s”"),
    ("Create", "request", "actor"): gettext_noop("%(actor)s sent a request to %(target)s: “%(object)s”"),
    ("Create", "request", "project"): gettext_noop(
        "%(actor)s sent a request to the project “%(target)s”: “%(object)s”"
    ),
    # Nobody edits a request after it is sent: its only update is its deadline closing it.
    ("Update", "request", ""): gettext_noop("“%(object)s” reached its deadline and is closed"),
    ("Reject", "request", ""): gettext_noop("%(actor)s declined the request “%(object)s”"),
    ("Offer", "response", "request"): gettext_noop("%(actor)s answered the request “%(target)s”"),
    ("Accept", "response", "request"): gettext_noop("%(actor)s accepted the answer of %(author)s to “%(target)s”"),
    # Accepted on the author's instance, of an answer made elsewhere (federation).
    ("Accept", "request", ""): gettext_noop("%(actor)s accepted an answer to “%(object)s”"),
    ("Update", "self", ""): gettext_noop("%(actor)s updated their profile"),
    ("Update", "actor", ""): gettext_noop("%(actor)s updated the page of %(object)s"),
    ("Follow", "actor", ""): gettext_noop("%(actor)s now follows %(object)s"),
    ("Follow", "project", ""): gettext_noop("%(actor)s now follows the project “%(object)s”"),
    ("Join", "actor", ""): gettext_noop("%(actor)s joined %(object)s"),
    ("Join", "project", ""): gettext_noop("%(actor)s joined the project “%(object)s”"),
    # Invitations are told to the invited person only (a notification, never a stream).
    ("Invite", "actor", "project"): gettext_noop("%(actor)s invited %(object)s to the project “%(target)s”"),
    ("Invite", "actor", "actor"): gettext_noop("%(actor)s invited %(object)s to join %(target)s"),
    # A post of a followed remote actor (federation).
    ("Create", "remote", ""): gettext_noop("%(actor)s posted “%(object)s”"),
    ("Create", "event", ""): gettext_noop("%(actor)s announced the event “%(object)s”"),
    ("Join", "event", ""): gettext_noop("%(actor)s will attend “%(object)s”"),
    ("Announce", "event", ""): gettext_noop("“%(object)s” starts tomorrow"),
    ("Accept", "citylink", "actor"): gettext_noop("%(actor)s is now linked with %(object)s"),
}
# What no sentence above covers (a kind added later) still reads as a sentence.
FALLBACK = {
    True: gettext_noop("%(actor)s: “%(object)s”, in “%(target)s”"),
    False: gettext_noop("%(actor)s: “%(object)s”"),
}


def kind_name(thing) -> str:
    try:
        return kinds.kind_of(thing).sentence_kind(thing)
    except KeyError:
        return ""


def sentence_for(*, type: str, object_kind: str, target_kind: str) -> str:
    """The untranslated sentence of an activity of this shape."""
    return SENTENCES.get((type, object_kind, target_kind)) or FALLBACK[bool(target_kind)]


def summary(*, type: str, object_kind: str, target_kind: str, names: dict) -> str:
    """The sentence in the active language, from `names` (actor, object, target, author)."""
    template = translation.gettext(sentence_for(type=type, object_kind=object_kind, target_kind=target_kind))
    return template % {"actor": "", "object": "", "target": "", "author": "", **names}


def _words(thing) -> dict:
    """{name, content} of `thing` in the active language, as its kind puts them."""
    kind = kinds.kind_of(thing)
    return {"name": kind.name_of(thing), "content": kind.content_of(thing)}


def render_texts(*, actor, type: str, object, target=None, object_type: str = "") -> dict:
    """{language: {summary, object: {name, content}, target: {name, content} | None}} for
    every language the service speaks."""
    object_kind = "citylink" if object_type == "citylink" else kind_name(object)
    if object_kind == "actor" and object.pk == actor.pk:
        object_kind = "self"
    target_kind = kind_name(target) if target is not None else ""
    author = kinds.kind_of(object).author_of(object) if object_kind in ("response",) else None
    texts = {}
    for language, _label in settings.LANGUAGES:
        with translation.override(language):
            about = _words(object)
            around = _words(target) if target is not None else None
            names = {
                "actor": actor.name, "object": about["name"], "target": around["name"] if around else "",
                "author": author.name if author is not None else "",
            }
            texts[language] = {
                "summary": summary(type=type, object_kind=object_kind, target_kind=target_kind, names=names),
                "object": about,
                "target": around,
            }
    return texts
