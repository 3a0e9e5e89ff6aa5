"""The registry of kinds: each kind of thing declares, once and in its own app,
how it is keyed, named, seen, hidden and searched.

A kind (actor, project, update, request, response, event; later remote
objects, from `federation/kinds.py`) is a `Kind` subclass in `<app>/kinds.py`,
registered when its app is ready:

    class ProjectKind(Kind):
        name = "project"
        model = Project
        stream_prefixes = ("project",)
        def visible_to(self, viewer): return visible_projects(viewer)
        def name_of(self, project): return project.title
        ...
    register(ProjectKind())

Feeds, the live push, notifications, search, moderation and the map ask the
registry (`kind_of(obj)`, `kind_named(name)`, `all_kinds()`) instead of
importing another app's models to decide who may see something. Adding a kind
is one file in its app.

Who may see a thing is said once per kind, by `visible_to(viewer)`. What is
stored about it (the `Audience` of the activities about it, the audience of
its search document) is derived from that one rule by asking it about two
viewers who stand for everyone else: the anonymous reader and a signed-in
stranger (`profiles.selectors.signed_in_stranger`). Nothing restates the rule.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import models, router
from django.db.models import Case, CharField, Q, QuerySet, Value, When
from django.db.models.functions import Cast

from novosphere.compiled import compiled_rows, distinct

CONTENT_LENGTH = 500


class Audience:
    """Who may see a thing, as stored beside what is about it (its activities).

    Derived from the kind's `visible_to` (see `audience_of`), never written by hand.
    """

    EVERYONE = "everyone"  # the anonymous reader may see it
    SIGNED_IN = "signed_in"  # every signed-in person may (a stranger to it may)
    SOME = "some"  # decided per viewer by the kind's `visible_to`
    VALUES = (EVERYONE, SIGNED_IN, SOME)


class Kind:
    """What every path needs to know about one kind of thing.

    Subclasses set `name` and `model` and implement the naming and
    visibility methods; the rest has defaults that fit most kinds.
    """

    name: str = ""
    model: type[models.Model]
    # The `Activity.object_type` values that name this kind (the actor kind has three).
    activity_types: tuple[str, ...] = ()
    # The stream key prefixes this kind publishes on (`project` in `project:<slug>`).
    stream_prefixes: tuple[str, ...] = ()
    # What moderators call it (reports' `target_type`, audit rows, the hide API's `type`).
    moderation_name: str = ""
    # Whether moderators may hide it (`/api/v1/moderation/<moderation_path>/{id}/hide/`).
    hideable: bool = False
    moderation_path: str = ""

    # --- identity -------------------------------------------------------------

    def types(self) -> tuple[str, ...]:
        return self.activity_types or (self.name,)

    def ident(self, obj) -> str:
        """The id people and URLs use: a handle, a slug, a number."""
        return str(obj.pk)

    def lookup(self, ident: str) -> Q:
        """The filter that finds one object by its `ident`."""
        return Q(pk=ident)

    def find(self, ident: str):
        """The object named `ident`, whoever may see it (moderators act on hidden things), or None."""
        try:
            return self.model._default_manager.filter(self.lookup(ident)).first()
        except (ValueError, TypeError):
            return None

    def activity_type(self, obj) -> str:
        """What `Activity.object_type` says of `obj`."""
        return self.types()[0]

    # --- how a person names and describes it ---------------------------------

    def name_of(self, obj) -> str:
        """The name a person knows it by: never an id, a slug or a model name."""
        raise NotImplementedError

    def content_of(self, obj) -> str:
        """Plain text a person reads about it, at most 500 characters, cut on a word."""
        return ""

    def sentence_kind(self, obj) -> str:
        """Which kind's sentences tell of it (`feeds.summaries`): its own, unless it reads as another's."""
        return self.name

    def url_of(self, obj) -> str:
        """Its API URL (a path)."""
        raise NotImplementedError

    # --- streams ---------------------------------------------------------------

    def stream_key(self, obj) -> str | None:
        """The stream it publishes on (`project:<slug>`), or None if it has none."""
        return None

    def publisher(self, prefix: str, ident: str):
        """The object that publishes stream `<prefix>:<ident>`, or None."""
        return None

    def visible_publisher(self, viewer, prefix: str, ident: str) -> bool:
        """Whether `viewer` may read stream `<prefix>:<ident>`; unknown and hidden alike."""
        return False

    # --- visibility -------------------------------------------------------------

    def visible_to(self, viewer) -> QuerySet:
        """The objects `viewer` (a user, possibly anonymous) may see: THE rule of this kind."""
        raise NotImplementedError

    # Whether `visible_to` answers the same for every viewer (anonymous or not): then what
    # is counted once for everyone (the map's per-city counts) holds for each viewer.
    # Tested against several viewers wherever a kind says so (tests/events/test_map_counts.py).
    same_for_every_viewer: bool = False

    # The fields naming the actors whose block hides the object from the blocker (`author`
    # of a request, `pk` of an actor itself, a path such as `request__author`); empty: none.
    blocked_through: tuple[str, ...] = ()

    def excluded_by_blocks(self, blocked: QuerySet | list[int]) -> Q | None:
        """The objects a block hides from the blocker, given the blocked actors' ids (a subquery or a list)."""
        rule = None
        for field in self.blocked_through:
            excluded = Q(**{f"{field}__in": blocked})
            rule = excluded if rule is None else rule | excluded
        return rule

    def blocked_with(self, pk) -> list[int]:
        """The ids of the actors whose block hides the object `pk` from the blocker (one query)."""
        if not self.blocked_through:
            return []
        row = self.model._default_manager.filter(pk=pk).values_list(*self.blocked_through).first()
        return list(row) if row is not None else []

    def depends_on(self, kind: str, pks: QuerySet | list) -> QuerySet | None:
        """Primary keys of this kind's objects whose visibility follows from the objects
        `pks` of `kind` (a project's updates follow the project); None if none do."""
        return None

    def audience_members(self, obj) -> list[int]:
        """Actors who may see `obj` when its audience is `Audience.SOME`, for indexes that
        cannot ask `visible_to` (Elasticsearch): candidates checked against `visible_to`."""
        from profiles.selectors import user_of_actor

        allowed = []
        for actor_id in sorted(set(self.possible_viewers(obj))):
            viewer = user_of_actor(actor_id)
            if viewer is not None and self.visible_to(viewer).filter(pk=obj.pk).exists():
                allowed.append(actor_id)
        return allowed

    def possible_viewers(self, obj) -> Iterable[int]:
        """Every actor who might see `obj` beyond the signed-in public (a superset is fine:
        `audience_members` checks each against `visible_to`)."""
        return ()

    # --- moderation ---------------------------------------------------------------

    def set_hidden(self, obj, hidden: bool) -> None:
        obj.hidden = hidden
        obj.save(update_fields=["hidden"])

    def moderated_as(self) -> str:
        return self.moderation_name or self.name

    def moderation_subject(self, obj) -> str:
        """The audit row's subject: `<moderation name>:<ident>` (`collaboration:12`)."""
        return f"{self.moderated_as()}:{self.ident(obj)}"

    def author_of(self, obj):
        """The actor who answers for it (a `suspend` resolution suspends them)."""
        return None


