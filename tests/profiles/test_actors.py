import pytest

from novosphere.models import AuditEntry
from profiles.models import Actor, Membership
from tests.conftest import client_for, fields_of, make_admin, make_org, make_person

pytestmark = pytest.mark.django_db


def test_list_actors_with_filters(api, rennes, quebec):
    alice = make_person("alice", rennes)
    alice.skills.create(slug="python")
    make_person("gabrielle", quebec)
    make_org("cantine", rennes)
    assert {a["handle"] for a in api.get("/api/v1/actors/?kind=person").json()["results"]} == {"alice", "gabrielle"}
    assert {a["handle"] for a in api.get("/api/v1/actors/?city=quebec").json()["results"]} == {"gabrielle"}
    assert {a["handle"] for a in api.get("/api/v1/actors/?country=ca").json()["results"]} == {"quebec", "gabrielle"}
    assert [a["handle"] for a in api.get("/api/v1/actors/?skill=python").json()["results"]] == ["alice"]
    assert api.get("/api/v1/actors/?kind=robot").status_code == 400


def test_actor_list_is_paginated(api, rennes):
    for index in range(25):
        make_person(f"p{index:02d}", rennes)
    first = api.get("/api/v1/actors/?kind=person").json()
    assert first["count"] == 25 and len(first["results"]) == 20 and first["next"]
    second = api.get(first["next"]).json()
    assert len(second["results"]) == 5
    assert api.get("/api/v1/actors/?page_size=1000").json()["results"].__len__() <= 100


def test_actor_detail_and_unknown_handle(api, alice):
    body = api.get("/api/v1/actors/alice/").json()
    assert body["handle"] == "alice" and body["kind"] == "person" and body["city"] == "rennes"
    assert body["is_following"] is False
    missing = api.get("/api/v1/actors/nobody/")
    assert missing.status_code == 404 and "detail" in missing.json()


def test_suspended_actor_is_hidden_like_an_unknown_one(api, alice, bob, bob_api):
    alice.suspended = True
    alice.save()
    hidden = api.get("/api/v1/actors/alice/")
    unknown = api.get("/api/v1/actors/nobody/")
    assert hidden.status_code == unknown.status_code == 404
    assert hidden.json() == unknown.json()
    assert "alice" not in {a["handle"] for a in api.get("/api/v1/actors/").json()["results"]}
    assert bob_api.post("/api/v1/actors/alice/follow/").status_code == 404


def test_create_organization_makes_the_caller_admin(alice_api, alice, rennes):
    response = alice_api.post(
        "/api/v1/actors/",
        {"kind": "organization", "handle": "labfab", "name": "LabFab", "organization_type": "fablab",
         "city": "rennes", "country": "FR", "sectors": ["industrie"]},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["organization_type"] == "fablab"
    assert Membership.objects.get(group__handle="labfab").person == alice
    members = alice_api.get("/api/v1/actors/labfab/members/").json()["results"]
    assert members == [{"actor": {"handle": "alice", "name": "Alice", "kind": "person"}, "role": "admin", "status": "active", "created": members[0]["created"]}]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "person", "handle": "x", "name": "X"}, "kind"),
        ({"kind": "organization", "handle": "rennes", "name": "Dup"}, "handle"),
        ({"kind": "organization", "handle": "bad handle", "name": "X"}, "handle"),
        ({"kind": "organization", "handle": "x", "name": "X", "organization_type": "guild"}, "organization_type"),
        ({"kind": "organization", "handle": "x", "name": "X", "country": "ZZ"}, "country"),
        ({"kind": "organization", "handle": "x", "name": "X", "latitude": 12}, "longitude"),  # half a point
        ({"kind": "city", "handle": "x", "name": "X", "latitude": 200}, "latitude"),
        ({"kind": "organization", "handle": "x"}, "name"),
        ({"kind": "organization", "handle": "x", "name": "X", "bio": "b" * 5001}, "bio"),
    ],
)
def test_create_actor_refuses_bad_input_and_writes_nothing(alice_api, rennes, body, field):
    before = Actor.objects.count()
    response = alice_api.post("/api/v1/actors/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in fields_of(response.json())
    assert Actor.objects.count() == before


def test_writes_without_a_token_are_401(api, alice):
    assert api.post("/api/v1/actors/", {"kind": "organization", "handle": "x", "name": "X"}, format="json").status_code == 401
    assert api.patch("/api/v1/actors/alice/", {"name": "Hacked"}, format="json").status_code == 401
    assert api.delete("/api/v1/actors/alice/").status_code == 401
    assert api.post("/api/v1/actors/alice/follow/").status_code == 401
    alice.refresh_from_db()
    assert alice.name == "Alice"


def test_people_edit_themselves_only(alice_api, bob_api, alice):
    assert alice_api.patch("/api/v1/actors/alice/", {"bio": "Maker"}, format="json").status_code == 200
    refused = bob_api.patch("/api/v1/actors/alice/", {"bio": "Hacked"}, format="json")
    assert refused.status_code == 403 and "detail" in refused.json()
    alice.refresh_from_db()
    assert alice.bio == "Maker"


def test_organizations_are_edited_by_their_admins_only(alice, bob, rennes):
    org = make_org("cantine", rennes)
    make_admin(alice, org)
    Membership.objects.create(person=bob, group=org, role="member")
    assert client_for(alice).patch("/api/v1/actors/cantine/", {"headline": "Le lieu"}, format="json").status_code == 200
    assert client_for(bob).patch("/api/v1/actors/cantine/", {"headline": "Nope"}, format="json").status_code == 403
    assert client_for(bob).delete("/api/v1/actors/cantine/").status_code == 403
    org.refresh_from_db()
    assert org.headline == "Le lieu"
    assert client_for(alice).delete("/api/v1/actors/cantine/").status_code == 204
    assert not Actor.objects.filter(handle="cantine").exists()
    assert AuditEntry.objects.filter(action="actor.delete", subject="actor:cantine").exists()


def test_a_person_deletes_their_account_through_its_erasure_only(alice_api, alice):
    # The profile route would skip the password and what erasure settles (owned projects): a 409.
    refused = alice_api.delete("/api/v1/actors/alice/")
    assert refused.status_code == 409 and "/api/v1/me/" in refused.json()["message"]
    assert Actor.objects.filter(handle="alice").exists()
    assert alice_api.delete("/api/v1/me/", {"password": "correct horse battery staple"}, format="json").status_code == 204
    assert not Actor.objects.filter(handle="alice").exists()
    assert alice_api.get("/api/v1/me/").status_code == 401


def test_admins_add_members_and_others_cannot(alice, bob, rennes):
    org = make_org("cantine", rennes)
    make_admin(alice, org)
    carol = make_person("carol", rennes)
    added = client_for(alice).post("/api/v1/actors/cantine/members/", {"actor": "bob", "role": "member"}, format="json")
    assert added.status_code == 201 and added.json()["role"] == "member" and added.json()["status"] == "invited"
    refused = client_for(bob).post("/api/v1/actors/cantine/members/", {"actor": "carol"}, format="json")
    assert refused.status_code == 403
    assert not Membership.objects.filter(person=carol).exists()
    assert client_for(alice).post("/api/v1/actors/cantine/members/", {"actor": "nobody"}, format="json").status_code == 400
    assert client_for(alice).post("/api/v1/actors/cantine/members/", {"actor": "bob", "role": "king"}, format="json").status_code == 400
    assert client_for(alice).post("/api/v1/actors/alice/members/", {"actor": "bob"}, format="json").status_code == 400
