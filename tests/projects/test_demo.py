import pytest
from django.core.management import call_command

from profiles.models import Actor
from projects.models import CollaborationRequest, CollaborationResponse, Project, ProjectUpdate
from tests.conftest import client_for

pytestmark = pytest.mark.django_db(transaction=True)


def counts():
    return (Project.objects.count(), ProjectUpdate.objects.count(), CollaborationRequest.objects.count(),
            CollaborationResponse.objects.count())


def test_seed_demo_adds_projects_and_requests_once(api):
    call_command("seed_demo", verbosity=0)
    first = counts()
    assert first[0] == 50 and first[2] == 12 and first[3] > 12
    assert Project.objects.filter(visibility="private").exists()
    call_command("seed_demo", verbosity=0)
    assert counts() == first
    # The demo login sees requests addressed to its city, Rennes.
    camille = client_for(Actor.objects.get(handle="camille"))
    assert camille.get("/api/v1/collaborations/?incoming=1").json()["count"] >= 1
    assert api.get("/api/v1/projects/").json()["count"] < 50  # private and members-only ones are hidden
    statuses = set(CollaborationRequest.objects.values_list("status", flat=True))
    assert {"open", "accepted", "declined"} <= statuses
