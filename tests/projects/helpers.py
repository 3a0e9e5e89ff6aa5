"""Small builders shared by the project tests; every write goes through the HTTP API."""

from datetime import timedelta

from django.utils import timezone


def create_project(client, **overrides) -> dict:
    body = {
        "title": "Capteurs de qualité de l'air",
        "summary": "Des capteurs citoyens",
        "stage": "prototype",
        "sectors": ["sante", "smart-city"],
        "needs": {"skills": ["iot", "python"], "partner_kinds": ["lab"], "text": "Un labo partenaire"},
    }
    body.update(overrides)
    response = client.post("/api/v1/projects/", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def add_member(client, slug: str, handle: str, role: str = "contributor"):
    """Invite `handle`, who accepts at once (memberships are invitations)."""
    from tests.conftest import invite_and_accept

    return invite_and_accept(client, f"/api/v1/projects/{slug}/members/", handle, role)


def in_days(days: int) -> str:
    return (timezone.now() + timedelta(days=days)).isoformat()


def open_request(client, **overrides) -> dict:
    body = {
        "title": "Cherche partenaire IoT",
        "message": "Nous cherchons un laboratoire pour tester nos capteurs.",
        "kind": "partnership",
        "needs": {"skills": ["iot"], "sectors": ["sante"]},
        "deadline": in_days(30),
    }
    body.update(overrides)
    response = client.post("/api/v1/collaborations/", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def respond_to(client, request_id: int, **body) -> dict:
    body.setdefault("message", "Nous pouvons aider !")
    response = client.post(f"/api/v1/collaborations/{request_id}/responses/", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()
