"""The person's data rights: export everything, or erase the account."""

from datetime import timedelta

import pytest
from django.utils import timezone
from knox.models import AuthToken

from events.models import Attendance, Event
from feeds import services as feeds
from feeds.models import Activity, Follow, Notification
from moderation.models import Block, Report
from novosphere.models import AuditEntry
from profiles.models import Actor, Membership, User
from projects.models import (
    CollaborationRequest,
    CollaborationResponse,
    Project,
    ProjectMember,
    ProjectUpdate,
)
from tests.conftest import client_for, fields_of, make_admin, make_org, make_person

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def make_project(api, title: str) -> str:
    response = api.post("/api/v1/projects/", {"title": title, "city": "rennes"}, format="json")
    assert response.status_code == 201, response.content
    return response.json()["slug"]


def add_member(owner_api, slug: str, handle: str, role: str, member_api=None) -> None:
    response = owner_api.post(f"/api/v1/projects/{slug}/members/", {"actor": handle, "role": role}, format="json")
    assert response.status_code in (200, 201), response.content
    if member_api is not None and response.json().get("status") == "invited":  # memberships as invitations
        assert member_api.post(f"/api/v1/projects/{slug}/members/{handle}/accept/").status_code == 200


@pytest.fixture
def world(rennes, alice, bob):
    """alice's life on the service, among bob's and carol's."""
    carol = make_person("carol", rennes)
    alice_api, bob_api, carol_api = client_for(alice), client_for(bob), client_for(carol)
    User.objects.filter(pk=alice.user_id).update(email="alice@example.org")

    # A project of bob's that alice helps run and writes in; one she runs with bob; one of her own alone.
    atelier = make_project(bob_api, "Atelier vélo")
    add_member(bob_api, atelier, "alice", "maintainer", alice_api)
    update = alice_api.post(f"/api/v1/projects/{atelier}/updates/", {"body": "Réparation samedi"}, format="json")
    assert update.status_code == 201, update.content
    duo = make_project(alice_api, "Jardin partagé")
    add_member(alice_api, duo, "bob", "maintainer", bob_api)
    solo = make_project(alice_api, "Carnet secret")
    own_update = alice_api.post(f"/api/v1/projects/{solo}/updates/", {"body": "Premier jet"}, format="json")
    assert own_update.status_code == 201

    deadline = (timezone.now() + timedelta(days=30)).isoformat()
    bobs_request = bob_api.post("/api/v1/collaborations/", {
        "title": "Cherche mécanicien", "message": "Pour l'atelier", "to_city": "rennes", "deadline": deadline,
    }, format="json")
    assert bobs_request.status_code == 201, bobs_request.content
    response = alice_api.post(f"/api/v1/collaborations/{bobs_request.json()['id']}/responses/",
                              {"message": "Je sais régler les freins"}, format="json")
    assert response.status_code == 201, response.content
    alices_request = alice_api.post("/api/v1/collaborations/", {
        "title": "Cherche graines", "message": "Pour le jardin", "to_city": "rennes", "deadline": deadline,
    }, format="json")
    assert alices_request.status_code == 201, alices_request.content

    assert alice_api.post("/api/v1/actors/bob/follow/").status_code == 200
    assert carol_api.post("/api/v1/actors/alice/follow/").status_code == 200
    assert alice_api.post("/api/v1/actors/carol/block/").status_code == 200

    cantine = make_org("cantine", rennes)
    Membership.objects.create(person=alice, group=cantine)
    labo = make_org("labo", rennes)
    make_admin(alice, labo)
    make_admin(bob, labo)  # alice is not its only admin
    start = timezone.now() + timedelta(days=3)
    event = Event.objects.create(slug="apero", uid="apero@test", title="Apéro", city=rennes, start=start,
                                 end=start + timedelta(hours=2))
    event.organizers.set([cantine])
    Attendance.objects.create(event=event, actor=alice, status=Attendance.Status.GOING)
    Report.objects.create(reporter=alice.user, target_type="actor", target_pk=carol.pk, target_ident="carol",
                          reason="spam", message="Publicité")
    return {
        "alice_api": alice_api, "bob_api": bob_api, "carol": carol, "atelier": atelier, "duo": duo, "solo": solo,
        "update": update.json()["id"], "bobs_request": bobs_request.json()["id"],
        "alices_request": alices_request.json()["id"], "cantine": cantine, "labo": labo,
    }


