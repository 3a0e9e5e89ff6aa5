"""Reports by members, the moderators' queue, and resolving through the moderation services."""

import pytest

from moderation.models import Report
from novosphere.models import AuditEntry
from profiles.models import Actor
from projects.models import Project
from tests.moderation.conftest import post, published_project, published_request

pytestmark = pytest.mark.django_db


def report(client, target_type: str, target_id, reason: str = "spam", **body):
    return post(client, "/api/v1/reports/", {"target_type": target_type, "target_id": str(target_id), "reason": reason, **body})


@pytest.fixture
def project(committed, alice_api):
    return published_project(committed, alice_api, title="Vente de montres", slug="montres")


def test_a_member_reports_what_they_see_and_a_repeat_returns_the_same_report(project, bob_api):
    first = report(bob_api, "project", "montres", message="Des contrefaçons")
    assert first.status_code == 201, first.content
    body = first.json()
    assert {k: body[k] for k in ("target_type", "target_id", "reason", "message", "status")} == {
        "target_type": "project", "target_id": "montres", "reason": "spam", "message": "Des contrefaçons", "status": "open"
    }
    again = report(bob_api, "project", "montres", reason="abuse")
    assert again.status_code == 200
    assert again.json()["id"] == body["id"]
    assert Report.objects.count() == 1


def test_reporters_are_not_told_who_else_reported(project, bob_api, carol_api):
    report(bob_api, "project", "montres")
    answer = report(carol_api, "project", "montres")
    assert answer.status_code == 201
    assert "bob" not in answer.content.decode() and "reporter" not in answer.json()
    assert Report.objects.count() == 2


def test_what_one_cannot_see_cannot_be_reported_and_looks_unknown(committed, alice_api, bob_api):
    published_project(committed, alice_api, title="Atelier secret", slug="secret", visibility="private")
    hidden = report(bob_api, "project", "secret")
    unknown = report(bob_api, "project", "nothing-here")
    assert hidden.status_code == unknown.status_code == 404
    assert hidden.json() == unknown.json()
    for target_type, target_id in [("actor", "nobody"), ("collaboration", "99999"), ("update", "abc")]:
        assert report(bob_api, target_type, target_id).status_code == 404
    assert not Report.objects.exists()


def test_bad_input_is_a_400_and_anonymous_is_401(project, bob_api, api):
    assert report(bob_api, "planet", "montres").status_code == 400
    assert report(bob_api, "project", "montres", reason="boring").status_code == 400
    assert report(bob_api, "project", "montres", message="x" * 2001).status_code == 400
    assert report(api, "project", "montres").status_code == 401
    assert not Report.objects.exists()


def test_reports_are_rate_limited(settings, committed, alice_api, bob_api):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "report": "2/day"}
    for n in range(3):
        published_project(committed, alice_api, title=f"Projet {n}", slug=f"p{n}")
    assert report(bob_api, "project", "p0").status_code == 201
    assert report(bob_api, "project", "p1").status_code == 201
    refused = report(bob_api, "project", "p2")
    assert refused.status_code == 429
    assert Report.objects.count() == 2


def test_moderators_list_reports_by_status(project, bob_api, carol_api, moderator_api, api):
    report(bob_api, "project", "montres")
    report(carol_api, "actor", "alice", reason="abuse")
    listed = moderator_api.get("/api/v1/moderation/reports/?status=open").json()
    assert listed["count"] == 2
    assert {(r["target_type"], r["target_id"], r["reporter"]) for r in listed["results"]} == {
        ("project", "montres", "bob"), ("actor", "alice", "carol")
    }
    assert moderator_api.get("/api/v1/moderation/reports/?status=resolved").json()["count"] == 0
    assert moderator_api.get("/api/v1/moderation/reports/?status=maybe").status_code == 400
    assert bob_api.get("/api/v1/moderation/reports/").status_code == 403
    assert api.get("/api/v1/moderation/reports/").status_code == 401


def test_resolving_with_hide_hides_through_the_service_and_closes_every_report_on_it(
    committed, project, bob_api, carol_api, moderator, moderator_api, api
):
    first = report(bob_api, "project", "montres").json()
    report(carol_api, "project", "montres")
    answer = committed(post, moderator_api, f"/api/v1/moderation/reports/{first['id']}/resolve/", {"action": "hide", "reason": "contrefaçon"})
    assert answer.status_code == 200, answer.content
    assert answer.json()["status"] == "resolved" and answer.json()["resolution"] == "hide"
    assert Project.objects.get(slug="montres").hidden
    assert api.get("/api/v1/projects/montres/").status_code == 404
    assert set(Report.objects.values_list("status", flat=True)) == {"resolved"}
    hide = AuditEntry.objects.get(action="project.hide")
    assert (hide.user, hide.data["reason"], hide.data["report"]) == (moderator, "contrefaçon", first["id"])
    assert AuditEntry.objects.filter(action="report.resolve", user=moderator, subject=f"report:{first['id']}").count() == 1
    # Resolved is final: a second resolution is a 409 that changes nothing.
    again = post(moderator_api, f"/api/v1/moderation/reports/{first['id']}/resolve/", {"action": "dismiss"})
    assert again.status_code == 409
    assert Report.objects.get(pk=first["id"]).resolution == "hide"


def test_resolving_with_suspend_suspends_the_author_of_the_content(committed, alice_api, bob_api, moderator, moderator_api):
    request = published_request(committed, alice_api, to_actor="bob")
    reported = report(bob_api, "collaboration", request["id"], reason="abuse").json()
    post(moderator_api, f"/api/v1/moderation/reports/{reported['id']}/resolve/", {"action": "suspend"})
    assert Actor.objects.get(handle="alice").suspended
    entry = AuditEntry.objects.get(action="actor.suspend")
    assert entry.user == moderator and entry.data["report"] == reported["id"]


def test_dismissing_changes_nothing_but_the_report_and_hiding_an_actor_is_a_400(project, bob_api, moderator_api, api):
    on_actor = report(bob_api, "actor", "alice").json()
    refused = post(moderator_api, f"/api/v1/moderation/reports/{on_actor['id']}/resolve/", {"action": "hide"})
    assert refused.status_code == 400
    assert Report.objects.get(pk=on_actor["id"]).status == "open"
    dismissed = post(moderator_api, f"/api/v1/moderation/reports/{on_actor['id']}/resolve/", {"action": "dismiss"})
    assert dismissed.json()["resolution"] == "dismiss"
    assert api.get("/api/v1/actors/alice/").status_code == 200
    assert not Actor.objects.filter(suspended=True).exists()
    # Once resolved, the same person may report the same target again.
    assert report(bob_api, "actor", "alice").status_code == 201
