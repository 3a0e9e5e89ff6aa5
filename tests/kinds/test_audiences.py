"""The audience stored on activities is derived from each subject's rule and follows every change
of the subject, whatever path makes it: a service, the moderation API, the admin, a model save."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from feeds.models import Activity
from feeds.selectors import stale_audiences
from moderation.services import set_hidden, suspend_actor
from novosphere import kinds
from profiles.models import User
from projects.models import CollaborationRequest, Project
from tests.conftest import client_for, make_person
from tests.events.conftest import event_body
from tests.projects.helpers import create_project, open_request


@pytest.fixture
def moderator(db):
    return User.objects.create_user("modo", password="correct horse battery staple", is_staff=True)


@pytest.fixture
def world(django_capture_on_commit_callbacks, alice, bob):
    """Activity about one thing of every kind, all public to begin with."""
    alice_api, bob_api = client_for(alice), client_for(bob)
    with django_capture_on_commit_callbacks(execute=True):
        project = create_project(alice_api, title="Air de Rennes")
        alice_api.post(f"/api/v1/projects/{project['slug']}/updates/", {"body": "Première mesure"}, format="json")
        request = open_request(bob_api, to_project=project["slug"])
        assert alice_api.post(f"/api/v1/collaborations/{request['id']}/responses/", {"message": "Volontiers"}, format="json").status_code == 201
        assert bob_api.post("/api/v1/actors/alice/follow/").status_code in (200, 201)
        assert alice_api.post("/api/v1/events/", event_body(organizers=["alice"]), format="json").status_code == 201
    return Project.objects.get(slug=project["slug"])


def audiences() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for subject_kind, audience in Activity.objects.values_list("subject_kind", "audience"):
        found.setdefault(subject_kind, set()).add(audience)
    return found


def test_each_activity_stores_its_subject_and_the_audience_its_rule_gives(world):
    assert audiences() == {kind: {"everyone"} for kind in ("actor", "project", "update", "request", "response", "event")}
    assert stale_audiences() == []


def test_a_project_turned_members_only_then_private_takes_what_follows_from_it(world):
    world.visibility = "members"
    world.save()  # as the admin's form does: no service in between
    found = audiences()
    assert found["project"] == found["update"] == found["request"] == found["response"] == {"signed_in"}
    assert found["actor"] == found["event"] == {"everyone"}
    world.visibility = "private"
    world.save()
    found = audiences()
    assert found["project"] == found["update"] == found["request"] == found["response"] == {"some"}
    assert stale_audiences() == []


def test_moderation_and_suspension_reach_every_activity_that_follows(world, alice, moderator):
    set_hidden(kind="project", pk=world.pk, hidden=True, moderator=moderator)
    assert audiences()["update"] == {"some"} and stale_audiences() == []
    set_hidden(kind="project", pk=world.pk, hidden=False, moderator=moderator)
    assert audiences()["update"] == {"everyone"}
    request = CollaborationRequest.objects.get()
    set_hidden(kind="collaboration", pk=request.pk, hidden=True, moderator=moderator)
    assert audiences()["response"] == {"some"} and audiences()["project"] == {"everyone"}
    set_hidden(kind="collaboration", pk=request.pk, hidden=False, moderator=moderator)
    # The owner's suspension hides the actor, the project, its update, the event alice organizes,
    # and the response she wrote.
    suspend_actor(actor=alice, suspended=True, moderator=moderator)
    found = audiences()
    assert found["project"] == found["update"] == found["event"] == found["response"] == {"some"}
    assert stale_audiences() == []
    suspend_actor(actor=alice, suspended=False, moderator=moderator)
    assert audiences() == {kind: {"everyone"} for kind in ("actor", "project", "update", "request", "response", "event")}


def test_the_check_command_finds_what_a_bulk_update_left_stale_and_the_repair_fixes_it(world):
    Project.objects.filter(pk=world.pk).update(visibility="private")  # no signal: the audience is now stale
    assert stale_audiences()
    with pytest.raises(CommandError):
        call_command("refresh_audiences", "--check")
    call_command("refresh_audiences")
    assert stale_audiences() == []
    call_command("refresh_audiences", "--check")


def test_deleting_a_thing_takes_the_activities_about_it_along(world, alice):
    from events.models import Event

    event = Event.objects.get()
    assert Activity.objects.filter(subject_kind="event", subject_id=event.pk).exists()
    assert client_for(alice).delete(f"/api/v1/events/{event.slug}/").status_code == 204
    assert not Activity.objects.filter(subject_kind="event").exists()


def test_the_stranger_sees_what_every_signed_in_person_sees_and_nothing_more(world, alice):
    """The signed-in stranger that audiences are derived from is nobody's member, author or target."""
    from profiles.selectors import signed_in_stranger

    world.visibility = "private"
    world.save()
    stranger, carol = signed_in_stranger(), make_person("carol")
    for kind in kinds.all_kinds():
        as_stranger = set(kind.visible_to(stranger).values_list("pk", flat=True))
        assert as_stranger == set(kind.visible_to(carol.user).values_list("pk", flat=True)), kind.name
    assert world.pk not in kinds.kind_named("project").visible_to(stranger).values_list("pk", flat=True)
    assert world.pk in kinds.kind_named("project").visible_to(alice.user).values_list("pk", flat=True)


