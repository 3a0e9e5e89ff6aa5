"""What each app gives to search: one `DocumentType` per kind of object.

An app declares its types in its own `documents.py` and registers them:

    class ProjectDocuments(DocumentType):
        type = "project"
        model = Project
        kind = "project"
        def document(self, project): return Document(..., **self.audience(project))
        ...
    register(ProjectDocuments())

`search` discovers every `documents.py` when Django starts, and asks each type: the objects to
index, the document of one object, and the models whose changes change its
documents (`dependencies`, read by `search.sync.index_on_commit` when a
service writes). Who may see a document is
its kind's rule (`novosphere.kinds`): stored with the document as an audience
derived from that rule, and what a block hides, asked at query time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import models
from django.db.models import CharField, QuerySet, prefetch_related_objects
from django.db.models.functions import Cast

from novosphere import kinds
from novosphere.compiled import compiled_objects, distinct
from profiles.selectors import viewer_actor


class Audience:
    """Who may see a document, stored with it where the index cannot ask the database (Elasticsearch)."""

    EVERYONE = "everyone"  # the anonymous reader
    SIGNED_IN = "signed_in"  # signed-in people
    LISTED = "listed"  # the actors listed in `member_ids`


@dataclass
class Document:
    """One object as search sees it."""

    type: str
    object_pk: int | str  # a number, or a slug for kinds keyed by one (events)
    ident: str  # the public id: a handle, a slug, a request id
    title: str
    body: str = ""
    kind: str = ""
    city: str = ""
    country: str = ""
    sectors: list[str] = field(default_factory=list)
    skills: list[str] = field(default_factory=list)
    # Every city the `city` filter finds the object by (`city` first); empty means just `city`.
    places: list[str] = field(default_factory=list)
    # Who may see the object, mirroring the type's visibility selector: the
    # index filters on these at query time instead of asking the selector per
    # match. `DocumentType.visible` stays the reference they are tested against.
    audience: str = Audience.EVERYONE
    member_ids: list[int] = field(default_factory=list)
    hidden: bool = False

    @property
    def key(self) -> str:
        return document_key(self.type, self.object_pk)


def document_key(type_: str, pk) -> str:
    return f"{type_}:{pk}"


def split_key(key: str) -> tuple[str, str]:
    """`(type, primary key as text)`: a kind's key may be a number or a slug (events)."""
    type_, _, pk = key.partition(":")
    return type_, pk


class DocumentType:
    """Base class of what one app gives to search for one model (of one kind, `novosphere.kinds`)."""

    type: str = ""
    model: type[models.Model]
    # The registry's kind of these objects: its rule says who may see them.
    kind: str = ""

    def queryset(self) -> QuerySet:
        """Every object to index, with what `document` reads prefetched.

        Compiled once and run again with other keys (`documents_for_keys`): it must not
        depend on anything that changes (the time, a setting)."""
        return self.model._default_manager.all()

    def document(self, obj) -> Document:
        raise NotImplementedError

    def visible(self, viewer) -> QuerySet:
        """The objects `viewer` may see: the kind's rule (`novosphere.kinds`), nothing else."""
        return kinds.kind_named(self.kind).visible_to(viewer)

    def excluded_for(self, blocked: list[int]) -> QuerySet | None:
        """Primary keys as text (a one-column `values()` subquery, compared with
        `SearchDocument.object_pk`) of objects hidden from a viewer who blocks the actors
        `blocked`, which no stored audience can say (what a block hides: the kind says);
        None when none are."""
        if not blocked or not self.kind:
            return None
        excluded = kinds.kind_named(self.kind).excluded_by_blocks(blocked)
        if excluded is None:
            return None
        return self.model._default_manager.filter(excluded).annotate(
            search_pk=Cast("pk", output_field=CharField())
        ).values("search_pk")

    def audience(self, obj) -> dict:
        """`audience`, `member_ids` and `hidden` of `obj`'s document: who may see it, derived from
        its kind's rule (`novosphere.kinds.audience_of`), for indexes that cannot ask the rule."""
        kind = kinds.kind_named(self.kind)
        stored = getattr(obj, "_search_audience", None) or kinds.audience_of(kind, [obj.pk])[obj.pk]
        if stored == kinds.Audience.EVERYONE:
            return {"audience": Audience.EVERYONE, "member_ids": [], "hidden": False}
        if stored == kinds.Audience.SIGNED_IN:
            return {"audience": Audience.SIGNED_IN, "member_ids": [], "hidden": False}
        members = kind.audience_members(obj)
        return {"audience": Audience.LISTED, "member_ids": members, "hidden": not members}

    def dependencies(self) -> list[tuple[type[models.Model], object]]:
        """Models whose changes change documents of this type, each with a function
        `instance -> primary keys of the objects to reindex`. The model itself is implied."""
        return []


