"""The role tables (novosphere/roles.py), tested whole through the API: every manager's
role against every member's role and every change, for projects and for groups.

The expectations are written here from the contract, independently of the table:
an owner does anything; a maintainer gives, changes and takes away only maintainer
and contributor; a contributor, a member or an outsider manages nothing; only an
admin manages an admin; anyone leaves; the last owner or admin stays (409)."""

import itertools

import pytest

from profiles.models import GroupInvitation, Membership
from projects.models import Project, ProjectInvitation, ProjectMember
from tests.conftest import client_for, make_org, make_person

pytestmark = pytest.mark.django_db

PROJECT_MANAGERS = ["owner", "maintainer", "contributor", "outsider"]
PROJECT_CURRENT = ["owner", "maintainer", "contributor", "invited"]
CHANGES = ["owner", "maintainer", "contributor", "remove"]


def project_allowed(by: str, current: str, change: str) -> bool:
    if by == "owner":
        return True
    if by == "maintainer":
        return current in ("maintainer", "contributor", "invited") and change in ("maintainer", "contributor", "remove")
    return False


@pytest.mark.parametrize(("by", "current", "change"), itertools.product(PROJECT_MANAGERS, PROJECT_CURRENT, CHANGES))
def test_project_role_table(rennes, by, current, change):
    boss, manager, tim = (make_person(name, rennes) for name in ("boss", "manager", "tim"))
    project = Project.objects.create(slug="atelier", title="Atelier", owner=boss, city=rennes)
    ProjectMember.objects.create(project=project, actor=boss, role="owner")  # tim is never the last owner
    if by != "outsider":
        ProjectMember.objects.create(project=project, actor=manager, role=by)
    if current == "invited":
        ProjectInvitation.objects.create(project=project, actor=tim, role="contributor", invited_by=boss)
    else:
        ProjectMember.objects.create(project=project, actor=tim, role=current)
    api = client_for(manager)
    if change == "remove":
        response = api.delete("/api/v1/projects/atelier/members/tim/")
    else:
        response = api.post("/api/v1/projects/atelier/members/", {"actor": "tim", "role": change}, format="json")
    member = ProjectMember.objects.filter(project=project, actor=tim).first()
    invitation = ProjectInvitation.objects.filter(project=project, actor=tim).first()
    if project_allowed(by, current, change):
        assert response.status_code == (204 if change == "remove" else 201), response.content
        if change == "remove":
            assert member is None and invitation is None
        else:
            assert (member or invitation).role == change
    else:
        assert response.status_code == 403, response.content
        if current == "invited":
            assert member is None and invitation.role == "contributor"
        else:
            assert member.role == current and invitation is None


GROUP_MANAGERS = ["admin", "member", "outsider"]
GROUP_CURRENT = ["admin", "member", "invited"]
GROUP_CHANGES = ["admin", "member", "remove"]


@pytest.mark.parametrize(("by", "current", "change"), itertools.product(GROUP_MANAGERS, GROUP_CURRENT, GROUP_CHANGES))
def test_group_role_table(rennes, by, current, change):
    boss, manager, tim = (make_person(name, rennes) for name in ("boss", "manager", "tim"))
    group = make_org("cantine", rennes)
    Membership.objects.create(group=group, person=boss, role="admin")  # tim is never the last admin
    if by != "outsider":
        Membership.objects.create(group=group, person=manager, role=by)
    if current == "invited":
        GroupInvitation.objects.create(group=group, person=tim, role="member", invited_by=boss)
    else:
        Membership.objects.create(group=group, person=tim, role=current)
    api = client_for(manager)
    if change == "remove":
        response = api.delete("/api/v1/actors/cantine/members/tim/")
    else:
        response = api.post("/api/v1/actors/cantine/members/", {"actor": "tim", "role": change}, format="json")
    member = Membership.objects.filter(group=group, person=tim).first()
    invitation = GroupInvitation.objects.filter(group=group, person=tim).first()
    if by == "admin":
        assert response.status_code == (204 if change == "remove" else 201), response.content
        assert (member or invitation) is None if change == "remove" else (member or invitation).role == change
    else:
        assert response.status_code == 403, response.content
        assert (member or invitation).role == ("member" if current == "invited" else current)


def test_a_maintainer_cannot_remove_an_owner_by_demoting_first(alice_api, alice, bob, rennes):
    """The finding: demote (201), then remove (204), and the owner was gone."""
    from tests.projects.helpers import add_member, create_project

    slug = create_project(alice_api)["slug"]
    add_member(alice_api, slug, "bob", "maintainer")
    make_person("carol", rennes)
    add_member(alice_api, slug, "carol", "owner")  # a second owner: the rule, not the last-owner one, refuses
    bob_api = client_for(bob)
    assert bob_api.post(f"/api/v1/projects/{slug}/members/", {"actor": "alice", "role": "contributor"},
                        format="json").status_code == 403
    assert bob_api.delete(f"/api/v1/projects/{slug}/members/alice/").status_code == 403
    assert ProjectMember.objects.get(project__slug=slug, actor=alice).role == "owner"


@pytest.mark.parametrize("role", ["owner", "maintainer", "contributor"])
def test_anyone_may_leave_a_project_but_the_last_owner(alice_api, alice, bob, rennes, role):
    from tests.projects.helpers import add_member, create_project

    slug = create_project(alice_api)["slug"]
    add_member(alice_api, slug, "bob", role)
    assert client_for(bob).delete(f"/api/v1/projects/{slug}/members/bob/").status_code == 204
    assert alice_api.delete(f"/api/v1/projects/{slug}/members/alice/").status_code == 409
    assert alice_api.post(f"/api/v1/projects/{slug}/members/", {"actor": "alice", "role": "maintainer"},
                          format="json").status_code == 409
