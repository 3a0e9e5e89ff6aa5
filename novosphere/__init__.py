# Loaded with Django so that tasks find their app (`celery -A novosphere worker`).
from novosphere.celery import app as celery_app

__all__ = ["celery_app"]
