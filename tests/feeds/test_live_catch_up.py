"""A live socket's catch-up (a lost wake-up, a resume) reads as a page does: the streams'
entries after the cursor first, then visibility on those alone, and it shows exactly what
the one rule (`feeds.selectors.visible_activities`) shows, in the same order."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from feeds import live, services
from feeds.models import Activity, StreamEntry
from feeds.selectors import visible_activities
from moderation.services import block_actor
from projects.models import Project, ProjectMember, Visibility
from tests.conftest import make_person
from tests.feeds.conftest import post_update

pytestmark = pytest.mark.django_db

STREAMS = ["actor:alice", "actor:bob", "actor:carol", "city:rennes", "project:lab"]


def by_the_rule(user, streams, after, limit) -> list[str]:
    """The catch-up spelled with the general rule, one query over every entry."""
    on_streams = StreamEntry.objects.filter(stream__in=streams, activity_id__gt=after).values("activity_id")
    return list(visible_activities(user).filter(id__in=on_streams).order_by("id").values_list("id", flat=True)[:limit])


@pytest.fixture
def world(committed, alice, bob, carol, rennes):
    """Public, private, blocked and withdrawn activity, interleaved on several streams."""
    lab = Project.objects.create(slug="lab", title="Le Lab", owner=alice, city=rennes, visibility=Visibility.PRIVATE)
    ProjectMember.objects.create(project=lab, actor=alice, role=ProjectMember.Role.OWNER)
    member = make_person("dora", rennes)
    ProjectMember.objects.create(project=lab, actor=member, role=ProjectMember.Role.CONTRIBUTOR)
    outsider = make_person("erwan", rennes)
    blocker = make_person("fanny", rennes)
    ids = []
    for round_ in range(4):
        ids.append(committed(post_update, alice, streams=[rennes]).id)
        ids.append(committed(services.record, actor=alice, type="Update", object=lab, streams=[lab, rennes]).id)
        ids.append(committed(post_update, bob, streams=[rennes]).id)
        ids.append(committed(post_update, carol).id)
        if round_ == 1:
            committed(services.follow, follower=alice, target=carol)
            ids.append(Activity.objects.latest("id").id)
    block_actor(blocker=blocker, blocked=bob, user=blocker.user)
    carol.suspended = True  # her activity, and "Alice follows Carol", leave every path
    carol.save(update_fields=["suspended"])
    return {"readers": [alice, member, outsider, blocker, bob], "ids": sorted(ids)}


def test_the_catch_up_shows_what_the_rule_shows_from_any_cursor_at_any_size(world):
    ids = world["ids"]
    for reader in world["readers"]:
        for after in (live.ZERO, ids[3], ids[len(ids) // 2], ids[-1]):
            for limit in (1, 2, 5, 100):
                for streams in (STREAMS, ["city:rennes"], ["project:lab", "actor:bob"]):
                    expected = by_the_rule(reader.user, streams, after, limit)
                    read = [row.id for row in live.activities_after(user=reader.user, streams=streams, after=after, limit=limit)]
                    assert read == expected, (reader.handle, after, limit, streams)


def test_what_each_reader_misses_is_what_the_rule_hides(world):
    everything = by_the_rule(world["readers"][0].user, STREAMS, live.ZERO, 1000)  # alice: owner of the lab
    member, outsider, blocker = world["readers"][1:4]
    seen = {reader.handle: [row.id for row in live.activities_after(user=reader.user, streams=STREAMS, after=live.ZERO, limit=1000)]
            for reader in (member, outsider, blocker)}
    assert seen["dora"] == everything  # a member sees the lab's activity, as its owner does
    assert len(seen["erwan"]) < len(everything)  # an outsider does not
    assert len(seen["fanny"]) < len(seen["erwan"]) + 4  # nor does she see bob, whom she blocks
    assert not set(seen["fanny"]) - set(everything)


def test_the_catch_up_asks_a_fixed_number_of_queries_and_the_subjects_only_for_private_ones(world, alice):
    outsider = world["readers"][2]
    with CaptureQueriesContext(connection) as public_only:
        live.activities_after(user=outsider.user, streams=["actor:bob"], after=live.ZERO, limit=100)
    with CaptureQueriesContext(connection) as wide:
        live.activities_after(user=outsider.user, streams=STREAMS, after=live.ZERO, limit=100)
    # The reader's blocks, the streams' entries, the rows: whatever the number of streams.
    assert len(public_only) == 3, [query["sql"] for query in public_only]
    # With private activity among them, one more: the subjects' kinds, on those alone.
    assert len(wide) == 4, "\n".join(query["sql"][:300] for query in wide)
    assert "projects_project" not in " ".join(query["sql"] for query in public_only)