def stored_audience_allows(document: Document, viewer) -> bool:
    """The rule the Elasticsearch filter encodes, in Python, for tests against the selectors."""
    if document.hidden:
        return False
    me = viewer_actor(viewer)
    if document.audience == Audience.EVERYONE:
        return True
    if me is None:
        return False
    if document.audience == Audience.SIGNED_IN:
        return True
    return me.pk in document.member_ids


_registry: dict[str, DocumentType] = {}


def register(document_type: DocumentType) -> DocumentType:
    """Make `document_type` searchable; registering the same type again replaces it."""
    _registry[document_type.type] = document_type
    return document_type


def unregister(type_: str) -> None:
    _registry.pop(type_, None)


def exclusions_for(viewer) -> dict[str, QuerySet]:
    """{type: pk subquery} of what each type hides from `viewer` alone (see `DocumentType.excluded_for`).

    The viewer's blocks are read once, as ids: most viewers block nobody, and then
    nothing is excluded and no search carries a subquery per type."""
    from moderation.selectors import blocked_ids

    blocked = sorted(blocked_ids(viewer_actor(viewer)))
    found = {}
    for handler in document_types():
        excluded = handler.excluded_for(blocked)
        if excluded is not None:
            found[handler.type] = excluded
    return found


def document_types() -> list[DocumentType]:
    return list(_registry.values())


def document_type(type_: str) -> DocumentType | None:
    return _registry.get(type_)


def documents_for_keys(keys: Iterable[str]) -> tuple[list[Document], list[str]]:
    """The current documents of `keys`, and the keys whose object no longer exists."""
    by_type: dict[str, list[str]] = {}
    for key in keys:
        type_, pk = split_key(key)
        by_type.setdefault(type_, []).append(pk)
    documents, gone = [], []
    for type_, pks in by_type.items():
        handler = _registry.get(type_)
        if handler is None:
            gone.extend(document_key(type_, pk) for pk in pks)
            continue
        found = {str(obj.pk): obj for obj in _with_audiences(handler, _objects(handler, pks))}
        for pk in pks:
            if pk in found:
                documents.append(handler.document(found[pk]))
            else:
                gone.append(document_key(type_, pk))
    return documents, gone


def _objects(handler: DocumentType, pks: list[str]) -> list:
    """The objects of `handler`'s queryset among `pks` (primary keys as text), with what it prefetches.

    Compiled once per type and number of keys (`novosphere.compiled`): a write indexes one
    or a few documents, and building and compiling a queryset that selects six related
    objects cost more than running it."""
    queryset = handler.queryset()
    if queryset.query.annotations:  # what `compiled_objects` does not fill in
        return list(queryset.filter(pk__in=pks))
    to_python = handler.model._meta.pk.to_python
    objects = compiled_objects(
        f"search.documents:{type(handler).__module__}.{type(handler).__qualname__}:{handler.model._meta.label}",
        lambda pks: handler.queryset().filter(pk__in=pks),
        pks=distinct(to_python(pk) for pk in pks),
    )
    prefetch_related_objects(objects, *queryset._prefetch_related_lookups)
    return objects


def all_documents(batch_size: int = 500) -> Iterable[Document]:
    """Every document of every registered type, in batches that keep memory flat."""
    for handler in document_types():
        queryset = handler.queryset().order_by("pk")
        last = None
        while True:
            page = queryset.filter(pk__gt=last) if last is not None else queryset
            batch = _with_audiences(handler, page[:batch_size])
            if not batch:
                break
            for obj in batch:
                yield handler.document(obj)
            last = batch[-1].pk


def _with_audiences(handler: DocumentType, objects) -> list:
    """The objects, each told its audience: two queries for the batch rather than two per document."""
    objects = list(objects)
    if objects and handler.kind:  # a type of no registered kind says its own audience
        audiences = kinds.audience_of(kinds.kind_named(handler.kind), [obj.pk for obj in objects])
        for obj in objects:
            obj._search_audience = audiences[obj.pk]
    return objects


def count_documents() -> int:
    return sum(handler.queryset().count() for handler in document_types())
