"""Events in search (`type=event`): results, facets and suggest, through the HTTP API, with
the event kind's visibility rule on the database backend and in the Elasticsearch bodies."""

import itertools

import pytest
from django.contrib.auth.models import AnonymousUser

from events.models import Event
from events.selectors import visible_events
from profiles.models import Membership
from search.backends.elasticsearch import build_search, bulk_actions, source, visibility_filter
from search.models import SearchDocument
from search.registry import all_documents, document_type, stored_audience_allows
from tests.conftest import (
    client_for,
    invite_and_accept,
    make_admin,
    make_city,
    make_org,
    make_person,
)
from tests.search.test_elasticsearch import _filter_allows

pytestmark = pytest.mark.django_db


def event(client, expect=201, **overrides) -> dict:
    body = {
        "title": "Hackathon santé connectée", "kind": "hackathon", "organizers": ["cantine"], "city": "rennes",
        "description": "Deux jours pour **prototyper** des capteurs médicaux.",
        "venue": {"name": "Le Mabilay", "address": "2 rue de la Mabilais"},
        "start": "2027-04-10T09:00:00+02:00", "end": "2027-04-11T18:00:00+02:00",
        "sectors": ["sante"], "skills": ["iot"],
        **overrides,
    }
    response = client.post("/api/v1/events/", body, format="json")
    assert response.status_code == expect, response.content
    return response.json()


@pytest.fixture
def world(db, django_capture_on_commit_callbacks):
    """Rennes and Québec; the Cantine (administered by `orga`, with member `mia`); events of every visibility,
    written through the API so that the services' sync is what indexes them."""
    rennes = make_city("rennes", "Rennes")
    make_city("quebec", "Québec", country="CA")
    cantine = make_org("cantine", rennes)
    cantine.name = "La Cantine numérique"
    cantine.save()
    orga, mia, bob = make_person("orga", rennes), make_person("mia", rennes), make_person("bob", rennes)
    make_admin(orga, cantine)
    Membership.objects.create(person=mia, group=cantine, role=Membership.Role.MEMBER)
    with django_capture_on_commit_callbacks(execute=True):
        api = client_for(orga)
        event(api)
        event(api, title="Conférence santé à Québec", kind="conference", city="quebec", sectors=["sante"], skills=[],
              venue={"name": "Centre des congrès", "address": "1000 boulevard René-Lévesque Est"},
              description="Deux jours de conférences sur la santé.")
        event(api, title="Atelier santé des inscrits", kind="workshop", visibility="members")
        event(api, title="Comité santé confidentiel", kind="meetup", visibility="private", sectors=["defense"],
              skills=["cryptographie"])
    return {"orga": orga, "mia": mia, "bob": bob, "cantine": cantine}


def search(client, **params) -> dict:
    response = client.get("/api/v1/search/", {"q": "sante", **params})
    assert response.status_code == 200, response.content
    return response.json()


def ids(body) -> set[str]:
    return {hit["id"] for hit in body["results"]}


def test_type_event_finds_public_events_with_their_facets(api, world):
    body = search(api, type="event")
    assert ids(body) == {"hackathon-sante-connectee", "conference-sante-a-quebec"}
    assert body["count"] == 2
    hit = next(h for h in body["results"] if h["id"] == "hackathon-sante-connectee")
    assert hit["type"] == "event" and hit["title"] == "Hackathon santé connectée"
    assert body["facets"]["type"] == {"event": 2}
    assert body["facets"]["kind"] == {"hackathon": 1, "conference": 1}
    assert body["facets"]["city"] == {"rennes": 1, "quebec": 1}
    assert body["facets"]["sector"] == {"sante": 2}
    assert body["facets"]["skill"] == {"iot": 1}


