from datetime import timedelta

import pytest
from django.utils import timezone

from feeds.models import Activity, Notification
from profiles.models import Actor, Membership
from projects.models import CollaborationRequest, CollaborationResponse
from projects.services import TRANSITIONS
from tests.conftest import (
    client_for,
    fields_of,
    link_cities,
    make_admin,
    make_city,
    make_org,
    make_person,
)
from tests.projects.helpers import add_member, create_project, in_days, open_request

pytestmark = pytest.mark.django_db


def respond(client, request_id, **body):
    body.setdefault("message", "Nous pouvons aider !")
    return client.post(f"/api/v1/collaborations/{request_id}/responses/", body, format="json")


def recipients(reason=Notification.Reason.REQUEST_RECEIVED) -> set[str]:
    return set(Notification.objects.filter(reason=reason).values_list("recipient__handle", flat=True))


# --- Opening a request -------------------------------------------------------


def test_open_a_request_to_a_person(alice_api, bob):
    body = open_request(alice_api, to_actor="bob")
    assert body["author"] == "alice" and body["to_actor"] == "bob"
    assert body["to_project"] is None and body["to_city"] is None
    assert body["status"] == "open" and body["responses_count"] == 0
    assert body["origin_city"] == "rennes"
    assert body["needs"] == {"skills": ["iot"], "sectors": ["sante"]}
    assert recipients() == {"bob"}
    activity = Activity.objects.get(type="Create", object_type="collaboration")
    assert activity.target_id == "bob"
    assert "city:rennes" in set(activity.stream_entries.values_list("stream", flat=True))


def test_a_request_to_an_organization_reaches_its_admins(alice_api, rennes):
    org = make_org("irisa", rennes)
    admin, member = make_person("ada", rennes), make_person("max", rennes)
    make_admin(admin, org)
    Membership.objects.create(person=member, group=org)
    open_request(alice_api, to_actor="irisa")
    assert recipients() == {"ada"}


def test_a_request_to_a_city_with_peers_reaches_accepted_peers_admins_only(alice_api, rennes, quebec):
    montreal, lyon = make_city("montreal", country="CA"), make_city("lyon")
    link_cities(quebec, montreal)
    link_cities(lyon, quebec, accepted=False)
    for city, handle in ((quebec, "qadmin"), (montreal, "madmin"), (lyon, "ladmin")):
        make_admin(make_person(handle, city), city)
    open_request(alice_api, to_city="quebec")
    assert recipients() == {"qadmin"}
    Notification.objects.all().delete()
    body = open_request(alice_api, to_city="quebec", include_peer_cities=True)
    assert body["include_peer_cities"] is True
    assert recipients() == {"qadmin", "madmin"}
    streams = set(Activity.objects.filter(object_id=str(body["id"])).values_list("stream_entries__stream", flat=True))
    assert {"city:quebec", "city:rennes", "actor:alice"} <= streams


def test_a_request_to_a_project_reaches_owners_and_maintainers(alice_api, bob_api, rennes):
    slug = create_project(bob_api)["slug"]
    make_person("mia", rennes), make_person("cid", rennes)
    add_member(bob_api, slug, "mia", "maintainer")
    add_member(bob_api, slug, "cid", "contributor")
    open_request(alice_api, to_project=slug)
    assert recipients() == {"bob", "mia"}
    activity = Activity.objects.get(object_type="collaboration")
    assert activity.subject_kind == "request" and activity.target_id == slug


