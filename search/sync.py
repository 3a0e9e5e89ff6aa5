"""Keeping the index in step with the database: what a service writes is indexed right after commit.

Every service that writes something a document reads calls `index_on_commit`
with what it wrote (bulk `update()`s included; model signals are not used,
since a bulk update skips them). That publishes one `search.index` piece of
work (`novosphere.publisher`) in the writer's transaction: a rolled-back
transaction indexes nothing, and a process that dies after its commit leaves
the work to the outbox's sweep. After commit, the documents are rebuilt from
the database and sent to the backend in one call, in-process, on the
embedded default and at scale alike (one document per changed object keeps
it to milliseconds).

An index that fails is logged and never fails the write: the keys it could
not take are kept in `PendingIndexKey`, one row per document however many
writes touched it during an outage, and `index_pending` (`manage.py reindex
--pending`, the periodic `search.tasks.index_pending`) indexes them once the
backend answers again.
"""

import logging
from collections.abc import Iterable

from django.db import DatabaseError, models
from django.utils import timezone

from novosphere.publisher import publish_on_commit
from search import registry
from search.models import PendingIndexKey

logger = logging.getLogger(__name__)


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


def affected_keys(instance: models.Model) -> set[str]:
    """The keys of the documents a change to `instance` changes: its own, if its model is
    indexed, and those whose types declare they depend on its model."""
    keys = set()
    for document_type in registry.document_types():
        if isinstance(instance, document_type.model) and instance.pk is not None:
            keys.add(registry.document_key(document_type.type, instance.pk))
        for model, pks_of in document_type.dependencies():
            if isinstance(instance, model):
                keys.update(registry.document_key(document_type.type, pk) for pk in pks_of(instance) if pk is not None)
    return keys


def index_on_commit(*objects: models.Model, keys: Iterable[str] = ()) -> None:
    """Bring the documents of `objects` (and those that depend on them) up to date after commit.

    Services call it for what they write, bulk updates included; for a deletion,
    before deleting, while what depends on the object can still be found."""
    wanted = set(keys)
    for instance in objects:
        wanted |= affected_keys(instance)
    if wanted:
        publish_on_commit("search.index", {"keys": sorted(wanted)})