def test_event_filters(api, world):
    assert ids(search(api, type="event", kind="conference")) == {"conference-sante-a-quebec"}
    assert ids(search(api, type="event", city="rennes")) == {"hackathon-sante-connectee"}
    assert ids(search(api, type="event", country="CA")) == {"conference-sante-a-quebec"}
    assert ids(search(api, type="event", skill="iot")) == {"hackathon-sante-connectee"}
    # Words of the description (as text, not markdown), the venue and the organizer find it.
    assert ids(search(api, q="prototyper")) == {"hackathon-sante-connectee"}
    assert ids(search(api, q="Mabilay", type="event")) == {"hackathon-sante-connectee"}
    assert "hackathon-sante-connectee" in ids(search(api, q="cantine numerique", type="event"))


def test_private_and_members_events_are_found_only_by_those_who_may_see_them(api, world):
    # Anonymous: the public ones only, in results, count, facets and suggestions.
    anonymous = search(api)
    assert "comite-sante-confidentiel" not in ids(anonymous)
    assert "atelier-sante-des-inscrits" not in ids(anonymous)
    assert "defense" not in anonymous["facets"]["sector"] and "cryptographie" not in anonymous["facets"]["skill"]
    assert search(api, q="confidentiel")["count"] == 0
    assert api.get("/api/v1/search/suggest/", {"q": "comite"}).json()["results"] == []
    # A signed-in stranger: the members' event too, never the private one.
    stranger = client_for(world["bob"])
    assert "atelier-sante-des-inscrits" in ids(search(stranger))
    assert search(stranger, q="confidentiel") == {"count": 0, "results": [], "facets": search(stranger, q="confidentiel")["facets"], "next": None}
    assert stranger.get("/api/v1/search/suggest/", {"q": "comite"}).json()["results"] == []
    # The organizers' circle: the organizing organization's admin and its member.
    for person in ("orga", "mia"):
        insider = client_for(world[person])
        assert ids(search(insider, q="confidentiel")) == {"comite-sante-confidentiel"}
        assert insider.get("/api/v1/search/suggest/", {"q": "comite"}).json()["results"] == [
            {"type": "event", "id": "comite-sante-confidentiel", "title": "Comité santé confidentiel"}]


def test_suggest_reaches_event_titles(api, world):
    suggestions = api.get("/api/v1/search/suggest/", {"q": "hacka"}).json()["results"]
    assert suggestions == [{"type": "event", "id": "hackathon-sante-connectee", "title": "Hackathon santé connectée"}]


def test_edits_moderation_suspension_and_deletion_follow_in_search(api, world, django_capture_on_commit_callbacks):
    orga_api = client_for(world["orga"])
    with django_capture_on_commit_callbacks(execute=True):
        edited = orga_api.patch("/api/v1/events/hackathon-sante-connectee/", {"title": "Datathon hospitalier"},
                                format="json")
        assert edited.status_code == 200, edited.content
    assert ids(search(api, q="datathon")) == {"hackathon-sante-connectee"}
    # Made private: gone for outsiders at once.
    with django_capture_on_commit_callbacks(execute=True):
        orga_api.patch("/api/v1/events/hackathon-sante-connectee/", {"visibility": "private"}, format="json")
    assert ids(search(api, q="datathon")) == set()
    assert ids(search(client_for(world["mia"]), q="datathon")) == {"hackathon-sante-connectee"}
    # A newcomer in the organizing group joins the circle, and finds it.
    newcomer = make_person("neo")
    assert ids(search(client_for(newcomer), q="datathon")) == set()
    with django_capture_on_commit_callbacks(execute=True):
        invite_and_accept(orga_api, "/api/v1/actors/cantine/members/", "neo", "member")
    assert ids(search(client_for(newcomer), q="datathon")) == {"hackathon-sante-connectee"}
    # A moderator hides the public conference: nobody finds it.
    moderator = make_person("modo")
    moderator.user.is_staff = True
    moderator.user.save()
    with django_capture_on_commit_callbacks(execute=True):
        hidden = client_for(moderator).post("/api/v1/moderation/events/conference-sante-a-quebec/hide/", {},
                                            format="json")
        assert hidden.status_code == 200, hidden.content
    for viewer in (api, orga_api, client_for(moderator)):
        assert "conference-sante-a-quebec" not in ids(search(viewer))
    # Its organizer suspended: none of its events is found, by anyone.
    with django_capture_on_commit_callbacks(execute=True):
        client_for(moderator).post("/api/v1/moderation/actors/cantine/suspend/", {}, format="json")
    assert search(orga_api, type="event")["count"] == 0
    # Deleted: its document goes.
    with django_capture_on_commit_callbacks(execute=True):
        client_for(moderator).post("/api/v1/moderation/actors/cantine/reinstate/", {}, format="json")
        assert orga_api.delete("/api/v1/events/atelier-sante-des-inscrits/").status_code == 204
    assert not SearchDocument.objects.filter(type="event", ident="atelier-sante-des-inscrits").exists()
    assert SearchDocument.objects.filter(type="event", ident="comite-sante-confidentiel").exists()


