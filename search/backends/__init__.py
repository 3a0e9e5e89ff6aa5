"""The search interface: callers ask `get_search_backend()` and never learn which index answers.

`SEARCH_BACKEND` (settings) picks Elasticsearch when `ELASTICSEARCH_URL` is
set and the database otherwise; the database backend is chosen by vendor.
"""

from django.conf import settings
from django.db import connection

from search.backends.base import SearchBackend, SearchResults, SearchUnavailable

__all__ = ["SearchBackend", "SearchResults", "SearchUnavailable", "get_search_backend"]

_backends: dict[tuple, SearchBackend] = {}


def get_search_backend() -> SearchBackend:
    if settings.SEARCH_BACKEND == "elasticsearch":
        alias = getattr(settings, "SEARCH_INDEX", "novosphere")
        # False: writes become searchable within Elasticsearch's refresh interval (1 s);
        # "wait_for" (tests) makes each write wait until it is searchable.
        refresh = getattr(settings, "SEARCH_REFRESH", False)
        cache_key = ("elasticsearch", settings.ELASTICSEARCH_URL, alias, refresh)
        if cache_key not in _backends:
            from search.backends.elasticsearch import ElasticsearchBackend

            _backends[cache_key] = ElasticsearchBackend(settings.ELASTICSEARCH_URL, alias=alias, refresh=refresh)
        return _backends[cache_key]
    return database_backend()


def database_backend() -> SearchBackend:
    """The database's own full-text search, by vendor."""
    from search.backends.database import PostgresSearchBackend, SQLiteSearchBackend

    vendors = {"sqlite": SQLiteSearchBackend, "postgresql": PostgresSearchBackend}
    try:
        backend_class = vendors[connection.vendor]
    except KeyError:
        raise NotImplementedError(f"no full-text search for the {connection.vendor} database") from None
    cache_key = ("database", connection.vendor)
    if cache_key not in _backends:
        _backends[cache_key] = backend_class()
    return _backends[cache_key]
