from html.parser import HTMLParser

import pytest

from feeds.models import Activity, Notification
from profiles.models import Actor
from projects.models import Project, ProjectMember, ProjectUpdate
from tests.conftest import client_for, fields_of, make_admin, make_org, make_person
from tests.projects.helpers import add_member, create_project

pytestmark = pytest.mark.django_db


# --- Create, read, edit, delete ----------------------------------------------


def test_create_project_makes_the_caller_owner_and_first_member(alice_api, alice):
    body = create_project(alice_api)
    assert body["slug"] == "capteurs-de-qualite-de-lair"
    assert body["owner"] == "alice"
    assert body["city"] == "rennes"
    assert body["needs"] == {"skills": ["iot", "python"], "partner_kinds": ["lab"], "text": "Un labo partenaire"}
    assert body["sectors"] == ["sante", "smart-city"]
    assert body["members_count"] == 1 and body["followers_count"] == 0 and body["is_following"] is False
    members = alice_api.get(f"/api/v1/projects/{body['slug']}/members/").json()["results"]
    assert [(m["actor"]["handle"], m["role"]) for m in members] == [("alice", "owner")]
    assert Activity.objects.filter(type="Create", object_type="project", object_id=body["slug"]).count() == 1


def test_same_title_gets_a_free_slug(alice_api):
    assert create_project(alice_api)["slug"] == "capteurs-de-qualite-de-lair"
    assert create_project(alice_api)["slug"] == "capteurs-de-qualite-de-lair-2"


def test_an_organization_admin_creates_a_project_owned_by_the_organization(alice_api, alice, rennes):
    org = make_org("labfab", rennes)
    make_admin(alice, org)
    body = create_project(alice_api, owner="labfab")
    assert body["owner"] == "labfab" and body["members_count"] == 2
    roles = {m.actor.handle: m.role for m in ProjectMember.objects.filter(project__slug=body["slug"])}
    assert roles == {"labfab": "owner", "alice": "maintainer"}


