"""A private project's activity reaches no non-member, by any path."""

import pytest
from django.test import override_settings

from feeds import services
from feeds.models import Notification
from projects.models import Project, ProjectMember, Visibility
from tests.conftest import client_for, make_person
from tests.feeds.conftest import all_pages, feed, feed_ids, post_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(alice, rennes):
    project = Project.objects.create(slug="lab", title="Le Lab", owner=alice, city=rennes, visibility=Visibility.PUBLIC)
    ProjectMember.objects.create(project=project, actor=alice, role=ProjectMember.Role.OWNER)
    return project


@pytest.fixture
def member(project, rennes):
    dora = make_person("dora", rennes)
    ProjectMember.objects.create(project=project, actor=dora, role=ProjectMember.Role.CONTRIBUTOR)
    return dora


def record_on_project(alice, bob, project, rennes):
    """alice updates the project, published on her stream, the project's and the city's;
    bob (not a member) is told of it."""
    return services.record(
        actor=alice, type="Update", object=project, streams=[project, rennes],
        notify=[(bob, Notification.Reason.ADDED_TO_PROJECT)],
    )


def what_each_path_shows(api, client, activity_id: str) -> dict:
    def ids(path):
        response = client.get(path)
        if response.status_code == 404:
            return "404"
        return [a["id"] for a in response.json()["results"]]

    notification_ids = (
        [n["activity"]["id"] for n in client.get("/api/v1/notifications/").json()["results"]]
        if client is not api else []
    )
    return {
        "feed": activity_id in feed_ids(client) if client is not api else False,
        "actor": activity_id in ids("/api/v1/actors/alice/activity/"),
        "city": activity_id in ids("/api/v1/cities/rennes/activity/"),
        "project": ids("/api/v1/projects/lab/activity/"),
        "notifications": activity_id in notification_ids,
    }


HIDDEN = {"feed": False, "actor": False, "city": False, "project": "404", "notifications": False}


@pytest.mark.parametrize("threshold", [5000, 0])
def test_private_project_activity_reaches_members_only(committed, api, alice, bob, member, project, rennes, threshold):
    project.visibility = Visibility.PRIVATE
    project.save()
    with override_settings(FEEDS_FANOUT_MAX_FOLLOWERS=threshold):
        bob_api, dora_api = client_for(bob), client_for(member)
        for client in (bob_api, dora_api):
            committed(client.post, "/api/v1/actors/alice/follow/")
            committed(client.post, "/api/v1/actors/rennes/follow/")
        services.follow(follower=bob, target=project)
        activity = committed(record_on_project, alice, bob, project, rennes)

        assert what_each_path_shows(api, bob_api, activity.id) == HIDDEN
        assert what_each_path_shows(api, api, activity.id) == {**HIDDEN, "notifications": False}
        seen_by_member = what_each_path_shows(api, dora_api, activity.id)
        assert seen_by_member["feed"] and seen_by_member["actor"] and seen_by_member["city"]
        assert activity.id in seen_by_member["project"]


def test_activity_recorded_while_public_is_hidden_once_the_project_turns_private(committed, api, alice, bob, project, rennes):
    bob_api = client_for(bob)
    committed(bob_api.post, "/api/v1/actors/alice/follow/")
    activity = committed(record_on_project, alice, bob, project, rennes)
    assert what_each_path_shows(api, bob_api, activity.id) == {
        "feed": True, "actor": True, "city": True, "project": [activity.id], "notifications": True,
    }
    assert activity.id in [a["id"] for a in api.get("/api/v1/projects/lab/activity/").json()["results"]]

    project.visibility = Visibility.PRIVATE
    project.save()
    assert what_each_path_shows(api, bob_api, activity.id) == HIDDEN
    assert what_each_path_shows(api, api, activity.id) == HIDDEN
    assert bob_api.get("/api/v1/notifications/").json()["unread_count"] == 0
    alice_sees = what_each_path_shows(api, client_for(alice), activity.id)
    assert alice_sees["feed"] and alice_sees["project"] == [activity.id]


def test_members_only_projects_are_hidden_from_anonymous_readers(committed, api, alice, bob, project, rennes):
    project.visibility = Visibility.MEMBERS
    project.save()
    activity = committed(record_on_project, alice, bob, project, rennes)
    assert what_each_path_shows(api, api, activity.id) == HIDDEN
    assert what_each_path_shows(api, client_for(bob), activity.id)["city"] is True


@pytest.mark.parametrize("threshold", [5000, 0])
def test_pages_stay_full_and_exact_when_many_activities_in_between_are_hidden(
    committed, api, alice, bob, project, rennes, threshold
):
    """A page reads entries first and visibility second: a run of hidden activities
    longer than a page must neither shorten a page nor lose or repeat an activity,
    on a fanned-out timeline (5000) as on one merged at read time (0)."""
    bob_api = client_for(bob)
    with override_settings(FEEDS_FANOUT_MAX_FOLLOWERS=threshold):
        committed(bob_api.post, "/api/v1/actors/alice/follow/")
        older = [committed(post_update, alice).id for _ in range(3)]
        hidden = [committed(record_on_project, alice, bob, project, rennes).id for _ in range(25)]
        newer = [committed(post_update, alice).id for _ in range(2)]
        everything = all_pages(bob_api, limit=4)
        assert set(hidden) <= set(everything)
        project.visibility = Visibility.PRIVATE
        project.save()

        shown = [i for i in everything if i not in hidden]
        assert feed_ids(bob_api, limit=4) == shown[:4]
        assert all_pages(bob_api, limit=4) == shown
        assert all_pages(bob_api, limit=1) == shown
        # Catching up from the oldest update: the oldest three newer ones, newest first.
        caught_up = feed(bob_api, after=older[0], limit=3)
        assert [a["id"] for a in caught_up["results"]] == [newer[0], older[2], older[1]]
        assert caught_up["next"] == older[1]
        city = api.get("/api/v1/cities/rennes/activity/", {"limit": 2}).json()
        assert not set(hidden) & {a["id"] for a in city["results"]}
