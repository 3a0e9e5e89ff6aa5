"""The Celery app: background work (timeline fan-out) on the Redis broker.

Without REDIS_URL the settings make every task run in-process (always eager),
so the embedded default needs no worker.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "novosphere.settings")

app = Celery("novosphere")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
