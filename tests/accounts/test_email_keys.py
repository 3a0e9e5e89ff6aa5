"""Password reset and e-mail verification, through a real SMTP server."""

from datetime import datetime, timedelta

import pytest
from django.db import IntegrityError, transaction
from knox.models import AuthToken

from accounts.keys import email_verification_keys, password_reset_keys
from profiles.models import User
from tests.accounts.conftest import html_of, key_in, text_of
from tests.conftest import client_for, fields_of, make_person

pytestmark = pytest.mark.django_db

OLD_PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "une-autre-phrase-solide"


@pytest.fixture
def alice_mail(alice):
    User.objects.filter(pk=alice.user_id).update(email="alice@example.org")
    alice.user.refresh_from_db()
    return alice


def post(api, path, body, captured):
    with captured(execute=True):
        return api.post(path, body, format="json")


def register(api, captured, **headers):
    body = {"username": "lea", "password": OLD_PASSWORD, "email": "Lea@Example.org", "name": "Léa Martin"}
    with captured(execute=True):
        return api.post("/api/v1/auth/register/", body, format="json", **headers)


def test_registration_mails_a_key_in_the_registrants_language_that_verifies_the_address(
    api, smtp, django_capture_on_commit_callbacks
):
    response = register(api, django_capture_on_commit_callbacks, HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.8")
    assert response.status_code == 201, response.content
    [message] = smtp.wait_for(1)
    assert message["To"] == "Lea@Example.org"
    assert "noreply@novosphere.test" in message["From"]
    assert message["Subject"] == "Confirm your e-mail address on Novosphère"
    assert "Hello Léa Martin," in text_of(message)
    key = key_in(message)
    assert len(key) >= 20 and key in html_of(message)

    api.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    me = api.get("/api/v1/me/").json()
    assert (me["email"], me["email_verified"], me["language"]) == ("Lea@Example.org", False, "en")

    verified = api.post("/api/v1/auth/email/verify/", {"key": key}, format="json")
    assert verified.status_code == 200, verified.content
    assert api.get("/api/v1/me/").json()["email_verified"] is True

    again = api.post("/api/v1/auth/email/verify/", {"key": key}, format="json")
    assert again.status_code == 400 and "key" in fields_of(again.json())


def test_french_is_the_default_language_of_the_e_mails(api, smtp, django_capture_on_commit_callbacks):
    assert register(api, django_capture_on_commit_callbacks).status_code == 201
    [message] = smtp.wait_for(1)
    assert message["Subject"] == "Confirmez votre adresse e-mail sur Novosphère"
    assert "Bonjour Léa Martin," in text_of(message)
    assert User.objects.get(username="lea").language == "fr"


def test_password_reset_by_e_mail_sets_the_password_and_ends_every_other_token(
    api, smtp, alice_mail, django_capture_on_commit_callbacks
):
    old_client = client_for(alice_mail)
    asked = post(api, "/api/v1/auth/password/reset/", {"email": "ALICE@example.org"}, django_capture_on_commit_callbacks)
    assert asked.status_code == 202
    [message] = smtp.wait_for(1)
    assert message["To"] == "alice@example.org"
    assert message["Subject"] == "Réinitialisez votre mot de passe Novosphère"
    key = key_in(message)

    confirmed = api.post("/api/v1/auth/password/reset/confirm/", {"key": key, "password": NEW_PASSWORD}, format="json")
    assert confirmed.status_code == 200, confirmed.content
    assert old_client.get("/api/v1/me/").status_code == 401
    api.credentials(HTTP_AUTHORIZATION=f"Token {confirmed.json()['token']}")
    assert api.get("/api/v1/me/").json()["email_verified"] is True  # the key came to that address
    login = api.post("/api/v1/auth/token/", {"username": "alice", "password": NEW_PASSWORD}, format="json")
    assert login.status_code == 200

    reused = api.post("/api/v1/auth/password/reset/confirm/", {"key": key, "password": "yet-another-good-one"}, format="json")
    assert reused.status_code == 400 and "key" in fields_of(reused.json())
    assert User.objects.get(pk=alice_mail.user_id).check_password(NEW_PASSWORD)


def test_an_unknown_address_gets_the_same_answer_and_no_e_mail(
    api, smtp, alice_mail, django_capture_on_commit_callbacks
):
    known = post(api, "/api/v1/auth/password/reset/", {"email": "alice@example.org"}, django_capture_on_commit_callbacks)
    unknown = post(api, "/api/v1/auth/password/reset/", {"email": "nobody@example.org"}, django_capture_on_commit_callbacks)
    assert (known.status_code, known.json()) == (unknown.status_code, unknown.json())
    assert unknown.status_code == 202
    smtp.wait_for(2, timeout=1)
    assert [m["To"] for m in smtp.messages] == ["alice@example.org"]


@pytest.mark.parametrize("key", ["", "short", "zz-zz-zz", "1-" + "a" * 40, "x" * 300, None, 12])
def test_a_malformed_key_is_a_400_and_changes_nothing(api, alice_mail, key):
    response = api.post("/api/v1/auth/password/reset/confirm/", {"key": key, "password": NEW_PASSWORD}, format="json")
    assert response.status_code == 400
    assert User.objects.get(pk=alice_mail.user_id).check_password(OLD_PASSWORD)
    verify = api.post("/api/v1/auth/email/verify/", {"key": key}, format="json")
    assert verify.status_code == 400


def issued_hours_ago(generator, user, hours: float) -> str:
    """A key as the service issued it `hours` ago (Django's signing, an older timestamp)."""
    from django.utils.http import int_to_base36

    timestamp = generator._num_seconds(datetime.now() - timedelta(hours=hours))
    return f"{int_to_base36(user.pk)}-{generator._make_token_with_timestamp(user, timestamp, generator.secret)}"


def test_an_expired_reset_key_is_a_400_and_a_fresh_one_works(api, alice_mail):
    user = alice_mail.user
    expired = issued_hours_ago(password_reset_keys, user, 2)  # PASSWORD_RESET_TIMEOUT is an hour
    response = api.post("/api/v1/auth/password/reset/confirm/", {"key": expired, "password": NEW_PASSWORD}, format="json")
    assert response.status_code == 400 and "key" in fields_of(response.json())
    assert User.objects.get(pk=user.pk).check_password(OLD_PASSWORD)
    fresh = issued_hours_ago(password_reset_keys, user, 0.5)
    response = api.post("/api/v1/auth/password/reset/confirm/", {"key": fresh, "password": NEW_PASSWORD}, format="json")
    assert response.status_code == 200


def test_an_expired_verification_key_is_a_400(api, alice_mail):
    expired = issued_hours_ago(email_verification_keys, alice_mail.user, 24 * 3 + 1)
    response = api.post("/api/v1/auth/email/verify/", {"key": expired}, format="json")
    assert response.status_code == 400
    assert not User.objects.get(pk=alice_mail.user_id).email_verified
    fresh = issued_hours_ago(email_verification_keys, alice_mail.user, 24 * 3 - 1)
    assert api.post("/api/v1/auth/email/verify/", {"key": fresh}, format="json").status_code == 200


def test_a_weak_new_password_is_a_400_and_the_key_still_works_after(
    api, smtp, alice_mail, django_capture_on_commit_callbacks
):
    post(api, "/api/v1/auth/password/reset/", {"email": "alice@example.org"}, django_capture_on_commit_callbacks)
    key = key_in(smtp.wait_for(1)[0])
    weak = api.post("/api/v1/auth/password/reset/confirm/", {"key": key, "password": "123"}, format="json")
    assert weak.status_code == 400 and "password" in fields_of(weak.json())
    assert User.objects.get(pk=alice_mail.user_id).check_password(OLD_PASSWORD)
    assert AuthToken.objects.filter(user_id=alice_mail.user_id).count() == 0  # none made for the refusal
    strong = api.post("/api/v1/auth/password/reset/confirm/", {"key": key, "password": NEW_PASSWORD}, format="json")
    assert strong.status_code == 200


def test_changing_the_address_keeps_the_old_one_until_the_new_one_is_verified(
    smtp, alice_mail, django_capture_on_commit_callbacks
):
    me = client_for(alice_mail)
    with django_capture_on_commit_callbacks(execute=True):
        changed = me.patch("/api/v1/me/", {"email": "alice@new.example", "language": "en"}, format="json")
    assert changed.status_code == 200, changed.content
    body = changed.json()
    assert (body["email"], body["pending_email"], body["language"]) == ("alice@example.org", "alice@new.example", "en")
    smtp.wait_for(2)
    warning = smtp.last_to("alice@example.org")  # the current address hears of it
    assert warning["Subject"] == "Your Novosphère address is changing"
    assert "alice@new.example" in text_of(warning) and "/api/v1/auth/password/reset/" in text_of(warning)
    message = smtp.last_to("alice@new.example")
    assert message["Subject"] == "Confirm your e-mail address on Novosphère"
    assert "alice@new.example" in text_of(message)
    # Until then, resets still go to the old address.
    assert User.objects.get(email__iexact="alice@example.org").pk == alice_mail.user_id

    verified = me.post("/api/v1/auth/email/verify/", {"key": key_in(message)}, format="json")
    assert verified.status_code == 200
    after = me.get("/api/v1/me/").json()
    assert (after["email"], after["pending_email"], after["email_verified"]) == ("alice@new.example", None, True)


def test_an_address_taken_by_another_account_is_refused_everywhere(api, smtp, alice_mail, bob, django_capture_on_commit_callbacks):
    body = {"username": "lea", "password": OLD_PASSWORD, "email": "ALICE@EXAMPLE.ORG", "name": "Léa"}
    refused = api.post("/api/v1/auth/register/", body, format="json")
    assert refused.status_code == 400 and "email" in fields_of(refused.json())
    assert not User.objects.filter(username="lea").exists()

    bob_api = client_for(bob)
    with django_capture_on_commit_callbacks(execute=True):
        taken = bob_api.patch("/api/v1/me/", {"email": "Alice@Example.org", "name": "Robert"}, format="json")
    assert taken.status_code == 400 and "email" in fields_of(taken.json())
    bob.refresh_from_db()
    assert bob.name == "Bob" and User.objects.get(pk=bob.user_id).pending_email == ""
    assert smtp.wait_for(1, timeout=0.5) == []


def test_verification_of_an_address_taken_meanwhile_is_a_400_and_changes_nothing(
    smtp, alice_mail, bob, django_capture_on_commit_callbacks
):
    bob_api = client_for(bob)
    with django_capture_on_commit_callbacks(execute=True):
        bob_api.patch("/api/v1/me/", {"email": "shared@example.org"}, format="json")
    key = key_in(smtp.wait_for(1)[0])
    User.objects.filter(pk=alice_mail.user_id).update(email="SHARED@example.org")
    response = bob_api.post("/api/v1/auth/email/verify/", {"key": key}, format="json")
    assert response.status_code == 400 and "email" in fields_of(response.json())
    assert User.objects.get(pk=bob.user_id).email == ""


def test_the_database_refuses_two_accounts_with_one_address_whatever_the_case(alice_mail):
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(username="other", email="Alice@Example.ORG", password="x")
    User.objects.create_user(username="noaddress1")
    User.objects.create_user(username="noaddress2")  # accounts without an address do not collide


def test_reset_requests_are_limited_per_address_known_or_not(api, settings, alice_mail):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "password_reset": "2/hour"}
    for address in ("alice@example.org", "nobody@example.org"):
        for _ in range(2):
            assert api.post("/api/v1/auth/password/reset/", {"email": address}, format="json").status_code == 202
        limited = api.post("/api/v1/auth/password/reset/", {"email": address.upper()}, format="json")
        assert limited.status_code == 429 and "Retry-After" in limited
    assert api.post("/api/v1/auth/password/reset/", {"email": "other@example.org"}, format="json").status_code == 202


