import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def limits(settings):
    def set_limit(scope: str, rate: str) -> None:
        settings.RATE_LIMITS = {**settings.RATE_LIMITS, scope: rate}

    from django.core.cache import cache

    cache.clear()
    yield set_limit
    cache.clear()


def register(api, username):
    return api.post(
        "/api/v1/auth/register/",
        {"username": username, "password": "a long enough passphrase", "email": f"{username}@example.org", "name": username},
        format="json",
    )


def test_register_is_limited_with_retry_after_and_writes_nothing_past_it(api, limits):
    from profiles.models import User

    limits("register", "3/day")  # a day-long window: the test never straddles two windows
    assert [register(api, f"user{index}").status_code for index in range(3)] == [201, 201, 201]
    refused = register(api, "user3")
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 86400
    assert "detail" in refused.json()
    assert not User.objects.filter(username="user3").exists()


def test_login_is_limited(api, alice, limits):
    limits("login", "2/day")
    body = {"username": "alice", "password": "wrong"}
    codes = [api.post("/api/v1/auth/token/", body, format="json").status_code for _ in range(3)]
    assert codes == [400, 400, 429]


def test_follow_is_limited_per_user(alice_api, bob_api, rennes, limits):
    limits("follow", "2/day")
    codes = [alice_api.post("/api/v1/actors/rennes/follow/").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert bob_api.post("/api/v1/actors/rennes/follow/").status_code == 200
