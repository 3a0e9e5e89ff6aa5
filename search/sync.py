"""Keeping the index in step with the database: changed objects are indexed right after commit.

Signals (post_save, post_delete, m2m_changed) on every model a document type
reads note the keys of the documents they change; after the transaction
commits, those documents are rebuilt from the database and sent to the
backend in one call. A rolled-back transaction indexes nothing it wrote. An
index that fails is logged and never fails the write that triggered it: the
keys it could not take are kept in `PendingIndexKey` (the index's outbox), and
`index_pending` (`manage.py reindex --pending`, the periodic
`search.tasks.index_pending`) indexes them once the backend answers again.

This runs in-process after commit, on the embedded default and at scale
alike; one document per changed object keeps it to milliseconds.
"""

import logging
import threading
from collections.abc import Iterable

from django.db import DatabaseError, models, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone

from search import registry
from search.models import PendingIndexKey

logger = logging.getLogger(__name__)

_pending = threading.local()


def index_keys(keys: Iterable[str]) -> bool:
    """Bring the documents of `keys` up to date now: rebuilt if their object exists, removed if not.

    Returns whether the backend took them; if not, they are kept for a later sync."""
    from search.backends import SearchUnavailable, get_search_backend

    keys = list(dict.fromkeys(keys))
    if not keys:
        return True
    try:
        documents, gone = registry.documents_for_keys(keys)
        backend = get_search_backend()
        backend.index(documents)
        backend.delete(gone)
    except SearchUnavailable as error:  # an index that is down must not fail a user's write
        logger.error("search: indexing failed (index unavailable), %d documents kept for a later sync: %s",
                     len(keys), error)
        keep_pending(keys)
        return False
    except Exception:
        logger.exception("search: indexing failed for %s; kept for a later sync", keys)
        keep_pending(keys)
        return False
    return True


def keep_pending(keys: list[str]) -> None:
    """Record `keys` in the outbox (or refresh when they last failed)."""
    now = timezone.now()
    try:
        PendingIndexKey.objects.bulk_create(
            [PendingIndexKey(key=key, since=now) for key in keys],
            update_conflicts=True, unique_fields=["key"], update_fields=["since"],
        )
    except DatabaseError:  # the database is down too: `manage.py reindex` is the repair
        logger.exception("search: could not keep %d pending keys", len(keys))


def index_pending(*, batch_size: int = 500) -> tuple[int, int]:
    """Index what the backend could not take before; returns (indexed, still pending).

    Stops at the first batch the backend refuses, keeping it. A key that fails
    again while its batch is being indexed keeps its newer `since` and stays."""
    indexed = 0
    while True:
        started = timezone.now()
        keys = list(PendingIndexKey.objects.order_by("since", "key").values_list("key", flat=True)[:batch_size])
        if not keys or not index_keys(keys):
            break
        PendingIndexKey.objects.filter(key__in=keys, since__lte=started).delete()
        indexed += len(keys)
    remaining = PendingIndexKey.objects.count()
    if indexed or remaining:
        logger.info("search: pending sync indexed=%d pending=%d", indexed, remaining)
    return indexed, remaining


def schedule(keys: Iterable[str]) -> None:
    """Index `keys` once the current transaction commits (at once outside a transaction)."""
    pending = getattr(_pending, "keys", None)
    if pending is None:
        pending = _pending.keys = set()
    pending.update(keys)
    # Several signals in one transaction schedule several flushes; the first
    # takes every pending key and the others find nothing left to do.
    transaction.on_commit(_flush, robust=True)


def _flush() -> None:
    keys = getattr(_pending, "keys", None) or set()
    _pending.keys = set()
    index_keys(sorted(keys))


def _uid(document_type: registry.DocumentType, model, signal_name: str) -> str:
    return f"search:{document_type.type}:{model._meta.label}:{signal_name}"


def _watched(document_type: registry.DocumentType) -> list[tuple[type[models.Model], object]]:
    own = (document_type.model, lambda instance: [instance.pk])
    return [own, *document_type.dependencies()]


def connect_signals(document_type: registry.DocumentType) -> None:
    type_ = document_type.type
    for position, (model, pks_of) in enumerate(_watched(document_type)):

        def changed(sender, instance, pks_of=pks_of, **kwargs):
            if kwargs.get("raw"):  # fixtures being loaded: reindex afterwards
                return
            schedule(registry.document_key(type_, pk) for pk in pks_of(instance) if pk is not None)

        post_save.connect(changed, sender=model, weak=False, dispatch_uid=_uid(document_type, model, f"save{position}"))
        post_delete.connect(
            changed, sender=model, weak=False, dispatch_uid=_uid(document_type, model, f"delete{position}")
        )

    model = document_type.model
    for field in model._meta.many_to_many:
        through = field.remote_field.through

        def m2m(sender, instance, action, reverse, pk_set, **kwargs):
            if action not in ("post_add", "post_remove", "post_clear"):
                return
            if isinstance(instance, model):
                schedule([registry.document_key(type_, instance.pk)])
            elif pk_set:
                schedule(registry.document_key(type_, pk) for pk in pk_set)

        m2m_changed.connect(m2m, sender=through, weak=False, dispatch_uid=_uid(document_type, through, "m2m"))


def disconnect_signals(document_type: registry.DocumentType) -> None:
    for position, (model, _pks_of) in enumerate(_watched(document_type)):
        post_save.disconnect(sender=model, dispatch_uid=_uid(document_type, model, f"save{position}"))
        post_delete.disconnect(sender=model, dispatch_uid=_uid(document_type, model, f"delete{position}"))
    for field in document_type.model._meta.many_to_many:
        through = field.remote_field.through
        m2m_changed.disconnect(sender=through, dispatch_uid=_uid(document_type, through, "m2m"))