def test_e_mails_to_one_account_are_limited_and_the_answer_does_not_change(
    api, settings, smtp, alice_mail, django_capture_on_commit_callbacks
):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "account_email": "2/hour"}
    for _ in range(3):
        response = post(api, "/api/v1/auth/password/reset/", {"email": "alice@example.org"}, django_capture_on_commit_callbacks)
        assert response.status_code == 202
    assert len(smtp.wait_for(3, timeout=1)) == 2
    me = client_for(alice_mail)
    limited = me.patch("/api/v1/me/", {"email": "alice@new.example"}, format="json")
    assert limited.status_code == 429
    assert User.objects.get(pk=alice_mail.user_id).pending_email == ""


def test_a_mail_server_that_does_not_answer_fails_no_request_and_the_e_mail_leaves_later(
    api, settings, alice_mail, django_capture_on_commit_callbacks
):
    """Sent through the outbox: the row stays while the server is down, the sweep sends it once it is up."""
    import environ
    from aiosmtpd.controller import Controller

    from novosphere import publisher
    from novosphere.models import OutboxItem
    from tests.accounts.conftest import Inbox, free_port

    port = free_port()  # nothing listens there yet
    for name, value in environ.Env.email_url_config(f"smtp://127.0.0.1:{port}").items():
        if value not in (None, ""):
            setattr(settings, name, value)
    settings.OUTBOX_RETRY_SECONDS = 0
    response = post(api, "/api/v1/auth/password/reset/", {"email": "alice@example.org"}, django_capture_on_commit_callbacks)
    assert response.status_code == 202
    [row] = OutboxItem.objects.filter(kind="accounts.email")
    assert row.attempts == 1 and "Connection" in row.last_error

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        assert publisher.sweep(older_than_seconds=0, kinds=["accounts.email"]) == 1
        [message] = inbox.wait_for(1)
    finally:
        controller.stop()
    assert message["To"] == "alice@example.org" and len(key_in(message)) >= 20
    assert not OutboxItem.objects.filter(kind="accounts.email").exists()


def test_a_person_made_without_an_address_can_set_one(smtp, rennes, django_capture_on_commit_callbacks):
    carol = make_person("carol", rennes)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(carol).patch("/api/v1/me/", {"email": "carol@example.org"}, format="json")
    assert response.status_code == 200
    assert response.json()["pending_email"] == "carol@example.org"
    assert smtp.wait_for(1)[0]["To"] == "carol@example.org"
