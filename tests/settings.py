"""Settings for the test suite: the project's own, with a test-only secret."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production")
os.environ.setdefault("LOCAL_HTTP", "true")  # the test client and test servers speak plain HTTP

from novosphere.settings import *  # noqa: E402, F401, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast hashing in tests only

# Generous limits: the suite registers and logs in many people from one address.
# Tests of the limits themselves lower one scope with `settings.RATE_LIMITS`.
# A test Daphne (tests/e2e/server.py) lowers one through its environment: TEST_RATE_LIMIT_WS_CONNECT=3/day.
RATE_LIMITS = {scope: os.environ.get(f"TEST_RATE_LIMIT_{scope.upper()}", "10000/minute") for scope in RATE_LIMITS}  # noqa: F405
