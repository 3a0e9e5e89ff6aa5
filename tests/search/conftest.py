"""A small territory to search: cities, people, organizations, projects of every visibility."""

import uuid
from dataclasses import dataclass
from datetime import UTC

import pytest

from profiles.models import Actor, Tag
from projects.models import Project, ProjectMember, Visibility
from tests.conftest import indexed, make_city, make_org, make_person


@pytest.fixture(autouse=True)
def own_elasticsearch_index(settings):
    """With ELASTICSEARCH_URL set, each test gets its own index, read-your-writes, deleted afterwards."""
    if settings.SEARCH_BACKEND != "elasticsearch":
        yield
        return
    settings.SEARCH_INDEX = f"test-{uuid.uuid4().hex}"
    settings.SEARCH_REFRESH = "wait_for"
    yield
    from search.backends import get_search_backend

    get_search_backend().client.indices.delete(index=f"{settings.SEARCH_INDEX}-*", ignore_unavailable=True)


def tags(*slugs: str) -> list[Tag]:
    return [Tag.objects.get_or_create(slug=slug)[0] for slug in slugs]


def make_project(slug: str, title: str, owner: Actor, *, visibility=Visibility.PUBLIC, city=None, sectors=(),
                 skills=(), members=(), **fields) -> Project:
    project = Project.objects.create(slug=slug, title=title, owner=owner, visibility=visibility, city=city, **fields)
    project.sectors.set(tags(*sectors))
    project.needed_skills.set(tags(*skills))
    ProjectMember.objects.create(project=project, actor=owner, role=ProjectMember.Role.OWNER)
    for member in members:
        ProjectMember.objects.create(project=project, actor=member, role=ProjectMember.Role.CONTRIBUTOR)
    return indexed(project)


def make_event(slug: str, title: str, organizers: list[Actor], *, visibility=Visibility.PUBLIC, projects=(),
               city=None, **fields):
    """An event written straight to its tables, indexed once its organizers are set, as the services do."""
    from datetime import datetime, timedelta

    from events.models import Event

    start = datetime(2027, 4, 10, 9, tzinfo=UTC)
    event = Event.objects.create(slug=slug, uid=f"{slug}@test", title=title, start=start,
                                 end=start + timedelta(hours=2), visibility=visibility, city=city, **fields)
    event.organizers.set(organizers)
    event.organizer_projects.set(projects)
    return indexed(event)


@dataclass
class Territory:
    quebec: Actor
    montreal: Actor
    rennes: Actor
    societe: Actor
    labs: Actor
    alice: Actor  # member of the private project
    bob: Actor  # signed in, member of nothing
    open_project: Project
    body_project: Project
    data_project: Project
    members_project: Project
    secret_project: Project


@pytest.fixture
def territory(db) -> Territory:
    quebec = make_city("quebec", "Québec", country="CA", region="Québec")
    montreal = make_city("montreal", "Montréal", country="CA")
    rennes = make_city("rennes", "Rennes", country="FR", region="Bretagne")
    societe = make_org("societe-innovation", quebec, bio="Accompagnement des jeunes pousses.")
    societe.name = "Société d'innovation sociale"
    societe.save()
    societe.sectors.set(tags("sante"))
    societe.skills.set(tags("python"))
    # A name one letter away from Montréal: a forgiven typo, ranked below exact words.
    labs = make_org("montrea-labs", rennes)
    labs.name = "Montrea Labs"
    labs.save()
    alice = make_person("alice", rennes, bio="J'aime l'entrepreneuriat et les réseaux.")
    alice.skills.set(tags("design"))
    bob = make_person("bob", rennes, headline="Développeur")
    open_project = make_project(
        "innovation-ouverte", "Innovation ouverte", societe, city=quebec, sectors=["energie"], skills=["python"],
        description="Un laboratoire partagé avec Montréal.",
    )
    body_project = make_project(
        "laboratoire-citoyen", "Laboratoire citoyen", labs, city=rennes,
        description="Un projet d'innovation pour la ville.",
    )
    data_project = make_project("data-lab", "Data lab", labs, city=rennes, description="Open data.")
    members_project = make_project(
        "reserve-aux-inscrits", "Cercle des membres", labs, visibility=Visibility.MEMBERS, city=rennes,
        description="Visible aux personnes inscrites.",
    )
    secret_project = make_project(
        "secret", "Innovation confidentielle", societe, visibility=Visibility.PRIVATE, city=quebec,
        sectors=["defense"], skills=["cryptographie"], members=[alice], description="Chiffrement et souveraineté.",
    )
    return Territory(quebec, montreal, rennes, societe, labs, alice, bob, open_project, body_project,
                     data_project, members_project, secret_project)
