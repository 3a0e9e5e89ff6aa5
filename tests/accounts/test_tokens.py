"""Tokens expire (TOKEN_TTL), slide while in use, and dead ones are pruned."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from accounts.tasks import prune_tokens
from tests.conftest import token_for

pytestmark = pytest.mark.django_db


def with_token(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def test_a_new_token_expires_after_token_ttl(api, alice, settings):
    response = api.post("/api/v1/auth/token/", {"username": "alice", "password": "correct horse battery staple"}, format="json")
    expiry = AuthToken.objects.get(user=alice.user).expiry
    assert expiry is not None and response.json()["expiry"] is not None
    assert abs((expiry - timezone.now()) - timedelta(seconds=settings.TOKEN_TTL)) < timedelta(minutes=1)


def test_an_expired_token_is_a_401(alice):
    token = token_for(alice)
    AuthToken.objects.filter(user=alice.user).update(expiry=timezone.now() - timedelta(seconds=1))
    response = with_token(token).get("/api/v1/me/")
    assert response.status_code == 401
    assert "detail" in response.json()


def test_a_token_in_use_slides_but_writes_at_most_once_an_interval(alice, settings):
    token = token_for(alice)
    soon = timezone.now() + timedelta(hours=2)
    AuthToken.objects.filter(user=alice.user).update(expiry=soon)
    assert with_token(token).get("/api/v1/me/").status_code == 200
    slid = AuthToken.objects.get(user=alice.user).expiry
    assert slid > timezone.now() + timedelta(seconds=settings.TOKEN_TTL) - timedelta(minutes=1)

    # Within TOKEN_RENEW_INTERVAL of the last renewal the expiry is not written again.
    assert with_token(token).get("/api/v1/me/").status_code == 200
    assert AuthToken.objects.get(user=alice.user).expiry == slid


def test_pruning_deletes_the_dead_tokens_only(alice, bob):
    dead, alive = token_for(alice), token_for(bob)
    AuthToken.objects.filter(user=alice.user).update(expiry=timezone.now() - timedelta(days=1))
    assert prune_tokens() == 1
    assert not AuthToken.objects.filter(user=alice.user).exists()
    assert with_token(alive).get("/api/v1/me/").status_code == 200
    assert with_token(dead).get("/api/v1/me/").status_code == 401


def test_the_prune_command_and_the_beat_schedule(alice, capsys, settings):
    token_for(alice)
    AuthToken.objects.filter(user=alice.user).update(expiry=timezone.now() - timedelta(days=1))
    call_command("prune_tokens")
    assert "1 expired token(s) deleted" in capsys.readouterr().out
    assert settings.CELERY_BEAT_SCHEDULE["accounts-prune-tokens"]["task"] == "accounts.tasks.prune_tokens"
