"""Settings for the test suite: the project's own, with a test-only secret."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production")

from novosphere.settings import *  # noqa: E402, F401, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast hashing in tests only