def test_writes_without_a_token_are_401(api, alice_api):
    slug = create_project(alice_api)["slug"]
    assert api.post("/api/v1/projects/", {"title": "x"}, format="json").status_code == 401
    assert api.patch(f"/api/v1/projects/{slug}/", {"title": "x"}, format="json").status_code == 401
    assert api.delete(f"/api/v1/projects/{slug}/").status_code == 401
    assert api.post(f"/api/v1/projects/{slug}/members/", {"actor": "bob"}, format="json").status_code == 401
    assert api.delete(f"/api/v1/projects/{slug}/members/alice/").status_code == 401
    assert api.post(f"/api/v1/projects/{slug}/updates/", {"body": "x"}, format="json").status_code == 401
    assert api.post(f"/api/v1/projects/{slug}/follow/").status_code == 401
    assert api.delete(f"/api/v1/projects/{slug}/follow/").status_code == 401
    assert Project.objects.get(slug=slug).title != "x"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "t" * 161}, "title"),
        ({"stage": "dreaming"}, "stage"),
        ({"visibility": "secret"}, "visibility"),
        ({"city": "atlantis"}, "city"),
        ({"sectors": "sante"}, "sectors"),
        ({"sectors": ["pas un slug"]}, "sectors"),
        ({"needs": {"skills": ["ok", "pas ok"]}}, "needs"),
        ({"needs": {"partner_kinds": ["wizard"]}}, "needs"),
        ({"owner": "nobody"}, "owner"),
        ({"owner": "bob"}, "owner"),
        ({"owner": "labfab"}, "owner"),
    ],
)
def test_bad_project_input_is_a_400_naming_the_field_and_writes_nothing(alice_api, bob, rennes, overrides, field):
    make_org("labfab", rennes)  # exists, but alice does not administer it
    Project.objects.create(slug="taken", title="Taken", owner=bob)
    before = (Project.objects.count(), Activity.objects.count(), ProjectMember.objects.count())
    body = {"title": "Un projet", **overrides}
    response = alice_api.post("/api/v1/projects/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in fields_of(response.json())
    assert (Project.objects.count(), Activity.objects.count(), ProjectMember.objects.count()) == before


def test_list_filters(alice_api, bob_api, quebec):
    create_project(alice_api, title="Air", stage="idea", sectors=["sante"], needs={"skills": ["iot"]})
    create_project(bob_api, title="Eau", stage="launched", sectors=["energie"], city="quebec",
                   needs={"skills": ["python"]})

    def titles(query):
        return sorted(p["title"] for p in alice_api.get(f"/api/v1/projects/?{query}").json()["results"])

    assert titles("") == ["Air", "Eau"]
    assert titles("city=quebec") == ["Eau"]
    assert titles("stage=idea") == ["Air"]
    assert titles("sector=energie") == ["Eau"]
    assert titles("skill_needed=iot") == ["Air"]
    assert titles("owner=bob") == ["Eau"]
    assert alice_api.get("/api/v1/projects/?stage=nope").status_code == 400


def test_owner_and_maintainers_edit_contributors_and_outsiders_do_not(alice_api, bob, rennes):
    slug = create_project(alice_api)["slug"]
    carol, dave = make_person("carol", rennes), make_person("dave", rennes)
    assert add_member(alice_api, slug, "bob", "maintainer").status_code == 201
    assert add_member(alice_api, slug, "carol", "contributor").status_code == 201
    edited = client_for(bob).patch(
        f"/api/v1/projects/{slug}/", {"title": "Nouveau titre", "needs": {"text": "Un designer"}, "sectors": ["energie"]},
        format="json",
    )
    assert edited.status_code == 200, edited.content
    assert edited.json()["title"] == "Nouveau titre"
    assert edited.json()["needs"]["text"] == "Un designer"
    assert edited.json()["needs"]["skills"] == ["iot", "python"]  # untouched
    assert edited.json()["sectors"] == ["energie"]
    assert Activity.objects.filter(type="Update", object_id=slug).count() == 1
    for outsider in (carol, dave):
        refused = client_for(outsider).patch(f"/api/v1/projects/{slug}/", {"title": "Pirate"}, format="json")
        assert refused.status_code == 403
    assert Project.objects.get(slug=slug).title == "Nouveau titre"


def test_only_owners_delete(alice_api, bob):
    slug = create_project(alice_api)["slug"]
    add_member(alice_api, slug, "bob", "maintainer")
    assert client_for(bob).delete(f"/api/v1/projects/{slug}/").status_code == 403
    assert alice_api.delete(f"/api/v1/projects/{slug}/").status_code == 204
    assert not Project.objects.filter(slug=slug).exists()
    assert alice_api.get(f"/api/v1/projects/{slug}/").status_code == 404


# --- Members -----------------------------------------------------------------


def test_adding_a_member_counts_and_notifies_them(alice_api, bob, bob_api):
    slug = create_project(alice_api)["slug"]
    added = add_member(alice_api, slug, "bob", "contributor")
    assert added.status_code == 201
    assert added.json() == {"actor": {"handle": "bob", "name": "Bob", "kind": "person"}, "role": "contributor",
                            "status": "invited", "created": added.json()["created"]}
    assert alice_api.get(f"/api/v1/projects/{slug}/").json()["members_count"] == 2  # bob accepted
    notification = Notification.objects.get(recipient=bob)
    assert notification.reason == Notification.Reason.INVITED
    assert notification.activity.type == "Invite" and notification.activity.target_id == slug
    # Changing a role neither adds a row nor notifies again.
    assert add_member(alice_api, slug, "bob", "maintainer").status_code == 201
    assert Project.objects.get(slug=slug).members_count == 2
    assert Notification.objects.filter(recipient=bob).count() == 1


def test_member_rules(alice_api, alice, bob, rennes):
    slug = create_project(alice_api)["slug"]
    carol = make_person("carol", rennes)
    add_member(alice_api, slug, "bob", "maintainer")
    add_member(alice_api, slug, "carol", "contributor")
    bob_api, carol_api = client_for(bob), client_for(carol)
    # A contributor cannot add; a maintainer cannot make owners nor remove one.
    assert add_member(carol_api, slug, "dave").status_code in (400, 403)
    assert add_member(bob_api, slug, "carol", "owner").status_code == 403
    assert bob_api.delete(f"/api/v1/projects/{slug}/members/alice/").status_code == 403
    # The last owner can neither leave, be demoted, nor be removed.
    assert alice_api.delete(f"/api/v1/projects/{slug}/members/alice/").status_code == 409
    assert add_member(alice_api, slug, "alice", "maintainer").status_code == 409
    assert ProjectMember.objects.get(project__slug=slug, actor=alice).role == "owner"
    # A contributor leaves by themself; a maintainer removes a contributor.
    assert carol_api.delete(f"/api/v1/projects/{slug}/members/carol/").status_code == 204
    add_member(alice_api, slug, "carol")
    assert bob_api.delete(f"/api/v1/projects/{slug}/members/carol/").status_code == 204
    assert Project.objects.get(slug=slug).members_count == 2
    # With a second owner, the first may leave and `owner` moves on.
    assert add_member(alice_api, slug, "bob", "owner").status_code == 201
    assert alice_api.delete(f"/api/v1/projects/{slug}/members/alice/").status_code == 204
    project = Project.objects.get(slug=slug)
    assert project.owner == bob and project.members_count == 1
    assert bob_api.delete(f"/api/v1/projects/{slug}/members/bob/").status_code == 409


def test_removing_a_non_member_or_unknown_is_refused(alice_api):
    slug = create_project(alice_api)["slug"]
    make_person("zoe")
    response = alice_api.delete(f"/api/v1/projects/{slug}/members/zoe/")
    assert response.status_code == 400 and "actor" in fields_of(response.json())
    assert alice_api.delete(f"/api/v1/projects/{slug}/members/ghost/").status_code == 404


@pytest.mark.parametrize(("body", "field"), [({"actor": "ghost"}, "actor"), ({"actor": "bob", "role": "king"}, "role"),
                                             ({}, "actor"), ({"actor": "rennes"}, "actor")])
def test_bad_member_input_is_a_400(alice_api, bob, body, field):
    slug = create_project(alice_api)["slug"]
    response = alice_api.post(f"/api/v1/projects/{slug}/members/", body, format="json")
    assert response.status_code == 400 and field in fields_of(response.json())
    assert ProjectMember.objects.count() == 1


# --- Updates and sanitizing --------------------------------------------------


class _Tags(HTMLParser):
    """Every tag and attribute of an HTML fragment, as a browser would parse them."""

    def __init__(self, html):
        super().__init__()
        self.tags, self.attrs = [], []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend((tag, name, value or "") for name, value in attrs)


XSS_CORPUS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    '<svg onload="alert(1)">',
    "<iframe src=javascript:alert(1)></iframe>",
    '<a href="javascript:alert(1)">clic</a>',
    "[clic](javascript:alert(1))",
    "[clic](JaVaScRiPt:alert(1))",
    "[clic](  javascript:alert(1))",
    "[clic](java&#09;script:alert(1))",
    "[clic](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![img](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "![img](javascript:alert(1))",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<object data=evil.swf></object>",
    "<form action=javascript:alert(1)><button>x</button></form>",
    '"><img src=x onerror=alert(1)>',
    "<a href='vbscript:msgbox(1)'>x</a>",
    "[x](vbscript:msgbox(1))",
]


