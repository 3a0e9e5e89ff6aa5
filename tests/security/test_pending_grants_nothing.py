"""Property 4: a pending city link, a pending place in a territory, an unanswered
request or an invitation not yet accepted grants no access. Each test also accepts the pending thing at the end and
watches the access appear, so it cannot pass by checking a path that never grants."""

from datetime import timedelta

import pytest
from django.utils import timezone

from events.models import Event
from tests.conftest import client_for, make_admin, make_city, make_org, make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def cities(rennes, quebec):
    """Rennes proposes a link to Québec, which has not answered."""
    mayor_rennes, mayor_quebec = make_person("mayor_rennes", rennes), make_person("mayor_quebec", quebec)
    make_admin(mayor_rennes, rennes)
    make_admin(mayor_quebec, quebec)
    rennes_api, quebec_api = client_for(mayor_rennes), client_for(mayor_quebec)
    assert rennes_api.post("/api/v1/cities/rennes/links/", {"peer": "quebec"}, format="json").status_code == 201
    return rennes_api, quebec_api


def accept_link(quebec_api):
    assert quebec_api.post("/api/v1/cities/quebec/links/rennes/accept/").status_code == 200


def test_pending_link_is_not_a_peer(api, cities):
    _rennes_api, quebec_api = cities
    assert api.get("/api/v1/cities/rennes/").json()["peers"] == []
    assert api.get("/api/v1/cities/quebec/").json()["peers"] == []
    accept_link(quebec_api)
    assert api.get("/api/v1/cities/rennes/").json()["peers"] == ["quebec"]


def test_request_to_a_city_with_its_peers_does_not_reach_a_pending_peer(alice_api, cities):
    _rennes_api, quebec_api = cities
    body = {
        "title": "Cherche partenaires", "message": "m", "kind": "partnership", "to_city": "rennes",
        "include_peer_cities": True, "needs": {"skills": [], "sectors": []},
        "deadline": (timezone.now() + timedelta(days=30)).isoformat(),
    }
    created = alice_api.post("/api/v1/collaborations/", body, format="json")
    assert created.status_code == 201, created.content
    request_id = created.json()["id"]

    def reached():
        incoming = quebec_api.get("/api/v1/collaborations/?incoming=1").json()["results"]
        notified = [n["activity"]["object"]["id"] for n in quebec_api.get("/api/v1/notifications/").json()["results"]]
        return request_id in [r["id"] for r in incoming], str(request_id) in map(str, notified)

    assert reached() == (False, False)
    # The pending peer's admin cannot answer for Rennes either.
    assert quebec_api.post(f"/api/v1/collaborations/{request_id}/decline/").status_code in (403, 404)
    accept_link(quebec_api)
    assert reached()[0] is True


def test_events_with_peers_skip_a_pending_peer(api, cities, quebec):
    _rennes_api, quebec_api = cities
    start = timezone.now() + timedelta(days=5)
    festival = Event.objects.create(slug="fete-quebec", uid="fete@quebec", title="Fête", city=quebec,
                                    start=start, end=start + timedelta(hours=3))
    festival.organizers.add(make_org("quebec-numerique", quebec))

    def slugs():
        return [e["slug"] for e in api.get("/api/v1/events/?city=rennes&include_peers=1").json()["results"]]

    assert slugs() == []
    accept_link(quebec_api)
    assert slugs() == ["fete-quebec"]


def test_pending_place_in_a_territory_counts_nothing_and_maps_nothing(api, rennes):
    nantes = make_city("nantes", latitude=47.2, longitude=-1.55)
    mayor_rennes, mayor_nantes = make_person("mayor_rennes", rennes), make_person("mayor_nantes", nantes)
    make_admin(mayor_rennes, rennes)
    make_admin(mayor_nantes, nantes)
    make_org("fablab-nantes", nantes)
    created = client_for(mayor_rennes).post(
        "/api/v1/territories/", {"handle": "ouest", "name": "Ouest", "cities": ["rennes", "nantes"]}, format="json"
    )
    assert created.status_code == 201, created.content

    def view():
        territory = api.get("/api/v1/territories/ouest/").json()
        mapped = api.get("/api/v1/map/", {"territory": "ouest", "type": "actor"}).json()["features"]
        return territory["cities"], {f["properties"]["id"] for f in mapped} & {"nantes", "fablab-nantes"}

    assert view() == (["rennes"], set())
    assert client_for(mayor_nantes).post("/api/v1/territories/ouest/cities/nantes/accept/").status_code == 200
    cities, mapped = view()
    assert sorted(cities) == ["nantes", "rennes"] and mapped


