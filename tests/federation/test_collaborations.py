"""Collaboration requests across instances: a request to a remote actor or city
leaves as an Offer; one that arrives as an Offer becomes a request here, addressed
to our actor; responses, acceptance, declining and withdrawal travel back and
change both sides through the transitions table. Bad messages are refused with
nothing stored."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from federation.keys import key_for
from federation.models import FederatedRequest, FederatedResponse, InboxItem
from federation.signatures import verify_request
from feeds.models import Notification
from projects.models import CollaborationRequest, CollaborationResponse
from tests.conftest import client_for, make_admin, make_person
from tests.federation.conftest import drained

pytestmark = pytest.mark.django_db

PUBLIC = "https://rennes.example"


def deadline(days=10) -> str:
    return (timezone.now() + timedelta(days=days)).isoformat().replace("+00:00", "Z")


def sent(remote, kind):
    return [(path, headers, body) for path, headers, body in remote.deliveries() if body["type"] == kind]


def verified(remote, delivery, owner):
    path, headers, body = delivery
    return verify_request(method="POST", url=remote.base + path, headers=headers,
                          body=json.dumps(body, ensure_ascii=False).encode(),
                          public_key_for=lambda _k: key_for(owner).public_pem)


@pytest.fixture
def montreal(remote):
    """A city of the remote instance (another Novosphère: `kind: city`) and one of its people."""
    remote.add_actor("montreal", "Organization", kind="city")
    remote.add_actor("ana")
    return remote


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Call the API, run what it queued after commit, then drain the deliveries."""
    def call(method, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            response = method(*args, **kwargs)
        drained()
        return response
    return call


# --- A request made here to another instance -------------------------------------------


def open_to_montreal(run, api, montreal, **extra):
    response = run(api.post, "/api/v1/collaborations/", {
        "title": "Vélos partagés", "message": "Qui veut tester nos vélos ?\nÀ Montréal ?",
        "to_city": f"montreal@{montreal.host}", "deadline": deadline(), "needs": {"skills": ["python"]}, **extra,
    }, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_a_request_to_a_remote_city_leaves_as_a_signed_offer(run, alice_api, montreal, rennes):
    request = open_to_montreal(run, alice_api, montreal)
    assert request["to_city"] == f"montreal@{montreal.host}"
    assert request["status"] == "open"
    [offer] = sent(montreal, "Offer")
    _path, _headers, body = offer
    assert body["actor"] == f"{PUBLIC}/actors/alice"
    assert body["target"] == montreal.uri("montreal")
    obj = body["object"]
    assert obj["type"] == "CollaborationRequest" and obj["id"] == f"{PUBLIC}/collaborations/{request['id']}"
    assert (obj["name"], obj["content"]) == ("Vélos partagés", "Qui veut tester nos vélos ?\nÀ Montréal ?")
    assert obj["needs"]["skills"] == ["python"]
    assert obj["originCity"] == f"{PUBLIC}/actors/rennes"
    assert verified(montreal, offer, "actor:alice")


def response_create(remote, request_id, n=1, content="Nous sommes partants !", **extra):
    uri = f"{remote.uri('ana')}/responses/{n}"
    return {"id": f"{uri}#create", "type": "Create", "actor": remote.uri("ana"),
            "object": {"id": uri, "type": "CollaborationResponse", "attributedTo": remote.uri("ana"),
                       "inReplyTo": f"{PUBLIC}/collaborations/{request_id}", "content": content,
                       "mediaType": "text/plain", **extra}}


def test_a_remote_response_then_our_acceptance_travels_back(run, post_inbox, alice, alice_api, montreal):
    request = open_to_montreal(run, alice_api, montreal)
    assert post_inbox(montreal, "ana", "/inbox", response_create(montreal, request["id"])).status_code == 202
    [response] = alice_api.get(f"/api/v1/collaborations/{request['id']}/responses/").json()["results"]
    assert response["responder"]["handle"] == f"ana@{montreal.host}"
    assert response["message"] == "Nous sommes partants !"
    assert Notification.objects.filter(recipient=alice, reason="response").exists()
    # the same response again changes nothing
    post_inbox(montreal, "ana", "/inbox", {**response_create(montreal, request["id"]), "id": "x"} | {
        "id": f"{montreal.uri('ana')}/responses/1#again"})
    assert CollaborationResponse.objects.count() == 1

    answer = run(alice_api.post, f"/api/v1/collaborations/{request['id']}/accept/", {"response": response["id"]},
                 format="json")
    assert answer.status_code == 200 and answer.json()["status"] == "accepted"
    [accept] = sent(montreal, "Accept")
    assert accept[2]["object"] == {"id": f"{montreal.uri('ana')}/responses/1", "type": "CollaborationResponse",
                                   "inReplyTo": f"{PUBLIC}/collaborations/{request['id']}"}
    assert verified(montreal, accept, "actor:alice")


def reject(remote, request_id, by="montreal"):
    return {"id": f"{remote.uri(by)}#reject/{request_id}", "type": "Reject", "actor": remote.uri(by),
            "object": {"id": f"{PUBLIC}/collaborations/{request_id}#offer", "type": "Offer",
                       "actor": f"{PUBLIC}/actors/alice", "object": f"{PUBLIC}/collaborations/{request_id}"}}


def test_the_remote_city_declines_and_only_it_can(run, post_inbox, alice, alice_api, montreal):
    request = open_to_montreal(run, alice_api, montreal)
    # ana is not the target: refused, nothing stored, nothing changed
    assert post_inbox(montreal, "ana", "/inbox", reject(montreal, request["id"], by="ana")).status_code == 404
    assert not InboxItem.objects.filter(type="Reject").exists()
    assert CollaborationRequest.objects.get().status == "open"
    assert post_inbox(montreal, "montreal", "/inbox", reject(montreal, request["id"])).status_code == 202
    assert alice_api.get(f"/api/v1/collaborations/{request['id']}/").json()["status"] == "declined"
    assert Notification.objects.filter(recipient=alice, reason="declined").exists()


def test_withdrawing_tells_the_far_side(run, alice_api, montreal):
    request = open_to_montreal(run, alice_api, montreal)
    assert run(alice_api.post, f"/api/v1/collaborations/{request['id']}/withdraw/").json()["status"] == "withdrawn"
    [update] = sent(montreal, "Update")
    assert update[2]["object"]["status"] == "withdrawn"
    assert update[2]["object"]["id"] == f"{PUBLIC}/collaborations/{request['id']}"


def test_a_request_between_two_local_actors_does_not_leave(run, alice_api, montreal, bob):
    response = run(alice_api.post, "/api/v1/collaborations/", {
        "title": "Ici", "message": "Entre nous", "to_actor": "bob", "deadline": deadline()}, format="json")
    assert response.status_code == 201
    assert montreal.deliveries() == []


def test_an_unknown_remote_city_is_a_400(run, alice_api, montreal):
    response = run(alice_api.post, "/api/v1/collaborations/", {
        "title": "x", "message": "y", "to_city": f"nobody@{montreal.host}", "deadline": deadline()}, format="json")
    assert response.status_code == 400 and "to_city" in response.json()["fields"]
    assert not CollaborationRequest.objects.exists()


# --- A request that another instance sends here ------------------------------------------


def offer(remote, target=f"{PUBLIC}/actors/rennes", n=1, **fields):
    uri = f"{remote.uri('ana')}/collaborations/{n}"
    obj = {"id": uri, "type": "CollaborationRequest", "attributedTo": remote.uri("ana"),
           "name": "Capteurs de qualité de l'air", "content": "Cherche un labo à Rennes.", "mediaType": "text/plain",
           "kind": "research", "endTime": deadline(), "needs": {"skills": ["iot"], "sectors": []}, **fields}
    return {"id": f"{uri}#offer", "type": "Offer", "actor": remote.uri("ana"), "target": target, "object": obj}


@pytest.fixture
def admin(rennes):
    person = make_person("claire", rennes)
    make_admin(person, rennes)
    return person


def test_an_offer_becomes_a_request_to_our_city_that_its_side_sees(post_inbox, montreal, rennes, admin):
    assert post_inbox(montreal, "ana", "/inbox", offer(montreal)).status_code == 202
    request = CollaborationRequest.objects.get()
    assert (request.author.handle, request.to_city, request.status) == (f"ana@{montreal.host}", rennes, "open")
    assert request.federated.uri == f"{montreal.uri('ana')}/collaborations/1"
    incoming = client_for(admin).get("/api/v1/collaborations/?incoming=1").json()["results"]
    assert [(r["title"], r["kind"], r["needs"]["skills"]) for r in incoming] == [
        ("Capteurs de qualité de l'air", "research", ["iot"])]
    assert Notification.objects.filter(recipient=admin, reason="request_received").exists()
    # repeated, it changes nothing
    post_inbox(montreal, "ana", "/inbox", {**offer(montreal), "id": f"{montreal.uri('ana')}/collaborations/1#again"})
    assert CollaborationRequest.objects.count() == 1


def test_an_offer_to_a_person_or_a_project_is_addressed_to_them(post_inbox, montreal, alice):
    from projects.models import Project

    Project.objects.create(slug="velo", title="Vélo", owner=alice)
    post_inbox(montreal, "ana", "/inbox", offer(montreal, target=f"{PUBLIC}/actors/alice"))
    post_inbox(montreal, "ana", "/inbox", offer(montreal, target=f"{PUBLIC}/projects/velo", n=2))
    assert sorted((r.to_actor_id is not None, r.to_project_id is not None)
                  for r in CollaborationRequest.objects.all()) == [(False, True), (True, False)]


def test_our_response_and_the_remote_acceptance(run, post_inbox, montreal, bob, bob_api, admin):
    post_inbox(montreal, "ana", "/inbox", offer(montreal))
    request = CollaborationRequest.objects.get()
    answer = run(bob_api.post, f"/api/v1/collaborations/{request.pk}/responses/", {"message": "Notre labo est là"},
                 format="json")
    assert answer.status_code == 201
    response_id = answer.json()["id"]
    [create] = sent(montreal, "Create")
    assert create[2]["actor"] == f"{PUBLIC}/actors/bob"
    assert create[2]["object"]["inReplyTo"] == f"{montreal.uri('ana')}/collaborations/1"
    assert create[2]["object"]["id"] == f"{PUBLIC}/collaborations/responses/{response_id}"
    assert create[2]["object"]["content"] == "Notre labo est là"
    assert verified(montreal, create, "actor:bob")

    accept = {"id": f"{montreal.uri('ana')}/collaborations/1#accept", "type": "Accept", "actor": montreal.uri("ana"),
              "object": {"id": f"{PUBLIC}/collaborations/responses/{response_id}", "type": "CollaborationResponse",
                         "inReplyTo": f"{montreal.uri('ana')}/collaborations/1"}}
    assert post_inbox(montreal, "ana", "/inbox", accept).status_code == 202
    request.refresh_from_db()
    assert (request.status, request.accepted_response_id) == ("accepted", response_id)
    assert bob_api.get(f"/api/v1/collaborations/{request.pk}/responses/").json()["results"][0]["status"] == "accepted"
    assert Notification.objects.filter(recipient=bob, reason="accepted").exists()


def test_an_answer_chosen_elsewhere_passes_ours_over(run, post_inbox, montreal, bob_api):
    post_inbox(montreal, "ana", "/inbox", offer(montreal))
    request = CollaborationRequest.objects.get()
    run(bob_api.post, f"/api/v1/collaborations/{request.pk}/responses/", {"message": "Nous aussi"}, format="json")
    accept = {"id": f"{montreal.uri('ana')}/collaborations/1#accept", "type": "Accept", "actor": montreal.uri("ana"),
              "object": {"id": f"{montreal.uri('ana')}/responses/9", "type": "CollaborationResponse",
                         "inReplyTo": f"{montreal.uri('ana')}/collaborations/1"}}
    post_inbox(montreal, "ana", "/inbox", accept)
    request.refresh_from_db()
    assert (request.status, request.accepted_response) == ("accepted", None)
    assert CollaborationResponse.objects.get().status == "not_chosen"


def test_our_side_declines_with_a_reject_signed_by_the_city(run, post_inbox, montreal, rennes, admin):
    post_inbox(montreal, "ana", "/inbox", offer(montreal))
    request = CollaborationRequest.objects.get()
    answer = run(client_for(admin).post, f"/api/v1/collaborations/{request.pk}/decline/")
    assert answer.status_code == 200 and answer.json()["status"] == "declined"
    [rejected] = sent(montreal, "Reject")
    assert rejected[2]["actor"] == f"{PUBLIC}/actors/rennes"
    assert rejected[2]["object"]["id"] == f"{montreal.uri('ana')}/collaborations/1#offer"
    assert verified(montreal, rejected, "actor:rennes")


def test_the_remote_author_withdraws_and_nobody_else_can(post_inbox, montreal, admin):
    post_inbox(montreal, "ana", "/inbox", offer(montreal))
    request = CollaborationRequest.objects.get()
    update = {"id": f"{montreal.uri('ana')}/collaborations/1#withdrawn", "type": "Update",
              "actor": montreal.uri("ana"),
              "object": {**offer(montreal)["object"], "status": "withdrawn"}}
    montreal.add_actor("zoe")
    forged = {**update, "id": f"{montreal.uri('zoe')}#u", "actor": montreal.uri("zoe"),
              "object": {**update["object"], "attributedTo": montreal.uri("zoe")}}
    assert post_inbox(montreal, "zoe", "/inbox", forged).status_code == 404
    bad = {**update, "id": update["id"] + "x", "object": {**update["object"], "status": "accepted"}}
    assert post_inbox(montreal, "ana", "/inbox", bad).status_code == 400
    request.refresh_from_db()
    assert request.status == "open"
    assert post_inbox(montreal, "ana", "/inbox", update).status_code == 202
    request.refresh_from_db()
    assert request.status == "withdrawn"
    # the table holds on both sides: a withdrawn request takes no more responses
    response = client_for(admin).post(f"/api/v1/collaborations/{request.pk}/responses/", {"message": "trop tard"},
                                      format="json")
    assert response.status_code == 409


# --- Refused, nothing stored ----------------------------------------------------------------


def nothing_stored():
    return (InboxItem.objects.count(), CollaborationRequest.objects.count(), FederatedRequest.objects.count()) == (0, 0, 0)


@pytest.mark.parametrize("change, status", [
    ({"name": None}, 400),
    ({"name": ""}, 400),
    ({"name": "x" * 161}, 400),
    ({"name": "Deux\nlignes"}, 400),
    ({"name": "evil\u202egpj.exe"}, 400),
    ({"content": "bell\x07"}, 400),
    ({"content": ""}, 400),
    ({"kind": "spam"}, 400),
    ({"endTime": "2020-01-01T00:00:00Z"}, 400),
    ({"endTime": "not a date"}, 400),
    ({"needs": {"skills": ["Not A Slug!"]}}, 400),
    ({"includePeerCities": True, "to": []}, None),  # to a person: refused below with its own target
    ({"id": "https://elsewhere.example/collaborations/1"}, 403),
    ({"attributedTo": "https://elsewhere.example/users/ana"}, 403),
])
def test_a_bad_offer_is_refused_with_nothing_stored(post_inbox, montreal, rennes, alice, change, status):
    activity = offer(montreal)
    if status is None:
        activity = offer(montreal, target=f"{PUBLIC}/actors/alice")
        status = 400
    activity["object"] = {**activity["object"], **change}
    response = post_inbox(montreal, "ana", "/inbox", activity)
    assert response.status_code == status, response.content
    body = response.json()
    assert body["message"] and body["code"] == {400: "bad_activity", 403: "refused"}[status]
    assert (status == 400) == bool(body.get("fields"))  # a 400 names the field at fault
    assert nothing_stored()


@pytest.mark.parametrize("target", [f"{PUBLIC}/actors/nobody", "https://elsewhere.example/actors/rennes", None])
def test_an_offer_to_no_one_here_is_404(post_inbox, montreal, rennes, target):
    activity = offer(montreal, target=target)
    if target is None:
        del activity["target"]
    assert post_inbox(montreal, "ana", "/inbox", activity).status_code == 404
    assert nothing_stored()


def test_an_offer_signed_by_another_actor_is_refused(post_inbox, montreal, rennes):
    montreal.add_actor("mallory")
    assert post_inbox(montreal, "ana", "/inbox", offer(montreal), key_of="mallory").status_code == 403
    assert nothing_stored()


def test_an_offer_to_a_hidden_project_is_404(post_inbox, montreal, alice):
    from projects.models import Project, Visibility

    Project.objects.create(slug="secret", title="Secret", owner=alice, visibility=Visibility.PRIVATE)
    assert post_inbox(montreal, "ana", "/inbox", offer(montreal, target=f"{PUBLIC}/projects/secret")).status_code == 404
    assert nothing_stored()


def test_a_bad_response_is_refused_with_nothing_stored(run, post_inbox, alice_api, montreal):
    request = open_to_montreal(run, alice_api, montreal)
    assert post_inbox(montreal, "ana", "/inbox", response_create(montreal, 999)).status_code == 404
    assert post_inbox(montreal, "ana", "/inbox", response_create(montreal, request["id"], content="")).status_code == 400
    assert post_inbox(montreal, "ana", "/inbox",
                      response_create(montreal, request["id"], content="x" * 5001)).status_code == 400
    assert (InboxItem.objects.count(), CollaborationResponse.objects.count(), FederatedResponse.objects.count()) == (0, 0, 0)


def test_an_accept_by_someone_who_is_not_the_author_is_refused(run, post_inbox, montreal, bob_api):
    post_inbox(montreal, "ana", "/inbox", offer(montreal))
    request = CollaborationRequest.objects.get()
    montreal.add_actor("zoe")
    accept = {"id": f"{montreal.uri('zoe')}#accept", "type": "Accept", "actor": montreal.uri("zoe"),
              "object": {"id": "https://x.example/r/1", "type": "CollaborationResponse",
                         "inReplyTo": f"{montreal.uri('ana')}/collaborations/1"}}
    assert post_inbox(montreal, "zoe", "/inbox", accept).status_code == 404
    request.refresh_from_db()
    assert request.status == "open"
    assert InboxItem.objects.filter(type="Accept").count() == 0
