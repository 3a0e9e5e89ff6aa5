"""`GET /api/v1/projects/{slug}/updates/{id}/`: one news post, visible exactly as its project and its own state allow."""

from projects.models import Project, ProjectMember, ProjectUpdate
from tests.conftest import client_for, make_person
from tests.projects.helpers import create_project


def post(client, slug: str, body: str) -> dict:
    answer = client.post(f"/api/v1/projects/{slug}/updates/", {"body": body}, format="json")
    assert answer.status_code == 201, answer.content
    return answer.json()


def test_one_update_reads_as_in_the_list(api, alice_api):
    slug = create_project(alice_api, title="Capteurs de qualité de l'eau")["slug"]
    first = post(alice_api, slug, "Premiers **capteurs** posés sur la Vilaine.")
    post(alice_api, slug, "Deuxième campagne de mesures.")
    answer = api.get(f"/api/v1/projects/{slug}/updates/{first['id']}/")
    assert answer.status_code == 200
    assert answer.json() == first
    assert answer.json()["body"] == "Premiers **capteurs** posés sur la Vilaine."
    assert "<strong>capteurs</strong>" in answer.json()["html"]


def test_unknown_other_projects_and_hidden_updates_are_404(api, alice_api, rennes):
    slug = create_project(alice_api, title="Capteurs")["slug"]
    other = create_project(alice_api, title="Jardins partagés")["slug"]
    update = post(alice_api, slug, "Nouvelles du projet")
    assert api.get(f"/api/v1/projects/{other}/updates/{update['id']}/").status_code == 404
    assert api.get(f"/api/v1/projects/{slug}/updates/{update['id'] + 1000}/").status_code == 404
    assert api.get(f"/api/v1/projects/inconnu/updates/{update['id']}/").status_code == 404
    assert api.get(f"/api/v1/projects/{slug}/updates/12345678901234567890123/").status_code == 404
    ProjectUpdate.objects.filter(pk=update["id"]).update(hidden=True)
    assert alice_api.get(f"/api/v1/projects/{slug}/updates/{update['id']}/").status_code == 404


def test_a_private_projects_update_is_read_by_its_members_only(api, alice_api, bob, bob_api, rennes):
    slug = create_project(alice_api, title="Projet discret", visibility="private")["slug"]
    update = post(alice_api, slug, "Réservé à l'équipe")
    path = f"/api/v1/projects/{slug}/updates/{update['id']}/"
    assert api.get(path).status_code == 404
    assert bob_api.get(path).status_code == 404
    ProjectMember.objects.create(project=Project.objects.get(slug=slug), actor=bob, role="contributor")
    assert bob_api.get(path).status_code == 200
    assert bob_api.get(path).json()["body"] == "Réservé à l'équipe"
    outsider = make_person("mael", rennes)
    assert client_for(outsider).get(path).status_code == 404


def test_a_suspended_authors_update_is_404(api, alice, alice_api):
    slug = create_project(alice_api, title="Capteurs")["slug"]
    update = post(alice_api, slug, "Nouvelles")
    alice.suspended = True
    alice.save(update_fields=["suspended"])
    assert api.get(f"/api/v1/projects/{slug}/updates/{update['id']}/").status_code == 404