def test_an_unanswered_response_opens_no_private_project(alice, bob_api, alice_api):
    """Bob is asked (he is the target) from a private project and answers; until someone adds
    him to the project, its page, updates and stream stay closed to him."""
    project = alice_api.post("/api/v1/projects/", {"title": "Labo fermé", "visibility": "private", "stage": "idea"},
                             format="json").json()["slug"]
    alice_api.post(f"/api/v1/projects/{project}/updates/", {"body": "confidentiel"}, format="json")
    request = alice_api.post("/api/v1/collaborations/", {
        "title": "Aide", "message": "m", "kind": "mentoring", "to_actor": "bob", "from_project": project,
        "needs": {"skills": [], "sectors": []}, "deadline": (timezone.now() + timedelta(days=9)).isoformat(),
    }, format="json").json()
    assert bob_api.get(f"/api/v1/collaborations/{request['id']}/").status_code == 200
    assert bob_api.post(f"/api/v1/collaborations/{request['id']}/responses/", {"message": "Oui"},
                        format="json").status_code == 201
    paths = [f"/api/v1/projects/{project}/", f"/api/v1/projects/{project}/updates/",
             f"/api/v1/projects/{project}/activity/"]
    assert [bob_api.get(path).status_code for path in paths] == [404, 404, 404]
    invited = alice_api.post(f"/api/v1/projects/{project}/members/", {"actor": "bob", "role": "contributor"},
                             format="json")
    assert invited.status_code == 201 and invited.json()["status"] == "invited"
    assert [bob_api.get(path).status_code for path in paths] == [404, 404, 404]  # an invitation grants nothing
    assert bob_api.post(f"/api/v1/projects/{project}/members/bob/accept/").status_code == 200
    assert [bob_api.get(path).status_code for path in paths] == [200, 200, 200]


# --- Invitations (memberships are offered, not imposed) -------------------------


def names(response) -> list[str]:
    return [item["actor"]["handle"] for item in response.json()["results"]]


def test_an_invitation_to_a_private_project_opens_nothing_until_accepted(
    alice_api, bob, bob_api, rennes, django_capture_on_commit_callbacks
):
    from feeds.models import Activity, Notification

    fan = client_for(make_person("fan", rennes))
    assert fan.post("/api/v1/actors/bob/follow/").status_code == 200
    project = alice_api.post("/api/v1/projects/", {"title": "Labo fermé", "visibility": "private"},
                             format="json").json()["slug"]
    with django_capture_on_commit_callbacks(execute=True):
        invited = alice_api.post(f"/api/v1/projects/{project}/members/", {"actor": "bob", "role": "maintainer"},
                                 format="json")
    assert invited.status_code == 201 and invited.json()["status"] == "invited"
    # Bob has no rights: no page, no updates to post, no members to invite.
    assert bob_api.get(f"/api/v1/projects/{project}/").status_code == 404
    assert bob_api.post(f"/api/v1/projects/{project}/updates/", {"body": "x"}, format="json").status_code == 404
    assert bob_api.get(f"/api/v1/projects/{project}/members/").status_code == 404
    # He is told, by a notification and in his invitations, under the project's name.
    told = Notification.objects.get(recipient=bob, reason=Notification.Reason.INVITED)
    assert told.activity.type == "Invite" and told.activity.target_id == project
    mine = bob_api.get("/api/v1/me/invitations/").json()["results"]
    assert [(item["kind"], item["id"], item["name"], item["role"]) for item in mine] == [
        ("project", project, "Labo fermé", "maintainer")]
    # Nothing is announced in his name: no Join, no Add on his stream nor his followers' feed.
    assert not Activity.objects.filter(type__in=["Join", "Add"]).exists()
    for listing in (fan.get("/api/v1/feed/"), bob_api.get("/api/v1/actors/bob/activity/")):
        assert [item["type"] for item in listing.json()["results"]] in ([], ["Follow"])
    # Managers see the invitation; members only members.
    assert [(item["actor"]["handle"], item["status"]) for item in
            alice_api.get(f"/api/v1/projects/{project}/members/").json()["results"]] == [
        ("alice", "active"), ("bob", "invited")]
    with django_capture_on_commit_callbacks(execute=True):
        accepted = bob_api.post(f"/api/v1/projects/{project}/members/bob/accept/")
    assert accepted.status_code == 200 and accepted.json()["status"] == "active"
    assert bob_api.get(f"/api/v1/projects/{project}/").json()["members_count"] == 2
    assert Activity.objects.filter(type="Join", actor=bob, object_id=project).exists()
    assert bob_api.get("/api/v1/me/invitations/").json()["results"] == []