def test_an_activity_naming_an_actor_in_a_private_project_is_about_the_project(django_capture_on_commit_callbacks,
                                                                                 alice, bob, api):
    # "Alice removed Bob from Labo secret" names Bob, a public person, but tells of the project.
    alice_api, bob_api = client_for(alice), client_for(bob)
    with django_capture_on_commit_callbacks(execute=True):
        slug = create_project(alice_api, title="Labo secret", visibility="private")["slug"]
        alice_api.post(f"/api/v1/projects/{slug}/members/", {"actor": "bob", "role": "contributor"}, format="json")
        assert bob_api.post(f"/api/v1/projects/{slug}/members/bob/accept/").status_code == 200
        assert alice_api.delete(f"/api/v1/projects/{slug}/members/bob/").status_code == 204
    removal = Activity.objects.get(type="Remove")
    assert (removal.subject_kind, removal.audience) == ("project", "some")
    seen = " ".join(item["summary"] for item in api.get("/api/v1/actors/alice/activity/").json()["results"])
    assert "Labo secret" not in seen


def _audience_by_the_plain_rule(kind, pks) -> dict:
    """What `audience_of` answers, asked of the ORM directly (no compiled query)."""
    from django.contrib.auth.models import AnonymousUser

    from profiles.selectors import signed_in_stranger

    everyone = set(kind.visible_to(AnonymousUser()).filter(pk__in=pks).values_list("pk", flat=True))
    signed_in = set(kind.visible_to(signed_in_stranger()).filter(pk__in=pks).values_list("pk", flat=True))
    return {pk: "everyone" if pk in everyone else "signed_in" if pk in signed_in else "some" for pk in pks}


def test_the_compiled_audience_of_every_kind_is_its_plain_rule_after_every_change(world, bob, moderator):
    """`audience_of` runs each kind's rule compiled once per number of pks: the same shape must
    read the rule's answer for other objects, and again after they change."""
    def check():
        for kind in kinds.all_kinds():
            pks = list(kind.model._default_manager.order_by("pk").values_list("pk", flat=True))
            for some in (pks, pks[:1], pks[-1:], [*pks, -1]):
                assert kinds.audience_of(kind, some) == _audience_by_the_plain_rule(kind, some), kind.name

    check()
    world.visibility = "members"
    world.save()
    check()
    world.visibility = "private"
    world.save()
    check()
    world.visibility = "public"
    world.save()
    check()
    assert set_hidden(kind="project", pk=world.pk, hidden=True, moderator=moderator)
    check()
    assert suspend_actor(actor=bob, suspended=True, moderator=moderator)
    check()
    assert kinds.audience_of(kinds.kind_named("actor"), [bob.pk]) == {bob.pk: "some"}
