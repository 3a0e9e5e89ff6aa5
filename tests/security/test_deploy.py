"""The production configuration passes Django's deployment checks, and a
missing secret is a clear start-up error."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def production_env(**extra) -> dict:
    env = {key: value for key, value in os.environ.items()
           if key not in {"DEBUG", "LOCAL_HTTP", "DJANGO_SETTINGS_MODULE", "SECRET_KEY"}}
    env.update({"DJANGO_SETTINGS_MODULE": "novosphere.settings", "ALLOWED_HOSTS": "novosphere.example"}, **extra)
    return env


def test_check_deploy_is_clean_under_production_settings():
    env = production_env(SECRET_KEY=secrets.token_urlsafe(60))
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_missing_secret_key_outside_debug_is_a_clear_start_up_error():
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=production_env(SECRET_KEY=""),
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr
