"""The search backend in use, chosen by settings (the full search interface grows here)."""

from django.conf import settings
from django.db import connection


class DatabaseSearchBackend:
    """Full-text search in the database itself (SQLite FTS5 or PostgreSQL)."""

    @property
    def name(self) -> str:
        return f"database:{connection.vendor}"

    def ping(self) -> bool:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            return True
        except Exception:
            return False


class ElasticsearchBackend:
    name = "elasticsearch"

    def __init__(self, url: str):
        self.url = url

    def ping(self) -> bool:
        from elasticsearch import Elasticsearch

        try:
            return bool(Elasticsearch(self.url, request_timeout=2).ping())
        except Exception:
            return False


def get_search_backend():
    if settings.SEARCH_BACKEND == "elasticsearch":
        return ElasticsearchBackend(settings.ELASTICSEARCH_URL)
    return DatabaseSearchBackend()