def test_a_request_from_a_project_of_mine(alice_api, bob):
    slug = create_project(alice_api)["slug"]
    body = open_request(alice_api, to_actor="bob", from_project=slug)
    assert body["from_project"] == slug


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({}, "to_actor"),
        ({"to_actor": "bob", "to_city": "rennes"}, "to_actor"),
        ({"to_actor": "alice"}, "to_actor"),
        ({"to_actor": "rennes"}, "to_actor"),
        ({"to_actor": "ghost"}, "to_actor"),
        ({"to_city": "atlantis"}, "to_city"),
        ({"to_city": "bob"}, "to_city"),
        ({"to_project": "secret"}, "to_project"),
        ({"to_actor": "bob", "include_peer_cities": True}, "include_peer_cities"),
        ({"to_actor": "bob", "deadline": in_days(-1)}, "deadline"),
        ({"to_actor": "bob", "deadline": "demain"}, "deadline"),
        ({"to_actor": "bob", "from_project": "bobs"}, "from_project"),
        ({"to_actor": "bob", "kind": "party"}, "kind"),
        ({"to_actor": "bob", "title": ""}, "title"),
        ({"to_actor": "bob", "needs": {"skills": ["pas un slug"]}}, "needs"),
        ({"to_actor": "bob", "origin_city": "ghost"}, "origin_city"),
    ],
)
def test_bad_request_input_is_a_400_naming_the_field_and_writes_nothing(alice_api, bob_api, bob, overrides, field):
    create_project(bob_api, title="Secret", slug="secret", visibility="private")
    create_project(bob_api, title="Bobs", slug="bobs")
    before = (Activity.objects.count(), Notification.objects.count())
    body = {"title": "Besoin", "message": "Aidez-nous", "deadline": in_days(10), **overrides}
    response = alice_api.post("/api/v1/collaborations/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in fields_of(response.json())
    assert not CollaborationRequest.objects.exists()
    assert (Activity.objects.count(), Notification.objects.count()) == before


def test_writes_without_a_token_are_401(api, alice_api, bob):
    request_id = open_request(alice_api, to_actor="bob")["id"]
    assert api.post("/api/v1/collaborations/", {"title": "x"}, format="json").status_code == 401
    for path in ("responses/", "accept/", "decline/", "withdraw/", "close/"):
        assert api.post(f"/api/v1/collaborations/{request_id}/{path}", {}, format="json").status_code == 401
    assert api.get(f"/api/v1/collaborations/{request_id}/").status_code == 200


# --- The life of a request, as a whole table --------------------------------

STATES = [choice for choice, _label in CollaborationRequest.Status.choices]
PARTIES = ["author", "target", "outsider"]


def _expected(action: str, party: str, state: str) -> int:
    rule = TRANSITIONS[action]
    if party != rule.party:
        return 403
    return 200 if state in rule.sources else 409


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("party", PARTIES)
@pytest.mark.parametrize("action", ["accept", "decline", "withdraw", "close"])
def test_transition_table(alice, alice_api, bob, bob_api, rennes, action, party, state):
    request_id = open_request(alice_api, to_actor="bob")["id"]
    carol = make_person("carol", rennes)
    response_id = respond(client_for(carol), request_id).json()["id"]
    CollaborationRequest.objects.filter(pk=request_id).update(status=state)
    clients = {"author": alice_api, "target": bob_api, "outsider": client_for(make_person("dan", rennes))}
    activities = Activity.objects.count()
    answer = clients[party].post(
        f"/api/v1/collaborations/{request_id}/{action}/", {"response": response_id}, format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    expected = _expected(action, party, state)
    assert answer.status_code == expected, answer.content
    saved = CollaborationRequest.objects.get(pk=request_id)
    if expected == 200:
        assert answer.json()["status"] == saved.status == TRANSITIONS[action].result
    else:
        detail = answer.json()["detail"]
        # The message says why: whose action it is, or which state the request is in.
        assert (f"is {state}" in detail) if expected == 409 else detail.startswith("Only the")
        assert saved.status == state
        assert Activity.objects.count() == activities
        assert CollaborationResponse.objects.get(pk=response_id).status == "open"


def test_the_table_says_who_does_what():
    assert {name: (rule.party, set(rule.sources), rule.result) for name, rule in TRANSITIONS.items()} == {
        "accept": ("author", {"open"}, "accepted"),
        "decline": ("target", {"open"}, "declined"),
        "withdraw": ("author", {"open"}, "withdrawn"),
        "close": ("author", {"open"}, "closed"),
        "expire": ("deadline", {"open"}, "closed"),
    }


def test_accepting_notifies_the_responder_and_settles_the_others(alice, alice_api, bob, rennes):
    request_id = open_request(alice_api, to_actor="bob")["id"]
    carol, dan = make_person("carol", rennes), make_person("dan", rennes)
    chosen = respond(client_for(carol), request_id).json()["id"]
    other = respond(client_for(dan), request_id).json()["id"]
    accepted = alice_api.post(f"/api/v1/collaborations/{request_id}/accept/", {"response": chosen}, format="json")
    assert accepted.status_code == 200
    assert accepted.json()["status"] == "accepted" and accepted.json()["accepted_response"] == chosen
    assert CollaborationResponse.objects.get(pk=other).status == "not_chosen"
    notification = Notification.objects.get(reason=Notification.Reason.ACCEPTED)
    assert notification.recipient == carol and notification.activity.type == "Accept"


def test_accepting_needs_an_open_response_of_this_request(alice_api, bob, rennes):
    first = open_request(alice_api, to_actor="bob")["id"]
    second = open_request(alice_api, to_actor="bob")["id"]
    foreign = respond(client_for(make_person("carol", rennes)), second).json()["id"]
    for body in ({"response": foreign}, {"response": 999999}, {}, {"response": "x"}):
        answer = alice_api.post(f"/api/v1/collaborations/{first}/accept/", body, format="json")
        assert answer.status_code == 400 and "response" in fields_of(answer.json())
    assert CollaborationRequest.objects.get(pk=first).status == "open"


def test_declining_notifies_the_author(alice, alice_api, bob_api):
    request_id = open_request(alice_api, to_actor="bob")["id"]
    assert bob_api.post(f"/api/v1/collaborations/{request_id}/decline/").json()["status"] == "declined"
    notification = Notification.objects.get(reason=Notification.Reason.DECLINED)
    assert notification.recipient == alice and notification.activity.type == "Reject"


def test_the_target_side_of_organizations_cities_and_projects_declines(alice_api, bob, bob_api, rennes, quebec):
    org = make_org("irisa", rennes)
    make_admin(bob, org)
    slug = create_project(bob_api)["slug"]
    qadmin = make_person("qadmin", quebec)
    make_admin(qadmin, quebec)
    for target, decider in (({"to_actor": "irisa"}, bob_api), ({"to_project": slug}, bob_api),
                            ({"to_city": "quebec"}, client_for(qadmin))):
        request_id = open_request(alice_api, **target)["id"]
        assert decider.post(f"/api/v1/collaborations/{request_id}/decline/").status_code == 200


def test_past_deadline_requests_read_as_closed_and_take_no_action(alice_api, bob_api):
    request_id = open_request(alice_api, to_actor="bob")["id"]
    CollaborationRequest.objects.filter(pk=request_id).update(deadline=timezone.now() - timedelta(minutes=1))
    assert alice_api.get(f"/api/v1/collaborations/{request_id}/").json()["status"] == "closed"
    assert [r["status"] for r in alice_api.get("/api/v1/collaborations/").json()["results"]] == ["closed"]
    assert respond(bob_api, request_id).status_code == 409
    assert alice_api.post(f"/api/v1/collaborations/{request_id}/withdraw/").status_code == 409


def test_a_request_closed_by_its_deadline_tells_its_author_once(alice, alice_api, bob_api):
    request_id = open_request(alice_api, to_actor="bob", title="Cherche partenaire IoT")["id"]
    CollaborationRequest.objects.filter(pk=request_id).update(deadline=timezone.now() - timedelta(minutes=1))
    assert bob_api.get("/api/v1/collaborations/").status_code == 200  # the first read closes it
    assert alice_api.get(f"/api/v1/collaborations/{request_id}/").json()["status"] == "closed"
    notification = Notification.objects.get(reason=Notification.Reason.REQUEST_EXPIRED)
    assert notification.recipient == alice
    inbox = alice_api.get("/api/v1/notifications/", HTTP_ACCEPT_LANGUAGE="en").json()["results"]
    assert inbox[0]["activity"]["summary"] == "“Cherche partenaire IoT” reached its deadline and is closed"
    french = alice_api.get("/api/v1/notifications/", HTTP_ACCEPT_LANGUAGE="fr").json()["results"]
    assert french[0]["activity"]["summary"] == "«\u00a0Cherche partenaire IoT\u00a0» a atteint son échéance et est close"
    bob_api.get("/api/v1/collaborations/")
    assert Notification.objects.filter(reason=Notification.Reason.REQUEST_EXPIRED).count() == 1


# --- Responses ---------------------------------------------------------------


def test_respond_once_while_open(alice, alice_api, bob_api, bob):
    request_id = open_request(alice_api, to_actor="bob")["id"]
    created = respond(bob_api, request_id)
    assert created.status_code == 201
    assert created.json()["responder"]["handle"] == "bob" and created.json()["status"] == "open"
    again = respond(bob_api, request_id)
    assert again.status_code == 409 and "detail" in again.json()
    assert alice_api.get(f"/api/v1/collaborations/{request_id}/").json()["responses_count"] == 1
    notification = Notification.objects.get(reason=Notification.Reason.RESPONSE)
    assert notification.recipient == alice and notification.activity.type == "Offer"
    listed = alice_api.get(f"/api/v1/collaborations/{request_id}/responses/").json()["results"]
    assert [r["id"] for r in listed] == [created.json()["id"]]
    assert respond(alice_api, request_id).status_code == 403


def test_respond_for_an_organization_or_a_project(alice_api, bob, bob_api, rennes):
    request_id = open_request(alice_api, to_city="rennes")["id"]
    org = make_org("labfab", rennes)
    make_org("other-org", rennes)
    make_admin(bob, org)
    slug = create_project(bob_api)["slug"]
    create_project(alice_api, title="Pas à bob", slug="pas-a-bob")
    for body, field in (({"on_behalf_of": "other-org"}, "on_behalf_of"), ({"on_behalf_of": "rennes"}, "on_behalf_of"),
                        ({"on_behalf_of_project": "pas-a-bob"}, "on_behalf_of_project"),
                        ({"on_behalf_of_project": "ghost"}, "on_behalf_of_project"),
                        ({"message": ""}, "message")):
        answer = respond(bob_api, request_id, **body)
        assert answer.status_code == 400 and field in fields_of(answer.json()), answer.content
    assert not CollaborationResponse.objects.exists()
    answer = respond(bob_api, request_id, on_behalf_of="labfab")
    assert answer.status_code == 201 and answer.json()["on_behalf_of"] == "labfab"
    carol = make_person("carol", rennes)
    add_member(bob_api, slug, "carol")
    answer = respond(client_for(carol), request_id, on_behalf_of_project=slug)
    assert answer.status_code == 201 and answer.json()["on_behalf_of_project"] == slug


# --- Visibility --------------------------------------------------------------


def test_requests_involving_a_private_project_are_404_for_outsiders(api, alice_api, bob, bob_api, rennes):
    slug = create_project(bob_api, visibility="private")["slug"]
    add_member(bob_api, slug, "alice", "contributor")
    to_private = open_request(alice_api, to_project=slug)["id"]
    carol = make_person("carol", rennes)
    from_private = open_request(bob_api, to_actor="carol", from_project=slug)["id"]
    public = open_request(alice_api, to_actor="bob")["id"]
    outsider = client_for(make_person("eve", rennes))
    unknown = outsider.get("/api/v1/collaborations/999999/").json()
    for client in (api, outsider):
        listed = {r["id"] for r in client.get("/api/v1/collaborations/").json()["results"]}
        assert listed == {public}
        for request_id in (to_private, from_private):
            for path in ("", "responses/", "suggestions/"):
                hidden = client.get(f"/api/v1/collaborations/{request_id}/{path}")
                assert hidden.status_code == 404 and hidden.json() == unknown
    for path in ("responses/", "accept/", "decline/", "withdraw/", "close/"):
        assert outsider.post(f"/api/v1/collaborations/{to_private}/{path}", {"message": "x"}, format="json").status_code == 404
    # The project's members, the author and the target's side see them.
    assert {r["id"] for r in alice_api.get("/api/v1/collaborations/").json()["results"]} == {to_private, from_private, public}
    carol_sees = {r["id"] for r in client_for(carol).get("/api/v1/collaborations/").json()["results"]}
    assert carol_sees == {from_private, public}
    created = Activity.objects.get(object_id=str(to_private), type="Create")
    assert (created.subject_kind, created.subject_id, created.audience) == ("request", str(to_private), "some")


def test_requests_by_a_suspended_author_disappear(api, alice, alice_api, bob):
    request_id = open_request(alice_api, to_actor="bob")["id"]
    Actor.objects.filter(pk=alice.pk).update(suspended=True)
    assert api.get(f"/api/v1/collaborations/{request_id}/").status_code == 404


# --- Lists and filters -------------------------------------------------------


def test_incoming_lists_what_is_addressed_to_me_my_groups_projects_and_city(alice_api, bob, rennes, quebec):
    me = make_person("moi", rennes)
    org = make_org("mon-org", quebec)
    make_admin(me, org)
    montreal, paris = make_city("montreal", country="CA"), make_city("paris")
    link_cities(rennes, montreal)
    bob_api = client_for(bob)
    project = create_project(bob_api, title="Mon projet")["slug"]
    add_member(bob_api, project, "moi", "maintainer")
    contributed = create_project(bob_api, title="Autre")["slug"]
    add_member(bob_api, contributed, "moi", "contributor")
    expected = {
        open_request(alice_api, to_actor="moi")["id"],
        open_request(alice_api, to_actor="mon-org")["id"],
        open_request(alice_api, to_project=project)["id"],
        open_request(alice_api, to_city="rennes")["id"],
        open_request(alice_api, to_city="montreal", include_peer_cities=True)["id"],
    }
    open_request(alice_api, to_city="montreal")  # peers not included
    open_request(alice_api, to_city="paris", include_peer_cities=True)
    open_request(alice_api, to_project=contributed)
    open_request(alice_api, to_actor="bob")
    mine = client_for(me)
    assert {r["id"] for r in mine.get("/api/v1/collaborations/?incoming=1").json()["results"]} == expected
    assert mine.get("/api/v1/collaborations/").json()["count"] == 9
    assert paris


def test_filters_status_kind_city(alice_api, bob, bob_api, quebec):
    funding = open_request(alice_api, to_actor="bob", kind="funding")["id"]
    to_quebec = open_request(alice_api, to_city="quebec", kind="research")["id"]
    bob_api.post(f"/api/v1/collaborations/{funding}/decline/")

    def ids(query):
        return {r["id"] for r in alice_api.get(f"/api/v1/collaborations/?{query}").json()["results"]}

    assert ids("status=declined") == {funding}
    assert ids("status=open") == {to_quebec}
    assert ids("kind=research") == {to_quebec}
    assert ids("city=quebec") == {to_quebec}
    assert ids("city=rennes") == {funding, to_quebec}  # both come from Rennes
    assert alice_api.get("/api/v1/collaborations/?status=maybe").status_code == 400
    assert alice_api.get("/api/v1/collaborations/?incoming=1").json()["count"] == 0
