"""Settings for the test suite: the project's own, with a test-only secret."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production")
os.environ.setdefault("LOCAL_HTTP", "true")  # the test client and test servers speak plain HTTP

from novosphere.settings import *  # noqa: E402, F401, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast hashing in tests only

# Generous limits: the suite registers and logs in many people from one address.
# Tests of the limits themselves lower one scope with `settings.RATE_LIMITS`.
RATE_LIMITS = {scope: "10000/minute" for scope in RATE_LIMITS}  # noqa: F405