def test_the_export_holds_everything_about_the_person(world, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    hook = world["alice_api"].post("/api/v1/webhooks/", {"url": "http://127.0.0.1:9/hook", "streams": ["city:rennes"]},
                                   format="json")
    assert hook.status_code == 201, hook.content
    response = world["alice_api"].get("/api/v1/me/export/")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    data = response.json()
    assert data["account"]["username"] == "alice" and data["account"]["email"] == "alice@example.org"
    assert data["profile"]["handle"] == "alice"
    assert {m["group"]: m["role"] for m in data["memberships"]} == {"cantine": "member", "labo": "admin"}
    assert [f["actor"] for f in data["follows"]] == ["bob"]
    assert {p["slug"]: p["role"] for p in data["projects"]} == {
        world["atelier"]: "maintainer", world["duo"]: "owner", world["solo"]: "owner",
    }
    assert {u["body"] for u in data["updates"]} == {"Réparation samedi", "Premier jet"}
    assert [r["title"] for r in data["requests"]] == ["Cherche graines"]
    assert [r["message"] for r in data["responses"]] == ["Je sais régler les freins"]
    assert [r["event"] for r in data["rsvps"]] == ["apero"]
    assert [r["message"] for r in data["reports_made"]] == ["Publicité"]
    assert [b["actor"] for b in data["blocks"]] == ["carol"]
    assert [(w["url"], w["streams"]) for w in data["webhooks"]] == [("http://127.0.0.1:9/hook", ["city:rennes"])]
    assert hook.json()["secret"] not in response.content.decode()
    assert data["activities"] and all("published" in a for a in data["activities"])
    assert "password" not in str(data["account"]) and "digest" not in str(data["account"]["tokens"])


def test_the_export_needs_a_token(api):
    assert api.get("/api/v1/me/export/").status_code == 401


def test_erasure_removes_the_person_and_keeps_what_they_wrote_in_others_spaces(world, alice, bob, api):
    alice_api, bob_api, carol = world["alice_api"], world["bob_api"], world["carol"]
    user_id, actor_id = alice.user_id, alice.pk
    erased = alice_api.delete("/api/v1/me/", {"password": PASSWORD}, format="json")
    assert erased.status_code == 204, erased.content

    # The account is gone: no login, no token, no address, no personal rows.
    assert alice_api.get("/api/v1/me/").status_code == 401
    assert api.post("/api/v1/auth/token/", {"username": "alice", "password": PASSWORD}, format="json").status_code == 400
    assert not User.objects.filter(pk=user_id).exists() and not AuthToken.objects.filter(user_id=user_id).exists()
    assert api.get("/api/v1/actors/alice/").status_code == 404
    assert not Membership.objects.filter(person_id=actor_id).exists()
    assert not Follow.objects.filter(follower_id=actor_id).exists() and not Follow.objects.filter(target_actor_id=actor_id).exists()
    assert not Attendance.objects.filter(actor_id=actor_id).exists()
    assert not Block.objects.filter(blocker_id=actor_id).exists()
    assert not Notification.objects.filter(recipient_id=actor_id).exists()
    assert not Activity.objects.filter(actor_id=actor_id).exists()
    assert not Activity.objects.filter(object_type="person", object_id="alice").exists()  # "carol follows alice"
    assert not Report.objects.filter(target_ident="x").exists() and not Report.objects.filter(message="Publicité").exists()
    assert not CollaborationRequest.objects.filter(pk=world["alices_request"]).exists()
    bob.refresh_from_db()
    carol.refresh_from_db()
    assert bob.followers_count == 0 and carol.following_count == 0

    # What she wrote in others' spaces stays, credited to a former member, with nothing of her.
    updates = bob_api.get(f"/api/v1/projects/{world['atelier']}/updates/").json()["results"]
    assert [(u["body"], u["author"]["name"]) for u in updates] == [("Réparation samedi", "Ancien membre")]
    former = Actor.objects.get(pk=actor_id)
    assert former.erased and former.user_id is None and former.handle.startswith("former-")
    assert (former.name, former.bio, former.city_id) == ("", "", None)
    assert api.get(f"/api/v1/actors/{former.handle}/").status_code == 404
    # Nothing else points at what remains, whatever relations the models grow.
    for relation in Actor._meta.related_objects:
        if (relation.related_model, relation.field.name) in {(ProjectUpdate, "author"), (CollaborationResponse, "responder")}:
            continue
        if relation.many_to_many:
            assert not getattr(former, relation.get_accessor_name()).exists(), relation
        else:
            assert not relation.related_model._default_manager.filter(**{relation.field.name: former}).exists(), relation
    english = bob_api.get(f"/api/v1/projects/{world['atelier']}/updates/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["results"][0]["author"]["name"] == "Former member"
    response = CollaborationResponse.objects.get(request_id=world["bobs_request"])
    assert response.message == "Je sais régler les freins" and response.responder_id == actor_id

    # Her projects: the one she ran with bob is his now; the one she ran alone is gone.
    duo = Project.objects.get(slug=world["duo"])
    assert duo.owner_id == bob.pk
    assert ProjectMember.objects.get(project=duo, actor=bob).role == "owner"
    assert not Project.objects.filter(slug=world["solo"]).exists()
    assert not ProjectUpdate.objects.filter(body="Premier jet").exists()
    assert not ProjectMember.objects.filter(actor_id=actor_id).exists()

    # Her address and her handle are free again.
    again = api.post("/api/v1/auth/register/", {"username": "alice", "password": PASSWORD,
                                                 "email": "alice@example.org", "name": "Alice"}, format="json")
    assert again.status_code == 201, again.content
    entry = AuditEntry.objects.get(action="account.erase")
    assert entry.data["projects_handed_over"] == [world["duo"]] and entry.data["projects_deleted"] == [world["solo"]]


def test_a_person_who_wrote_nothing_in_shared_spaces_leaves_no_trace(rennes, alice):
    actor_id = alice.pk
    response = client_for(alice).delete("/api/v1/me/", {"password": PASSWORD}, format="json")
    assert response.status_code == 204
    assert not Actor.objects.filter(pk=actor_id).exists()


def test_a_wrong_password_erases_nothing(world, alice):
    response = world["alice_api"].delete("/api/v1/me/", {"password": "not my password"}, format="json")
    assert response.status_code == 400 and "password" in fields_of(response.json())
    missing = world["alice_api"].delete("/api/v1/me/", {}, format="json")
    assert missing.status_code == 400 and "password" in fields_of(missing.json())
    assert world["alice_api"].get("/api/v1/me/").status_code == 200
    assert Follow.objects.filter(follower=alice).exists() and Project.objects.filter(slug=world["solo"]).exists()


def test_the_only_admin_of_an_organization_is_asked_to_hand_it_over_first(world, alice, bob):
    Membership.objects.filter(group=world["labo"], person=bob).delete()
    response = world["alice_api"].delete("/api/v1/me/", {"password": PASSWORD}, format="json")
    assert response.status_code == 409
    assert "Labo" in response.json()["detail"] and "admin" in response.json()["detail"]
    assert world["alice_api"].get("/api/v1/me/").status_code == 200
    assert Membership.objects.filter(group=world["labo"], person=alice).exists()
    assert CollaborationRequest.objects.filter(pk=world["alices_request"]).exists()

    # Once another member is an admin, erasure goes through.
    make_admin(bob, world["labo"])
    assert world["alice_api"].delete("/api/v1/me/", {"password": PASSWORD}, format="json").status_code == 204
    assert list(Membership.objects.filter(group=world["labo"]).values_list("person__handle", flat=True)) == ["bob"]


def test_the_waiting_list_moves_up_when_an_erased_person_held_a_place(rennes, alice, bob):
    cantine = make_org("cantine", rennes)
    start = timezone.now() + timedelta(days=3)
    event = Event.objects.create(slug="atelier", uid="atelier@test", title="Atelier", city=rennes, start=start,
                                 end=start + timedelta(hours=2), capacity=1)
    event.organizers.set([cantine])
    Attendance.objects.create(event=event, actor=alice, status=Attendance.Status.GOING)
    Attendance.objects.create(event=event, actor=bob, status=Attendance.Status.WAITING)
    assert client_for(alice).delete("/api/v1/me/", {"password": PASSWORD}, format="json").status_code == 204
    assert Attendance.objects.get(event=event, actor=bob).status == Attendance.Status.GOING


def test_an_event_organized_by_the_person_alone_goes_and_a_shared_one_stays(rennes, alice, bob):
    start = timezone.now() + timedelta(days=3)
    alone = Event.objects.create(slug="seule", uid="seule@test", title="Seule", start=start, end=start + timedelta(hours=1))
    alone.organizers.set([alice])
    shared = Event.objects.create(slug="ensemble", uid="ensemble@test", title="Ensemble", start=start,
                                  end=start + timedelta(hours=1))
    shared.organizers.set([alice, bob])
    assert client_for(alice).delete("/api/v1/me/", {"password": PASSWORD}, format="json").status_code == 204
    assert not Event.objects.filter(slug="seule").exists()
    assert list(Event.objects.get(slug="ensemble").organizers.values_list("handle", flat=True)) == ["bob"]


def test_follow_counts_stay_true(rennes, alice, bob):
    feeds.follow(follower=bob, target=alice)
    assert client_for(alice).delete("/api/v1/me/", {"password": PASSWORD}, format="json").status_code == 204
    bob.refresh_from_db()
    assert bob.following_count == 0