_kinds: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    """Add `kind` to the registry; registering a kind of the same name again replaces it."""
    _kinds[kind.name] = kind
    return kind


def all_kinds() -> list[Kind]:
    return list(_kinds.values())


def kind_named(name: str) -> Kind:
    """The kind called `name` (`project`, `request`, ...); KeyError for an unknown name."""
    return _kinds[name]


def kind_of(obj) -> Kind:
    """The kind of `obj`, by its model; KeyError for something no kind declares."""
    for kind in _kinds.values():
        if isinstance(obj, kind.model):
            return kind
    raise KeyError(type(obj).__name__)


def kind_for_model(model) -> Kind | None:
    """The kind whose model is `model` (exactly), or None."""
    for kind in _kinds.values():
        if kind.model is model:
            return kind
    return None


def kind_for_moderation(name: str) -> Kind | None:
    """The kind moderators call `name` (`collaboration` is the request kind), or None."""
    for kind in _kinds.values():
        if kind.moderated_as() == name:
            return kind
    return None


def kind_for_activity_type(object_type: str) -> Kind | None:
    """The kind an `Activity.object_type` value names, or None (a city link)."""
    for kind in _kinds.values():
        if object_type in kind.types():
            return kind
    return None


def subject_of(object, target=None):
    """What an activity is about, whose visibility it takes: the first of its object and
    target that is not an actor ("Alice added Bob to Capteurs" is about the project), else
    its object. None for what no kind declares (a city link)."""
    named = [thing for thing in (object, target) if thing is not None and _declared(thing)]
    return next((thing for thing in named if kind_of(thing).name != "actor"), named[0] if named else None)


