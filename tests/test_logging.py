"""Logging: every app of the project speaks at LOG_LEVEL, one line per event."""

import logging
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[1]


def test_every_app_of_the_checkout_is_configured():
    apps = {path.parent.name for path in ROOT.glob("*/apps.py")}
    assert {"events", "moderation", "feeds"} <= apps
    assert set(settings.PROJECT_APPS) == apps
    for app in apps:
        assert settings.LOGGING["loggers"][app]["level"] == settings.LOG_LEVEL


def test_an_event_and_a_traceback_are_one_line_each_on_stderr():
    # A process of its own, so the suite's log capture does not stand in for the real handlers.
    script = """
import logging, django
django.setup()
logging.getLogger("events.services").info("rsvp event=%s actor=%s", "fete", "alice")
logging.getLogger("moderation.services").info("report id=%s\\nforged line", 1)
try:
    raise ValueError("boom")
except ValueError:
    logging.getLogger("feeds.dispatch").exception("push failed id=%s", "01J")
"""
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={"DJANGO_SETTINGS_MODULE": "tests.settings", "PATH": "/usr/bin:/bin", "LOG_LEVEL": "INFO"},
    )
    assert result.returncode == 0, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 3, lines
    assert lines[0].endswith("INFO events.services rsvp event=fete actor=alice")
    assert "INFO moderation.services report id=1\\nforged line" in lines[1]
    assert "ERROR feeds.dispatch push failed id=01J\\nTraceback" in lines[2] and "ValueError: boom" in lines[2]


def test_the_line_formatter_is_the_one_configured():
    from novosphere.logs import OneLineFormatter

    record = logging.LogRecord("events", logging.INFO, __file__, 1, "a\nb", (), None)
    assert OneLineFormatter("%(message)s").format(record) == "a\\nb"
