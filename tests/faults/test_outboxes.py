"""The two outboxes that make an outage lose nothing: fan-outs that never finished,
and documents the search index could not take. In-process, on the suite's database."""

import pytest
from django.db import transaction

from feeds import services as feeds
from feeds.models import Activity, TimelineEntry
from novosphere import publisher
from novosphere.models import OutboxItem
from search import sync
from search.backends import get_search_backend
from search.models import PendingIndexKey, SearchDocument
from tests.conftest import make_person
from tests.e2e.server import free_port

# The search tests need real commits (the index is updated after them); the fan-out
# tests capture the after-commit callbacks instead, inside the test's transaction.
committing = pytest.mark.django_db(transaction=True)


@pytest.mark.django_db
def test_a_fan_out_that_never_ran_is_redone_by_the_sweep_once(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        alice, bob, carol = make_person("alice"), make_person("bob"), make_person("carol")
        feeds.follow(follower=alice, target=bob)
    assert not OutboxItem.objects.exists()  # done work leaves no row
    # Its after-commit work never runs: the task lost with its broker, the process killed.
    with django_capture_on_commit_callbacks(execute=False):
        feeds.follow(follower=bob, target=carol)
    activity = Activity.objects.get(actor=bob, type="Follow")
    fan_out = OutboxItem.objects.get(kind="feeds.fan_out")
    assert fan_out.payload == {"activity": activity.id}
    assert not TimelineEntry.objects.filter(owner=alice, activity=activity).exists()

    assert publisher.sweep(older_than_seconds=3600) == 0  # too recent: its task may be on its way
    # The live push, the fan-out, the deliveries (webhooks), and telling bob's sockets that his follows changed.
    assert sorted(OutboxItem.objects.values_list("kind", flat=True)) == [
        "delivery.fan_out", "feeds.fan_out", "feeds.push", "sockets.user"
    ]
    assert publisher.sweep(older_than_seconds=0) == 4
    assert TimelineEntry.objects.filter(owner=alice, activity=activity).count() == 1
    assert not OutboxItem.objects.exists()
    assert publisher.sweep(older_than_seconds=0) == 0


@committing
def test_an_ordinary_delivery_leaves_nothing_in_the_outbox():
    alice, bob = make_person("alice"), make_person("bob")
    feeds.follow(follower=alice, target=bob)
    assert TimelineEntry.objects.filter(owner=alice).count() == 1
    assert not OutboxItem.objects.exists()


@pytest.fixture
def unreachable_index(settings):
    """switch(True): a real Elasticsearch client pointed where nothing listens; switch(False): the database."""

    def switch(on: bool):
        if on:
            settings.SEARCH_BACKEND = "elasticsearch"
            settings.ELASTICSEARCH_URL = f"http://127.0.0.1:{free_port()}"
            settings.SEARCH_INDEX = "faults-outbox"
        else:
            settings.SEARCH_BACKEND = "database"
    return switch


@committing
def test_documents_the_index_refused_are_kept_until_a_sync_that_works(unreachable_index):
    unreachable_index(True)
    with transaction.atomic():
        person = make_person("tenace", headline="Hydrolienne")
    key = f"actor:{person.pk}"
    assert PendingIndexKey.objects.filter(key=key).exists()

    assert sync.index_pending() == (0, PendingIndexKey.objects.count())  # still down: kept
    assert PendingIndexKey.objects.filter(key=key).exists()

    unreachable_index(False)
    indexed, remaining = sync.index_pending()
    assert (indexed, remaining) == (indexed, 0) and indexed >= 1
    assert SearchDocument.objects.filter(key=key).exists()
    assert "tenace" in [hit["id"] for hit in get_search_backend().search("tenace")["results"]]


@committing
def test_a_key_that_fails_again_during_a_sync_stays_pending(unreachable_index):
    unreachable_index(True)
    with transaction.atomic():
        person = make_person("tenace")
    key = f"actor:{person.pk}"
    before = PendingIndexKey.objects.get(key=key).since
    sync.keep_pending([key])  # failed again, later
    assert PendingIndexKey.objects.get(key=key).since > before
    assert PendingIndexKey.objects.filter(key=key).count() == 1