def test_an_invitation_to_an_organization_grants_nothing_and_can_be_declined(alice, bob, bob_api, rennes):
    from profiles.models import Membership

    cantine = make_org("cantine", rennes)
    make_admin(alice, cantine)
    alice_api = client_for(alice)
    assert alice_api.post("/api/v1/actors/cantine/members/", {"actor": "bob", "role": "admin"},
                          format="json").json()["status"] == "invited"
    assert bob_api.patch("/api/v1/actors/cantine/", {"headline": "pris"}, format="json").status_code == 403
    assert bob_api.post("/api/v1/actors/cantine/members/", {"actor": "bob", "role": "admin"},
                        format="json").status_code == 403
    assert names(client_for(make_person("eve", rennes)).get("/api/v1/actors/cantine/members/")) == ["alice"]
    assert names(alice_api.get("/api/v1/actors/cantine/members/")) == ["alice", "bob"]
    # Only the invited person answers.
    assert alice_api.post("/api/v1/actors/cantine/members/bob/accept/").status_code == 403
    assert bob_api.post("/api/v1/actors/cantine/members/bob/decline/").status_code == 204
    assert bob_api.post("/api/v1/actors/cantine/members/bob/accept/").status_code == 409
    assert not Membership.objects.filter(person=bob).exists()
    # Invited again, he accepts and only then may edit.
    alice_api.post("/api/v1/actors/cantine/members/", {"actor": "bob", "role": "admin"}, format="json")
    accepted = bob_api.post("/api/v1/actors/cantine/members/bob/accept/").json()
    assert (accepted["actor"]["handle"], accepted["role"], accepted["status"]) == ("bob", "admin", "active")
    assert Membership.objects.get(person=bob).role == "admin"
    assert bob_api.patch("/api/v1/actors/cantine/", {"headline": "pris"}, format="json").status_code == 200


def test_a_person_who_blocks_someone_cannot_be_invited_by_them(alice, bob, bob_api, alice_api, rennes):
    from profiles.models import GroupInvitation
    from projects.models import ProjectInvitation

    cantine = make_org("cantine", rennes)
    make_admin(alice, cantine)
    project = alice_api.post("/api/v1/projects/", {"title": "Atelier"}, format="json").json()["slug"]
    assert bob_api.post("/api/v1/actors/alice/block/").status_code == 200
    assert alice_api.post("/api/v1/actors/cantine/members/", {"actor": "bob"}, format="json").status_code == 403
    assert alice_api.post(f"/api/v1/projects/{project}/members/", {"actor": "bob"}, format="json").status_code == 403
    assert not GroupInvitation.objects.exists() and not ProjectInvitation.objects.exists()


def test_anyone_leaves_and_the_last_admin_stays_until_another_takes_over(alice, bob, bob_api, alice_api, rennes):
    from tests.conftest import invite_and_accept

    cantine = make_org("cantine", rennes)
    make_admin(alice, cantine)
    invite_and_accept(alice_api, "/api/v1/actors/cantine/members/", "bob", "member")
    assert bob_api.delete("/api/v1/actors/cantine/members/bob/").status_code == 204
    # The only admin can neither leave nor demote itself.
    assert alice_api.delete("/api/v1/actors/cantine/members/alice/").status_code == 409
    assert alice_api.post("/api/v1/actors/cantine/members/", {"actor": "alice", "role": "member"},
                          format="json").status_code == 409
    invite_and_accept(alice_api, "/api/v1/actors/cantine/members/", "bob", "admin")
    assert alice_api.delete("/api/v1/actors/cantine/members/alice/").status_code == 204
    assert names(bob_api.get("/api/v1/actors/cantine/members/")) == ["bob"]
