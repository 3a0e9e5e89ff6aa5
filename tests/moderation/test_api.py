"""The staff moderation API: who may call it, what each call writes, and that repeats are harmless."""

import pytest
from rest_framework.test import APIClient

from events.models import Event
from novosphere.models import AuditEntry
from profiles.models import Actor
from projects.models import CollaborationRequest, Project, ProjectUpdate
from tests.conftest import fields_of, indexed
from tests.events.conftest import event_body
from tests.moderation.conftest import post, published_project, published_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def things(committed, alice_api, bob):
    """A project, an update on it and a request to bob, all by alice."""
    project = published_project(committed, alice_api, title="Jardin partagé")
    update = committed(alice_api.post, f"/api/v1/projects/{project['slug']}/updates/", {"body": "Première récolte"}, format="json").json()
    request = published_request(committed, alice_api, to_actor="bob")
    event = committed(alice_api.post, "/api/v1/events/", event_body(organizers=["alice"]), format="json")
    assert event.status_code == 201, event.content
    return {"project": project["slug"], "update": update["id"], "collaboration": request["id"], "event": event.json()["slug"]}


def paths(things) -> list[str]:
    return [
        "/api/v1/moderation/actors/alice/suspend/",
        "/api/v1/moderation/actors/alice/reinstate/",
        f"/api/v1/moderation/projects/{things['project']}/hide/",
        f"/api/v1/moderation/projects/{things['project']}/unhide/",
        f"/api/v1/moderation/collaborations/{things['collaboration']}/hide/",
        f"/api/v1/moderation/collaborations/{things['collaboration']}/unhide/",
        f"/api/v1/moderation/updates/{things['update']}/hide/",
        f"/api/v1/moderation/updates/{things['update']}/unhide/",
        f"/api/v1/moderation/events/{things['event']}/hide/",
        f"/api/v1/moderation/events/{things['event']}/unhide/",
        "/api/v1/moderation/reports/",
    ]


def test_anonymous_callers_get_401_and_members_a_clear_403(things, bob_api):
    for path in paths(things):
        call = APIClient().get if path.endswith("reports/") else APIClient().post
        assert call(path, {}, format="json").status_code == 401, path
        call = bob_api.get if path.endswith("reports/") else bob_api.post
        response = call(path, {}, format="json", HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 403, path
        assert response.json()["detail"] == "Only moderators can do this."
    assert not Actor.objects.get(handle="alice").suspended
    assert not AuditEntry.objects.filter(action__in=["actor.suspend", "project.hide"]).exists()


@pytest.mark.parametrize(
    "kind, model",
    [("project", Project), ("collaboration", CollaborationRequest), ("update", ProjectUpdate), ("event", Event)],
)
def test_hide_and_unhide_write_one_audit_row_each_and_repeats_change_nothing(
    things, moderator, moderator_api, kind, model
):
    base = f"/api/v1/moderation/{kind}s/{things[kind]}"
    first = post(moderator_api, f"{base}/hide/", {"reason": "spam"})
    assert first.status_code == 200, first.content
    assert first.json() == {"type": kind, "id": str(things[kind]), "hidden": True, "changed": True}
    again = post(moderator_api, f"{base}/hide/", {"reason": "spam"})
    assert again.json()["changed"] is False
    hides = AuditEntry.objects.filter(action=f"{kind}.hide")
    assert hides.count() == 1
    entry = hides.get()
    assert entry.user == moderator and entry.data["reason"] == "spam"
    assert entry.subject == f"{kind}:{things[kind]}"
    assert model.objects.filter(hidden=True).count() == 1

    shown = post(moderator_api, f"{base}/unhide/")
    assert shown.json() == {"type": kind, "id": str(things[kind]), "hidden": False, "changed": True}
    assert AuditEntry.objects.filter(action=f"{kind}.unhide", user=moderator).count() == 1
    assert not model.objects.filter(hidden=True).exists()


def test_suspend_and_reinstate_are_audited_and_find_a_suspended_actor(moderator, moderator_api, alice, committed):
    committed(indexed, alice)  # indexed for search, as a service would
    assert APIClient().get("/api/v1/search/", {"q": "alice"}).json()["count"] == 1
    response = committed(post, moderator_api, "/api/v1/moderation/actors/alice/suspend/", {"reason": "fraude"})
    assert response.json() == {"handle": "alice", "suspended": True, "changed": True}
    assert post(moderator_api, "/api/v1/moderation/actors/alice/suspend/").json()["changed"] is False
    entry = AuditEntry.objects.get(action="actor.suspend")
    assert (entry.user, entry.subject, entry.data["reason"]) == (moderator, "actor:alice", "fraude")
    assert APIClient().get("/api/v1/actors/alice/").status_code == 404
    assert APIClient().get("/api/v1/search/", {"q": "alice"}).json()["count"] == 0
    # The moderator still reaches the suspended account, to lift it.
    response = committed(post, moderator_api, "/api/v1/moderation/actors/alice/reinstate/")
    assert response.json() == {"handle": "alice", "suspended": False, "changed": True}
    assert APIClient().get("/api/v1/actors/alice/").status_code == 200
    assert APIClient().get("/api/v1/search/", {"q": "alice"}).json()["count"] == 1
    assert AuditEntry.objects.filter(action="actor.reinstate", user=moderator).count() == 1


def test_a_reason_too_long_is_a_400_that_changes_nothing(things, moderator_api):
    response = post(moderator_api, f"/api/v1/moderation/projects/{things['project']}/hide/", {"reason": "x" * 501})
    assert response.status_code == 400
    assert "reason" in fields_of(response.json())
    assert not Project.objects.filter(hidden=True).exists()
    assert not AuditEntry.objects.filter(action="project.hide").exists()


def test_unknown_targets_are_404(moderator_api):
    for path in ["/api/v1/moderation/actors/nobody/suspend/", "/api/v1/moderation/projects/nothing/hide/",
                 "/api/v1/moderation/collaborations/999999/hide/", "/api/v1/moderation/updates/999999/unhide/",
                 "/api/v1/moderation/events/nothing/hide/",
                 "/api/v1/moderation/reports/999999/resolve/"]:
        assert post(moderator_api, path, {"action": "dismiss"}).status_code == 404, path


def test_every_moderation_endpoint_is_in_the_schema(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    for path in ["/api/v1/moderation/actors/{handle}/suspend/", "/api/v1/moderation/actors/{handle}/reinstate/",
                 "/api/v1/moderation/projects/{slug}/hide/", "/api/v1/moderation/projects/{slug}/unhide/",
                 "/api/v1/moderation/collaborations/{id}/hide/", "/api/v1/moderation/collaborations/{id}/unhide/",
                 "/api/v1/moderation/updates/{id}/hide/", "/api/v1/moderation/updates/{id}/unhide/",
                 "/api/v1/moderation/events/{slug}/hide/", "/api/v1/moderation/events/{slug}/unhide/",
                 "/api/v1/moderation/reports/", "/api/v1/moderation/reports/{id}/resolve/",
                 "/api/v1/reports/", "/api/v1/actors/{handle}/block/", "/api/v1/me/blocks/"]:
        assert path in schema["paths"], path


def test_refusals_speak_the_callers_language(bob_api):
    english = bob_api.get("/api/v1/moderation/reports/", HTTP_ACCEPT_LANGUAGE="en").json()["detail"]
    french = bob_api.get("/api/v1/moderation/reports/", HTTP_ACCEPT_LANGUAGE="fr").json()["detail"]
    assert english == "Only moderators can do this."
    assert french == "Seuls les modérateurs peuvent faire cela."
