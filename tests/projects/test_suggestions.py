import pytest

from feeds.services import follow
from profiles.services import tags_from_slugs
from tests.conftest import client_for, link_cities, make_city, make_org, make_person
from tests.projects.helpers import open_request, respond_to

pytestmark = pytest.mark.django_db


def tagged(actor, skills=(), sectors=()):
    actor.skills.set(tags_from_slugs(list(skills)))
    actor.sectors.set(tags_from_slugs(list(sectors)))
    return actor


@pytest.fixture
def graph(alice, rennes, quebec):
    """A small hand-made network around a request from Rennes to Québec and its peers."""
    paris, montreal, lyon = make_city("paris"), make_city("montreal", country="CA"), make_city("lyon")
    link_cities(quebec, montreal)
    link_cities(lyon, quebec, accepted=False)  # pending: Lyon is not linked yet
    tagged(alice, skills=["iot", "python"])
    tagged(quebec, skills=["iot", "python"])  # cities never come up
    tagged(make_org("org-quebec", quebec), skills=["iot", "python"])
    tagged(make_person("deux-skills", paris), skills=["iot", "python", "react"])
    tagged(make_person("skill-secteurs", paris), skills=["iot"], sectors=["sante", "energie"])
    tagged(make_person("skill-quebec", quebec), skills=["python"])
    tagged(make_person("skill-montreal", montreal), skills=["iot"])
    tagged(make_person("skill-lyon", lyon), skills=["iot"])
    follow(follower=alice, target=tagged(make_person("secteur-suivi", paris), sectors=["sante"]))
    tagged(make_person("secteur", paris), sectors=["energie"])
    follow(follower=alice, target=make_person("suivi", paris))
    make_person("sans-rien", quebec)
    tagged(make_person("suspendu", quebec, suspended=True), skills=["iot", "python"])
    responder = tagged(make_person("repondant", quebec), skills=["iot", "python"])
    request = open_request(
        client_for(alice), to_city="quebec", include_peer_cities=True,
        needs={"skills": ["iot", "python"], "sectors": ["sante", "energie"]},
    )
    respond_to(client_for(responder), request["id"])
    return request


def test_suggestions_rank_skills_then_sectors_then_place_then_follows(alice_api, graph):
    answer = alice_api.get(f"/api/v1/collaborations/{graph['id']}/suggestions/")
    assert answer.status_code == 200
    ranked = [(s["actor"]["handle"], s["score"]) for s in answer.json()["results"]]
    assert ranked == [
        ("org-quebec", 203),
        ("deux-skills", 200),
        ("skill-secteurs", 120),
        ("skill-quebec", 103),
        ("skill-montreal", 102),
        ("skill-lyon", 100),
        ("secteur-suivi", 11),
        ("secteur", 10),
        ("suivi", 1),
    ]


def test_suggestions_say_why(alice_api, graph):
    by_handle = {s["actor"]["handle"]: s for s in alice_api.get(f"/api/v1/collaborations/{graph['id']}/suggestions/").json()["results"]}

    def reasons(handle):
        return {(r["kind"], r["detail"]) for r in by_handle[handle]["reasons"]}

    assert reasons("org-quebec") == {("shared_skills", "iot, python"), ("same_city", "Québec")}
    assert reasons("skill-secteurs") == {("shared_skills", "iot"), ("shared_sectors", "energie, sante")}
    assert reasons("skill-montreal") == {("shared_skills", "iot"), ("linked_city", "Montreal")}
    assert reasons("secteur-suivi") == {("shared_sectors", "sante"), ("followed_by_author", "Alice")}
    assert by_handle["org-quebec"]["actor"] == {"handle": "org-quebec", "name": "Org-Quebec", "kind": "organization"}


def test_suggestions_exclude_author_responders_cities_suspended_and_strangers(alice_api, graph):
    handles = {s["actor"]["handle"] for s in alice_api.get(f"/api/v1/collaborations/{graph['id']}/suggestions/").json()["results"]}
    assert not handles & {"alice", "repondant", "quebec", "suspendu", "sans-rien"}


def test_suggestions_limit_and_visibility(api, alice_api, graph):
    top = alice_api.get(f"/api/v1/collaborations/{graph['id']}/suggestions/?limit=2").json()["results"]
    assert [s["actor"]["handle"] for s in top] == ["org-quebec", "deux-skills"]
    assert api.get(f"/api/v1/collaborations/{graph['id']}/suggestions/").status_code == 200
    assert api.get("/api/v1/collaborations/999999/suggestions/").status_code == 404


def test_without_needs_the_place_suggests(alice_api, quebec, rennes):
    make_person("voisin", quebec)
    make_person("loin", make_city("paris"))
    request = open_request(alice_api, to_city="quebec", needs={})
    handles = [s["actor"]["handle"] for s in alice_api.get(f"/api/v1/collaborations/{request['id']}/suggestions/").json()["results"]]
    assert handles == ["voisin"]


def test_every_top_k_is_a_prefix_of_the_full_ranking(alice_api, graph, quebec):
    # Small limits take the tier shortcut (everyone holding all needed tags, or all
    # needed skills); they must agree with the full aggregation.
    tagged(make_person("complet", quebec), skills=["iot", "python"], sectors=["sante", "energie"])
    url = f"/api/v1/collaborations/{graph['id']}/suggestions/"
    full = [(s["actor"]["handle"], s["score"]) for s in alice_api.get(url).json()["results"]]
    assert full[0] == ("complet", 223)
    for limit in range(1, len(full) + 1):
        top = [(s["actor"]["handle"], s["score"]) for s in alice_api.get(f"{url}?limit={limit}").json()["results"]]
        assert top == full[:limit], limit


def test_the_authors_own_organizations_and_project_team_are_never_suggested(alice, rennes, quebec):
    from profiles.models import Membership
    from projects.models import Project, ProjectMember

    own_org = tagged(make_org("mon-asso", rennes), skills=["iot", "python"])
    Membership.objects.create(person=alice, group=own_org, role=Membership.Role.MEMBER)
    teammate = tagged(make_person("coequipiere", quebec), skills=["iot", "python"])
    partner_org = tagged(make_org("asso-du-projet", quebec), skills=["iot", "python"])
    project = Project.objects.create(slug="capteurs", title="Capteurs", owner=alice, city=rennes)
    for member in (alice, teammate, partner_org):
        ProjectMember.objects.create(project=project, actor=member)
    stranger = tagged(make_person("inconnue", quebec), skills=["iot", "python"])
    request = open_request(client_for(alice), to_city="quebec", needs={"skills": ["iot", "python"]})
    suggested = [s["actor"]["handle"] for s in client_for(alice).get(
        f"/api/v1/collaborations/{request['id']}/suggestions/").json()["results"]]
    assert stranger.handle in suggested
    assert not {own_org.handle, teammate.handle, partner_org.handle, "alice"} & set(suggested)
