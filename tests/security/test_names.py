"""Who may say what, by name: one handle per name whatever its case and accents, one city per
place name, and a new city unverified until a moderator verifies it.

The database holds the rules (a folded key column with a unique constraint), so they hold on
SQLite and PostgreSQL alike, whatever path writes: the API, the admin, a bulk import."""

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from federation.models import RemoteActor
from novosphere.models import AuditEntry
from profiles.models import Actor, User
from projects.models import Project
from tests.conftest import make_city, make_org, make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def moderator_api(db):
    user = User.objects.create_user(username="modo", password="correct horse battery staple", is_staff=True)
    _instance, token = AuthToken.objects.create(user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def new_group(client, **body):
    return client.post("/api/v1/actors/", {"kind": "organization", "name": "Spx", **body}, format="json")


# --- Handles ----------------------------------------------------------------------


@pytest.mark.parametrize("taken, wanted", [("spx-evilorg", "Spx-EvilOrg"), ("Spx-EvilOrg", "spx-evilorg"),
                                           ("elodie", "ELODIE")])
def test_a_handle_is_taken_whatever_its_case(alice_api, rennes, taken, wanted):
    make_org(taken, rennes)
    response = new_group(alice_api, handle=wanted)
    assert response.status_code == 400, response.content
    assert list(response.json()["fields"]) == ["handle"]
    assert Actor.objects.filter(handle=wanted).count() == (1 if taken == wanted else 0)


def test_the_database_refuses_handles_that_differ_by_case_or_accents_on_every_path(rennes):
    make_org("elodie", rennes)
    for handle in ("Elodie", "élodie", "ÉLODIE"):  # the ORM, as the admin or an import would write
        with pytest.raises(IntegrityError), transaction.atomic():
            Actor.objects.create(handle=handle, kind=Actor.Kind.ORGANIZATION, name="Élodie")
    with pytest.raises(IntegrityError), transaction.atomic():
        Actor.objects.bulk_create([Actor(handle="ÉloDie", kind=Actor.Kind.ORGANIZATION, name="x")])
    renamed = make_org("other", rennes)
    renamed.handle = "eLoDiE"
    with pytest.raises(IntegrityError), transaction.atomic():
        renamed.save(update_fields=["handle"])  # a partial save keeps its key too


def test_registration_takes_no_handle_of_another_case(api, rennes):
    make_org("Camille", rennes)
    response = api.post("/api/v1/auth/register/", {"username": "Camille", "password": "a long enough passphrase",
                                                    "email": "c@example.org", "name": "Camille"}, format="json")
    assert response.status_code == 400 and list(response.json()["fields"]) == ["username"]


def test_an_actor_is_found_whatever_the_case_of_its_handle(api, alice_api, bob, rennes):
    make_org("Spx-Lab", rennes)
    for path in ("/api/v1/actors/spx-lab/", "/api/v1/actors/SPX-LAB/", "/api/v1/actors/Spx-Lab/"):
        response = api.get(path)
        assert response.status_code == 200, (path, response.content)
        assert response.json()["handle"] == "Spx-Lab"  # answered under the handle it was given
    assert api.get("/api/v1/cities/RENNES/").json()["handle"] == "rennes"
    assert api.get("/api/v1/actors/BOB/followers/").status_code == 200
    # Handles written in bodies too.
    request = alice_api.post("/api/v1/collaborations/", {
        "title": "Cherche", "message": "m", "kind": "partnership", "to_actor": "BOB", "origin_city": "Rennes",
        "needs": {"skills": [], "sectors": []}, "deadline": "2030-01-01T00:00:00+00:00"}, format="json")
    assert request.status_code == 201, request.content
    assert request.json()["to_actor"] == "bob"


def test_a_remote_handle_lives_beside_the_local_one_and_is_found_in_any_case(api, rennes, settings):
    settings.FEDERATION_ACTOR_REFRESH_SECONDS = 3600  # the stored document is fresh: nothing is fetched
    make_person("bob", rennes)
    remote = Actor.objects.create(handle="bob@remote.example", kind=Actor.Kind.PERSON, name="Bob d'ailleurs")
    RemoteActor.objects.create(actor=remote, uri="https://remote.example/users/bob", domain="remote.example",
                               type="Person", inbox="https://remote.example/users/bob/inbox",
                               key_id="https://remote.example/users/bob#main-key", public_key_pem="-",
                               fetched=timezone.now())
    found = api.get("/api/v1/actors/BOB@Remote.Example/")
    assert found.status_code == 200, found.content
    assert found.json()["handle"] == "bob@remote.example" and found.json()["remote"] is True
    assert api.get("/api/v1/actors/Bob/").json()["handle"] == "bob"


def test_a_project_slug_is_taken_whatever_its_case(alice_api, bob_api):
    first = alice_api.post("/api/v1/projects/", {"title": "Labo", "slug": "open-lab", "visibility": "private"},
                           format="json").json()["slug"]
    second = bob_api.post("/api/v1/projects/", {"title": "Mon labo", "slug": "Open-Lab"}, format="json")
    assert second.status_code == 201 and second.json()["slug"].lower() != first
    assert alice_api.get("/api/v1/projects/OPEN-LAB/").json()["slug"] == "open-lab"
    assert bob_api.get("/api/v1/projects/OPEN-LAB/").status_code == 404  # hidden stays hidden in any case
    with pytest.raises(IntegrityError), transaction.atomic():
        Project.objects.create(slug="OPEN-lab", title="x", owner=Project.objects.get(slug="open-lab").owner)


def test_a_territory_handle_is_taken_whatever_its_case(alice, alice_api, rennes):
    from tests.conftest import make_admin

    make_admin(alice, rennes)
    body = {"handle": "bretagne", "name": "Bretagne", "cities": ["rennes"]}
    assert alice_api.post("/api/v1/territories/", body, format="json").status_code == 201
    again = alice_api.post("/api/v1/territories/", {**body, "handle": "Bretagne"}, format="json")
    assert again.status_code == 400 and list(again.json()["fields"]) == ["handle"]
    assert alice_api.get("/api/v1/territories/BRETAGNE/").json()["handle"] == "bretagne"


# --- Cities: one per name, unverified until a moderator verifies them -----------------------


def new_city(client, name, handle="new-city"):
    return client.post("/api/v1/actors/", {"kind": "city", "handle": handle, "name": name, "country": "FR"},
                       format="json")


@pytest.mark.parametrize("name", ["Rennes", "rennes", "RENNES ", "Rénnes", "Saint-Malo", "saint malo", "SaintMalo"])
def test_a_new_city_cannot_take_the_name_of_another(alice_api, rennes, name):
    make_city("saint-malo", "Saint-Malo")
    response = new_city(alice_api, name)
    assert response.status_code == 400, response.content
    assert response.json()["fields"] == {"name": ["Une ville porte déjà ce nom."]}  # French unless asked otherwise
    english = alice_api.post("/api/v1/actors/", {"kind": "city", "handle": "new-city", "name": name},
                             format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert english.json()["fields"] == {"name": ["A city by this name already exists."]}
    assert not Actor.objects.filter(handle="new-city").exists()


def test_a_city_cannot_be_renamed_to_the_name_of_another(alice, alice_api, rennes):
    created = new_city(alice_api, "Vitré", handle="vitre")
    assert created.status_code == 201, created.content
    response = alice_api.patch("/api/v1/actors/vitre/", {"name": "RENNES"}, format="json")
    assert response.status_code == 400 and list(response.json()["fields"]) == ["name"]
    assert Actor.objects.get(handle="vitre").name == "Vitré"
    # An organization may share a city's name; only cities speak for a place.
    assert new_group(alice_api, handle="rennes-asso", name="Rennes").status_code == 201


def test_the_database_refuses_two_cities_of_one_name_but_not_remote_ones(rennes):
    with pytest.raises(IntegrityError), transaction.atomic():
        Actor.objects.create(handle="rennes-bis", kind=Actor.Kind.CITY, name="RENNES")
    # Another instance's Rennes is named by that instance.
    Actor.objects.create(handle="rennes@other.example", kind=Actor.Kind.CITY, name="Rennes")


def test_a_new_city_is_unverified_until_a_moderator_verifies_it(alice_api, api, moderator_api, rennes):
    created = new_city(alice_api, "Vitré", handle="vitre")
    assert created.status_code == 201 and created.json()["verified"] is False
    assert api.get("/api/v1/cities/vitre/").json()["verified"] is False
    assert [c["handle"] for c in api.get("/api/v1/cities/?verified=false").json()["results"]] == ["rennes", "vitre"]
    # Its admin cannot verify it by writing the field.
    assert alice_api.patch("/api/v1/actors/vitre/", {"verified": True}, format="json").status_code == 200
    assert Actor.objects.get(handle="vitre").verified is False

    answer = moderator_api.post("/api/v1/moderation/actors/VITRE/verify/", {"reason": "mairie appelée"}, format="json")
    assert answer.status_code == 200, answer.content
    assert answer.json() == {"handle": "vitre", "verified": True, "changed": True}
    assert api.get("/api/v1/cities/vitre/").json()["verified"] is True
    assert api.get("/api/v1/actors/vitre/").json()["verified"] is True
    assert [c["handle"] for c in api.get("/api/v1/cities/?verified=true").json()["results"]] == ["vitre"]
    entry = AuditEntry.objects.get(action="city.verify")
    assert entry.subject == "city:vitre" and entry.data == {"reason": "mairie appelée"}
    again = moderator_api.post("/api/v1/moderation/actors/vitre/verify/", {}, format="json")
    assert again.json()["changed"] is False and AuditEntry.objects.filter(action="city.verify").count() == 1

    # A verified city renamed by its admin waits for a moderator again: they verified the old name.
    assert alice_api.patch("/api/v1/actors/vitre/", {"name": "Paris"}, format="json").json()["verified"] is False
    assert moderator_api.post("/api/v1/moderation/actors/vitre/verify/").json()["verified"] is True
    taken_back = moderator_api.post("/api/v1/moderation/actors/vitre/unverify/", {"reason": "doublon"}, format="json")
    assert taken_back.json() == {"handle": "vitre", "verified": False, "changed": True}


def test_people_and_organizations_are_neither_verified_nor_unverified(api, alice, moderator_api, rennes):
    make_org("cantine", rennes)
    assert api.get("/api/v1/actors/cantine/").json()["verified"] is None
    assert api.get("/api/v1/actors/alice/").json()["verified"] is None
    refused = moderator_api.post("/api/v1/moderation/actors/cantine/verify/")
    assert refused.status_code == 400 and list(refused.json()["fields"]) == ["actor"]


def test_only_moderators_verify(api, alice_api, alice, moderator_api, rennes):
    from tests.conftest import make_admin

    make_admin(alice, rennes)  # even the city's own admin
    assert api.post("/api/v1/moderation/actors/rennes/verify/").status_code == 401
    refused = alice_api.post("/api/v1/moderation/actors/rennes/verify/")
    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
    assert moderator_api.post("/api/v1/moderation/actors/nowhere/verify/").status_code == 404
    assert Actor.objects.get(handle="rennes").verified is False and not AuditEntry.objects.filter(
        action="city.verify").exists()


def test_moderators_verify_from_the_admin_and_see_it_there(rennes, db):
    from django.test import Client

    make_city("vitre", "Vitré")
    staff = User.objects.create_superuser(username="root", password="correct horse battery staple", email="r@x.org")
    browser = Client()
    browser.force_login(staff)
    page = browser.get("/admin/profiles/actor/?verified__exact=0")
    assert page.status_code == 200 and b"vitre" in page.content and b"column-verified" in page.content
    done = browser.post("/admin/profiles/actor/", {"action": "verify", "_selected_action": [rennes.pk]})
    assert done.status_code == 302
    assert Actor.objects.get(pk=rennes.pk).verified is True and not Actor.objects.get(handle="vitre").verified
    assert AuditEntry.objects.filter(action="city.verify", subject="city:rennes", user=staff).exists()


def test_the_demo_cities_come_verified(db):
    from profiles.demo import CITIES, seed_cities

    seed_cities()
    assert Actor.objects.filter(kind=Actor.Kind.CITY, verified=True).count() == len(CITIES)
