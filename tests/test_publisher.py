"""The one after-commit publisher: work exists exactly when its change commits, and is done once it is."""

import json
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from novosphere import publisher
from novosphere.models import OutboxItem
from novosphere.publisher import WORKER, handles, publish_on_commit

done: list[dict] = []
failures = {"flaky": 0}


# Real handlers, registered as an app's dispatch.py registers its own.
@handles("test.note")
def note(payload: dict) -> None:
    done.append(payload)


@handles("test.flaky")
def flaky(payload: dict) -> None:
    if failures["flaky"] > 0:
        failures["flaky"] -= 1
        raise ConnectionError("the receiver is down")
    done.append(payload)


@handles("test.best_effort", retry=False)
def best_effort(payload: dict) -> None:
    raise ConnectionError("the layer is down")


@handles("test.long", where=WORKER)
def long_work(payload: dict) -> None:
    done.append(payload)


@pytest.fixture(autouse=True)
def clean():
    done.clear()
    failures["flaky"] = 0
    yield
    done.clear()


committing = pytest.mark.django_db(transaction=True)


@committing
def test_work_runs_after_commit_and_leaves_no_row():
    with transaction.atomic():
        publish_on_commit("test.note", {"n": 1})
        assert done == []  # not before the commit
        assert OutboxItem.objects.count() == 1  # but its row is in the writer's transaction
    assert done == [{"n": 1}]
    assert not OutboxItem.objects.exists()


@committing
def test_a_rollback_takes_the_work_away():
    with pytest.raises(RuntimeError), transaction.atomic():
        publish_on_commit("test.note", {"n": 1})
        raise RuntimeError("the write failed")
    assert done == [] and not OutboxItem.objects.exists()
    assert publisher.sweep(older_than_seconds=0) == 0


@committing
def test_worker_work_runs_in_process_without_a_broker():
    with transaction.atomic():
        publish_on_commit("test.long", {"n": 2})
    assert done == [{"n": 2}] and not OutboxItem.objects.exists()


@pytest.mark.django_db
def test_a_payload_that_is_not_json_fails_in_the_writers_transaction():
    with pytest.raises(TypeError):
        publish_on_commit("test.note", {"when": object()})
    payload = {"activity": "01J", "keys": ["actor:1"], "nested": {"n": 1}}
    item = publish_on_commit("test.note", payload)
    item.refresh_from_db()
    assert item.payload == json.loads(json.dumps(payload))


@pytest.mark.django_db
def test_an_unknown_kind_is_refused_at_once():
    with pytest.raises(LookupError):
        publish_on_commit("test.nobody", {})


@pytest.mark.django_db
def test_work_lost_between_commit_and_run_is_done_by_the_sweep_once(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):  # the process dies after the commit
        publish_on_commit("test.note", {"n": 3})
    assert done == []
    assert publisher.sweep(older_than_seconds=3600) == 0  # within the grace: its task may be on its way
    assert publisher.sweep(older_than_seconds=0) == 1
    assert publisher.sweep(older_than_seconds=0) == 0
    assert done == [{"n": 3}]


@committing
def test_failed_work_is_kept_with_a_backoff_and_retried_until_it_succeeds(settings):
    settings.OUTBOX_RETRY_SECONDS = 30
    failures["flaky"] = 2
    publish_on_commit("test.flaky", {"n": 4})
    item = OutboxItem.objects.get()
    assert item.attempts == 1 and "the receiver is down" in item.last_error
    assert item.due > timezone.now() + timedelta(seconds=25)
    assert publisher.sweep(older_than_seconds=0) == 0  # not due yet

    OutboxItem.objects.update(due=timezone.now())
    assert publisher.sweep(older_than_seconds=0) == 0  # failed again: the backoff doubles
    item.refresh_from_db()
    assert item.attempts == 2 and item.due > timezone.now() + timedelta(seconds=55)

    OutboxItem.objects.update(due=timezone.now())
    assert publisher.sweep(older_than_seconds=0) == 1
    assert done == [{"n": 4}] and not OutboxItem.objects.exists()


@pytest.mark.django_db
def test_a_failing_kind_is_left_alone_for_the_rest_of_the_pass():
    left_behind = timezone.now() - timedelta(hours=1)
    for payload in ({"n": 1}, {"n": 2}):
        OutboxItem.objects.create(kind="test.flaky", payload=payload, created=left_behind, due=left_behind)
    OutboxItem.objects.create(kind="test.note", payload={"n": 3}, created=left_behind, due=left_behind)
    failures["flaky"] = 1  # its receiver is down
    assert publisher.sweep() == 1  # the note; the second flaky row is not tried against a receiver that failed
    assert done == [{"n": 3}]
    assert sorted(OutboxItem.objects.values_list("attempts", flat=True)) == [0, 1]
    assert OutboxItem.objects.get(attempts=0).due == left_behind  # given back untouched


@committing
def test_best_effort_work_that_fails_is_dropped():
    publish_on_commit("test.best_effort", {})
    assert not OutboxItem.objects.exists()


@pytest.mark.django_db
def test_a_row_under_lease_is_not_taken_by_the_sweep(settings):
    # As a worker holds a row: claimed, not yet done.
    OutboxItem.objects.create(kind="test.note", payload={"n": 7}, created=timezone.now() - timedelta(hours=1),
                              due=timezone.now() + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS))
    assert publisher.sweep(older_than_seconds=0) == 0
    OutboxItem.objects.update(due=timezone.now())  # the worker died: its lease ran out
    assert publisher.sweep(older_than_seconds=0) == 1
    assert done == [{"n": 7}]


@committing
def test_a_worker_runs_a_row_once_and_ignores_one_already_done():
    with transaction.atomic():
        item = publish_on_commit("test.note", {"n": 8})
    assert publisher.run_by_id(item.pk) is True  # done at commit: the row is gone, nothing runs twice
    assert done == [{"n": 8}]
    kept = OutboxItem.objects.create(kind="test.note", payload={"n": 9})
    assert publisher.run_by_id(kept.pk) is True
    assert done == [{"n": 8}, {"n": 9}] and not OutboxItem.objects.exists()


def test_every_kind_of_work_of_the_service_is_registered():
    assert {"feeds.push", "feeds.fan_out", "sockets.user"} <= set(publisher.kinds())
