"""What the live push says about moderated activity, on an in-memory channel layer."""

import pytest

from feeds import live
from feeds.models import Activity
from moderation import services
from novosphere.ws_auth import group_for_user
from projects.models import Project
from projects.services import create_project, post_update
from tests.channel_layer import listen, received

pytestmark = pytest.mark.django_db


def test_activity_of_a_hidden_project_or_about_a_hidden_update_is_pushed_without_frames(
    committed, layer, alice, moderator
):
    project = committed(create_project, creator=alice.user, title="Atelier")
    update = committed(post_update, project=project, author=alice.user, body="Portes ouvertes")
    channel = listen(layer, live.group_for_stream(f"project:{project.slug}"))
    update_activity = Activity.objects.get(object_type="update", object_id=str(update.pk))

    committed(services.set_hidden, kind="update", pk=update.pk, hidden=True, moderator=moderator)
    live.push_activity(update_activity.id)  # a late or repeated wake-up
    [event] = received(layer, channel)
    # No socket takes it: each asks the update's rule, which hides it from everyone.
    assert not live.shown_without_check(event)
    assert not any(live.may_see(user=reader, event=event) for reader in (alice.user, moderator))

    committed(services.set_hidden, kind="project", pk=project.pk, hidden=True, moderator=moderator)
    created = Activity.objects.get(object_type="project", object_id=project.slug)
    live.push_activity(created.id)
    [event] = received(layer, channel)
    assert not live.shown_without_check(event)
    assert not any(live.may_see(user=reader, event=event) for reader in (alice.user, moderator))
    assert Project.objects.get(pk=project.pk).hidden


def test_a_push_names_its_author_so_each_connection_can_skip_those_it_blocks(committed, layer, alice):
    channel = listen(layer, live.group_for_stream("actor:alice"))
    committed(create_project, creator=alice.user, title="Atelier")
    [event] = received(layer, channel)
    assert event["actor_id"] == alice.pk


def test_blocking_tells_the_blockers_open_sockets(committed, layer, alice, bob):
    group = group_for_user(alice.user_id)
    channel = listen(layer, group)
    committed(services.block_actor, blocker=alice, blocked=bob, user=alice.user)
    assert {"type": "blocks.changed", "group": group} in received(layer, channel)
    committed(services.unblock_actor, blocker=alice, blocked=bob, user=alice.user)
    assert {"type": "blocks.changed", "group": group} in received(layer, channel)