def _declared(obj) -> bool:
    return any(isinstance(obj, kind.model) for kind in _kinds.values())


def describe(obj) -> dict:
    """`{type, id, name, content, url}`: how an activity points at `obj`, in words people know."""
    kind = kind_of(obj)
    return {
        "type": kind.activity_type(obj),
        "id": kind.ident(obj),
        "name": kind.name_of(obj),
        "content": kind.content_of(obj),
        "url": kind.url_of(obj),
    }


# --- stream keys ------------------------------------------------------------------

# A remote actor's stream (federation) is `actor:name@host[:port]`.
STREAM_KEY = re.compile(r"^([a-z]{1,20}):([-a-zA-Z0-9_]{1,80}(?:@[-a-zA-Z0-9.:\[\]]{1,80})?)$")


def stream_key(obj) -> str | None:
    """The stream `obj` publishes on (`actor:<handle>`, `city:<handle>`, `project:<slug>`);
    a string is taken to be a key already."""
    if isinstance(obj, str):
        return obj
    return kind_of(obj).stream_key(obj)


def format_stream_key(prefix: str, ident: str) -> str:
    """The one place a stream key is spelled."""
    return f"{prefix}:{ident}"


def parse_stream_key(key: str) -> tuple[Kind, str, str] | None:
    """(kind, prefix, ident) of a well-formed key some kind publishes, else None."""
    match = STREAM_KEY.match(key or "")
    if not match:
        return None
    prefix, ident = match.groups()
    for kind in _kinds.values():
        if prefix in kind.stream_prefixes:
            return kind, prefix, ident
    return None


def stream_publisher(key: str):
    """The object that publishes stream `key`, or None if there is none."""
    parsed = parse_stream_key(key)
    if parsed is None:
        return None
    kind, prefix, ident = parsed
    return kind.publisher(prefix, ident)


def stream_is_visible(viewer, key: str) -> bool:
    """Whether `viewer` may read stream `key`; unknown and hidden streams look the same."""
    parsed = parse_stream_key(key)
    if parsed is None:
        return False
    kind, prefix, ident = parsed
    return kind.visible_publisher(viewer, prefix, ident)


# --- visibility, derived ------------------------------------------------------------


def subject_id(obj) -> str:
    """How an activity stores the id of its subject: the primary key, as text."""
    return str(obj.pk)


def pk_as_text(queryset: QuerySet) -> QuerySet:
    """`queryset`'s primary keys as text, a subquery comparable with `Activity.subject_id`."""
    return queryset.order_by().annotate(_pk_text=Cast("pk", CharField())).values("_pk_text")


def _standing_viewers():
    """The anonymous reader and a signed-in stranger: who stands for everyone else."""
    from django.contrib.auth.models import AnonymousUser

    from profiles.selectors import signed_in_stranger

    return AnonymousUser(), signed_in_stranger()


def audience_of(kind: Kind, pks) -> dict:
    """{pk: Audience} of the objects `pks` of `kind`, from `visible_to` alone: EVERYONE if
    the anonymous reader may see it, SIGNED_IN if a signed-in stranger may, else SOME.

    Every write that makes an activity or a search document asks this, so each kind's
    rule for the two standing viewers is compiled once per number of pks
    (`novosphere.compiled`): the standing viewers own nothing, so their `visible_to` is
    the same SQL every time, and the compiler refuses a builder that reads the database."""
    pks = list(pks)
    if not pks:
        return {}
    anonymous, stranger = _standing_viewers()
    everyone = _visible_among(kind, "anonymous", anonymous, pks)
    # A rule that is the same for every viewer gives the stranger what it gave the anonymous reader.
    signed_in = everyone if kind.same_for_every_viewer else _visible_among(kind, "stranger", stranger, pks)
    return {
        pk: Audience.EVERYONE if pk in everyone else Audience.SIGNED_IN if pk in signed_in else Audience.SOME
        for pk in pks
    }