@pytest.mark.parametrize("payload", XSS_CORPUS)
def test_updates_never_return_anything_executable(alice_api, payload):
    slug = create_project(alice_api)["slug"]
    response = alice_api.post(f"/api/v1/projects/{slug}/updates/", {"body": f"Avant {payload} après"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["body"] == f"Avant {payload} après"  # kept as written
    parsed = _Tags(body["html"])
    assert not {"script", "iframe", "object", "svg", "form", "style"} & set(parsed.tags)
    for _tag, name, value in parsed.attrs:
        assert not name.startswith("on")
        assert name != "style"
        if name in ("href", "src", "action"):
            assert not value.strip().lower().startswith(("javascript:", "data:", "vbscript:"))


def test_update_markdown_renders_with_safe_links(alice_api):
    slug = create_project(alice_api)["slug"]
    body = "# Bonne nouvelle\n\nNous avons **un prototype** : [la démo](https://demo.example.org)."
    created = alice_api.post(f"/api/v1/projects/{slug}/updates/", {"body": body}, format="json").json()
    assert "<h1>Bonne nouvelle</h1>" in created["html"]
    assert "<strong>un prototype</strong>" in created["html"]
    assert '<a href="https://demo.example.org" rel="noopener noreferrer">la démo</a>' in created["html"]
    assert created["author"]["handle"] == "alice"
    listed = alice_api.get(f"/api/v1/projects/{slug}/updates/").json()["results"]
    assert [u["id"] for u in listed] == [created["id"]]
    activity = Activity.objects.get(object_type="update")
    assert activity.type == "Create" and activity.target_id == slug
    assert (activity.subject_kind, activity.subject_id) == ("update", str(created["id"]))


def test_only_editors_post_updates_and_body_is_required(alice_api, bob, rennes):
    slug = create_project(alice_api)["slug"]
    add_member(alice_api, slug, "bob", "contributor")
    assert client_for(bob).post(f"/api/v1/projects/{slug}/updates/", {"body": "x"}, format="json").status_code == 403
    for bad in ({}, {"body": ""}, {"body": "   "}, {"body": "x" * 20001}):
        response = alice_api.post(f"/api/v1/projects/{slug}/updates/", bad, format="json")
        assert response.status_code == 400 and "body" in fields_of(response.json())
    assert not ProjectUpdate.objects.exists()


# --- Follows -----------------------------------------------------------------


def test_follow_and_unfollow_a_project(alice_api, bob_api):
    slug = create_project(alice_api)["slug"]
    followed = bob_api.post(f"/api/v1/projects/{slug}/follow/")
    assert followed.status_code == 200 and followed.json() == {"is_following": True, "followers_count": 1}
    assert bob_api.post(f"/api/v1/projects/{slug}/follow/").json()["followers_count"] == 1
    page = bob_api.get(f"/api/v1/projects/{slug}/").json()
    assert page["is_following"] is True and page["followers_count"] == 1
    assert alice_api.get(f"/api/v1/projects/{slug}/").json()["is_following"] is False
    unfollowed = bob_api.delete(f"/api/v1/projects/{slug}/follow/")
    assert unfollowed.json() == {"is_following": False, "followers_count": 0}


# --- Visibility on every path ------------------------------------------------


@pytest.fixture
def private_project(alice_api, bob):
    slug = create_project(alice_api, title="Projet secret", visibility="private")["slug"]
    add_member(alice_api, slug, "bob", "contributor")
    alice_api.post(f"/api/v1/projects/{slug}/updates/", {"body": "Secret"}, format="json")
    return slug


def test_a_private_project_is_a_404_on_every_path_for_outsiders(api, private_project, rennes):
    slug = private_project
    outsider = client_for(make_person("eve", rennes))
    for client in (api, outsider):
        assert slug not in [p["slug"] for p in client.get("/api/v1/projects/").json()["results"]]
        unknown = client.get("/api/v1/projects/nope/")
        for path in ("", "members/", "updates/"):
            hidden = client.get(f"/api/v1/projects/{slug}/{path}")
            assert hidden.status_code == 404 and hidden.json() == unknown.json()
    assert outsider.post(f"/api/v1/projects/{slug}/follow/").status_code == 404
    assert outsider.delete(f"/api/v1/projects/{slug}/follow/").status_code == 404
    assert outsider.patch(f"/api/v1/projects/{slug}/", {"title": "x"}, format="json").status_code == 404
    assert outsider.delete(f"/api/v1/projects/{slug}/").status_code == 404
    assert outsider.post(f"/api/v1/projects/{slug}/updates/", {"body": "x"}, format="json").status_code == 404
    assert add_member(outsider, slug, "eve").status_code == 404
    assert outsider.delete(f"/api/v1/projects/{slug}/members/bob/").status_code == 404
    assert outsider.get("/api/v1/cities/rennes/").json()["projects_count"] == 0


def test_a_private_project_is_seen_by_its_members(private_project, bob_api):
    slug = private_project
    assert slug in [p["slug"] for p in bob_api.get("/api/v1/projects/").json()["results"]]
    assert bob_api.get(f"/api/v1/projects/{slug}/").status_code == 200
    assert len(bob_api.get(f"/api/v1/projects/{slug}/members/").json()["results"]) == 2
    assert len(bob_api.get(f"/api/v1/projects/{slug}/updates/").json()["results"]) == 1
    assert bob_api.post(f"/api/v1/projects/{slug}/follow/").status_code == 200


def test_a_members_only_project_needs_a_signed_in_caller(api, alice_api, rennes):
    slug = create_project(alice_api, visibility="members")["slug"]
    assert api.get(f"/api/v1/projects/{slug}/").status_code == 404
    assert slug not in [p["slug"] for p in api.get("/api/v1/projects/").json()["results"]]
    stranger = client_for(make_person("eve", rennes))
    assert stranger.get(f"/api/v1/projects/{slug}/").status_code == 200
    assert stranger.get(f"/api/v1/projects/{slug}/updates/").status_code == 200


def test_projects_of_a_suspended_owner_disappear(api, alice_api, alice):
    slug = create_project(alice_api)["slug"]
    Actor.objects.filter(pk=alice.pk).update(suspended=True)
    assert api.get(f"/api/v1/projects/{slug}/").status_code == 404
    assert api.get("/api/v1/projects/").json()["count"] == 0