def test_the_stored_audience_and_the_elasticsearch_filter_agree_with_visible_events(world):
    """Elasticsearch cannot ask visible_events; what its documents carry must give the same answer."""
    Event.objects.filter(slug="conference-sante-a-quebec").update(hidden=True)
    dora = make_person("dora")  # admin of another organization: no circle of these events
    make_admin(dora, make_org("autre", None))
    viewers = [AnonymousUser(), world["orga"].user, world["mia"].user, world["bob"].user, dora.user]
    documents = [d for d in all_documents() if d.type == "event"]
    assert len(documents) == 4
    for viewer, document in itertools.product(viewers, documents):
        expected = document_type("event").visible(viewer).filter(pk=document.object_pk).exists()
        assert expected == visible_events(viewer).filter(slug=document.ident).exists()
        assert stored_audience_allows(document, viewer) == expected, (viewer, document.key)
        assert _filter_allows(visibility_filter(viewer).to_dict(), source(document)) == expected, (viewer, document.key)
    # The selectors did hide things: someone sees less than someone else.
    assert not visible_events(None).filter(slug="comite-sante-confidentiel").exists()
    assert visible_events(world["mia"].user).filter(slug="comite-sante-confidentiel").exists()


def test_elasticsearch_bodies_for_events(world):
    documents = {d.ident: d for d in all_documents() if d.type == "event"}
    private = documents["comite-sante-confidentiel"]
    action = next(iter(bulk_actions([private], "novosphere")))
    # Keyed by slug; the circle named by actor id; kind, city and tags as keywords.
    assert action["_id"] == "event:comite-sante-confidentiel"
    assert action["_source"]["type"] == "event" and action["_source"]["kind"] == "meetup"
    # Stored as the private audience (not the public one): only the listed circle finds it.
    assert action["_source"]["audience"] == private.audience != documents["hackathon-sante-connectee"].audience
    assert set(action["_source"]["member_ids"]) == {world["orga"].pk, world["mia"].pk}
    assert action["_source"]["places"] == ["rennes"] and action["_source"]["sectors"] == ["defense"]
    assert "prototyper" in documents["hackathon-sante-connectee"].body
    assert "**" not in documents["hackathon-sante-connectee"].body
    body = build_search("sante", filters={"type": "event", "kind": "hackathon"}, viewer=None, page=1,
                        index="novosphere").to_dict()
    assert {"term": {"type": "event"}} in body["query"]["bool"]["filter"]
    assert {"term": {"kind": "hackathon"}} in body["query"]["bool"]["filter"]


def test_the_schema_documents_event_search(api, db):
    schema = api.get("/api/schema/?format=json").json()
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/search/"]["get"]["parameters"]}
    assert "event" in parameters["type"]["schema"]["enum"]
    assert "event" in schema["paths"]["/api/v1/search/"]["get"]["summary"]