def _visible_among(kind: Kind, who: str, viewer, pks: list) -> set:
    """Which of `pks` the standing viewer `who` may see, by the kind's compiled rule."""
    def build(pks):
        return kind.visible_to(viewer).filter(pk__in=pks).order_by().values_list("pk")

    # Named by the kind object, not only its name: a kind registered again (a test's) has a rule of its own.
    name = f"kinds.audience_of.{kind.name}.{who}.{_compiled_tag(kind)}"
    using = router.db_for_read(kind.model)
    try:
        as_stored = {pk: kind.model._meta.pk.to_python(pk) for pk in pks}
        rows = compiled_rows(name, build, using=using, pks=distinct(as_stored.values()))
    except (TypeError, ValidationError):  # not a key the compiler takes (a uuid): the plain query
        return set(kind.visible_to(viewer).filter(pk__in=pks).values_list("pk", flat=True))
    found = {pk for (pk,) in rows}
    return {pk for pk, stored in as_stored.items() if stored in found}


_compiled_tags = itertools.count(1)


def _compiled_tag(kind: Kind) -> int:
    tag = kind.__dict__.get("_compiled_tag")
    if tag is None:
        tag = kind._compiled_tag = next(_compiled_tags)
    return tag


def audience_expression(kind: Kind, pks, *, field: str = "subject_id") -> Case:
    """`audience_of` as one SQL expression over rows whose `field` holds a primary key of
    `kind` as text, so that an UPDATE brings many rows up to date at once."""
    anonymous, stranger = _standing_viewers()
    pks = list(pks)
    return Case(
        When(**{f"{field}__in": pk_as_text(kind.visible_to(anonymous).filter(pk__in=pks))}, then=Value(Audience.EVERYONE)),
        When(**{f"{field}__in": pk_as_text(kind.visible_to(stranger).filter(pk__in=pks))}, then=Value(Audience.SIGNED_IN)),
        default=Value(Audience.SOME),
    )


def visible_subjects(viewer, *, prefix: str = "") -> Q:
    """Activities whose subject `viewer` may see, asked of each kind's `visible_to`."""
    rule = Q(**{f"{prefix}subject_kind": ""})  # no subject: a city link, about public cities
    for kind in _kinds.values():
        rule |= Q(**{f"{prefix}subject_kind": kind.name, f"{prefix}subject_id__in": pk_as_text(kind.visible_to(viewer))})
    return rule


def blocked_subjects(blocked: QuerySet | list[int], *, prefix: str = "") -> Q | None:
    """Activities about what a block hides from the blocker (each kind's `excluded_by_blocks`)."""
    rule = None
    for kind in _kinds.values():
        excluded = kind.excluded_by_blocks(blocked)
        if excluded is None:
            continue
        about = Q(**{
            f"{prefix}subject_kind": kind.name,
            f"{prefix}subject_id__in": pk_as_text(kind.model._default_manager.filter(excluded)),
        })
        rule = about if rule is None else rule | about
    return rule


def dependents(kind: Kind, pks: list) -> list[tuple[Kind, list]]:
    """Every (kind, pks) whose visibility follows from the objects `pks` of `kind`, to any depth."""
    found: list[tuple[Kind, list]] = []
    queue = [(kind, list(pks))]
    seen: set[tuple[str, str]] = {(kind.name, str(pk)) for pk in pks}
    while queue:
        changed, changed_pks = queue.pop()
        for other in _kinds.values():
            affected = other.depends_on(changed.name, changed_pks)
            if affected is None:
                continue
            new = [pk for pk in affected if (other.name, str(pk)) not in seen]
            if new:
                seen.update((other.name, str(pk)) for pk in new)
                found.append((other, new))
                queue.append((other, new))
    return found


# --- text a person reads ------------------------------------------------------------


def excerpt(text: str, limit: int = CONTENT_LENGTH) -> str:
    """`text` with its white space folded, cut on a word to at most `limit` characters
    (an ellipsis marks the cut)."""
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:.") + "…"


def first_words(text: str, limit: int = 60) -> str:
    """The first words of a text, for something known by what it says (an update)."""
    return excerpt(text, limit)
