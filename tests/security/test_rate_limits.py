import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def limits(settings):
    def set_limit(scope: str, rate: str) -> None:
        settings.RATE_LIMITS = {**settings.RATE_LIMITS, scope: rate}

    from django.core.cache import cache

    def forget_counts():
        # Only the in-memory cache: a shared Redis is never flushed (tests on it use a key prefix).
        if settings.CACHES["default"]["BACKEND"].endswith("LocMemCache"):
            cache.clear()

    forget_counts()
    yield set_limit
    forget_counts()


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
    limits("login_address", "2/day")
    body = {"username": "alice", "password": "wrong"}
    codes = [api.post("/api/v1/auth/token/", body, format="json").status_code for _ in range(3)]
    assert codes == [400, 400, 429]


def test_follow_is_limited_per_user(alice_api, bob_api, rennes, limits):
    limits("follow", "2/day")
    codes = [alice_api.post("/api/v1/actors/rennes/follow/").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert bob_api.post("/api/v1/actors/rennes/follow/").status_code == 200


def open_request(client, to_actor="bob", title="Cherche"):
    return client.post("/api/v1/collaborations/", {
        "title": title, "message": "m", "kind": "partnership", "to_actor": to_actor,
        "needs": {"skills": [], "sectors": []}, "deadline": "2030-01-01T00:00:00+00:00",
    }, format="json")


def test_collaboration_requests_are_limited_and_reading_them_is_not(alice_api, bob, limits):
    from projects.models import CollaborationRequest

    limits("collaboration", "2/day")
    codes = [open_request(alice_api, title=f"r{index}").status_code for index in range(3)]
    assert codes == [201, 201, 429]
    assert 0 < int(open_request(alice_api, title="r3")["Retry-After"]) <= 86400
    assert CollaborationRequest.objects.count() == 2
    assert [alice_api.get("/api/v1/collaborations/").status_code for _ in range(3)] == [200, 200, 200]


def test_responses_are_limited(alice_api, bob, bob_api, rennes, limits):
    from tests.conftest import client_for, make_person

    limits("response", "1/day")
    first = open_request(alice_api, to_actor="bob").json()["id"]
    carol_api = client_for(make_person("carol", rennes))
    second = open_request(carol_api, to_actor="bob").json()["id"]
    answer = {"message": "Avec plaisir"}
    assert bob_api.post(f"/api/v1/collaborations/{first}/responses/", answer, format="json").status_code == 201
    refused = bob_api.post(f"/api/v1/collaborations/{second}/responses/", answer, format="json")
    assert refused.status_code == 429 and refused["Retry-After"]
    assert bob_api.get(f"/api/v1/collaborations/{second}/responses/").json()["count"] == 0


def test_search_and_suggest_are_limited_per_address(api, limits):
    limits("search", "3/day")
    codes = [api.get("/api/v1/search/", {"q": "x"}).status_code for _ in range(2)]
    codes += [api.get("/api/v1/search/suggest/", {"q": "x"}).status_code for _ in range(2)]
    assert codes == [200, 200, 200, 429]


@pytest.fixture
def redis_prefix(redis_url, settings):
    """The cache on the real Redis, as at scale, under a key prefix of this test's own
    (the Redis server is shared: never flush it, delete our keys only)."""
    import uuid

    import redis

    prefix = f"test-{uuid.uuid4().hex}"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": redis_url, "KEY_PREFIX": prefix}}
    yield prefix
    server = redis.Redis.from_url(redis_url)
    for key in server.scan_iter(f"{prefix}:*"):
        server.delete(key)


def test_counts_are_atomic_in_redis_across_clients(redis_prefix, settings, redis_url):
    """Many concurrent clients of Redis, as many processes would be: exactly `limit` hits pass."""
    from concurrent.futures import ThreadPoolExecutor

    import redis

    from novosphere.api.throttling import hit

    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "ws_connect": "25/day"}
    with ThreadPoolExecutor(max_workers=8) as pool:
        verdicts = list(pool.map(lambda _i: hit("ws_connect", "user7"), range(60)))
    assert sum(verdict is None for verdict in verdicts) == 25
    assert all(0 < verdict <= 86400 for verdict in verdicts if verdict is not None)
    # The counter lives in Redis, where every server process reads it.
    server = redis.Redis.from_url(redis_url)
    keys = list(server.scan_iter(f"{redis_prefix}:*rl:ws_connect:user7:*"))
    assert len(keys) == 1 and int(server.get(keys[0])) == 60


def test_the_api_counts_in_redis_when_the_cache_is_redis(redis_prefix, api, limits):
    limits("register", "1/day")
    assert register(api, "first").status_code == 201
    refused = register(api, "second")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
