"""The interface every search backend implements, in the manner of Wagtail's `BaseSearchBackend`."""

import logging
from collections.abc import Callable, Iterable
from typing import TypedDict

from django.utils.translation import gettext_lazy as _

from novosphere.errors import ServiceUnavailable
from search.registry import Document

logger = logging.getLogger(__name__)

PAGE_SIZE = 20
SUGGEST_LIMIT = 10
FACET_SIZE = 20
FILTERS = ("type", "kind", "city", "country", "sector", "skill")


class SearchUnavailable(ServiceUnavailable):
    """The index does not answer: a search is a 503 saying so, a write keeps its keys
    for a later sync (`search.sync`). The database backends never raise it: their
    outage is the database's, answered 503 like any other request."""

    default_message = _("Search is temporarily unavailable; try again in a moment. Nothing you wrote was lost.")
    default_code = "search_unavailable"


class SearchResults(TypedDict):
    count: int
    results: list[dict]
    facets: dict[str, dict[str, int]]


def empty_results() -> SearchResults:
    return {"count": 0, "results": [], "facets": {name: {} for name in ("type", "kind", "city", "sector", "skill")}}


class SearchBackend:
    """Index documents, forget them, and answer searches and suggestions for a viewer.

    `viewer` is a user (possibly anonymous): a backend shows only what that
    user may see, in results, counts, facets and suggestions alike.
    """

    name = "base"

    def ping(self) -> bool:
        raise NotImplementedError

    def index(self, documents: list[Document]) -> None:
        raise NotImplementedError

    def delete(self, keys: list[str]) -> None:
        raise NotImplementedError

    def search(self, query: str, *, filters: dict | None = None, viewer=None, page: int = 1) -> SearchResults:
        """Ranked results (title above body, exact words above forgiven typos), a count and facets."""
        raise NotImplementedError

    def suggest(self, prefix: str, *, viewer=None, limit: int = SUGGEST_LIMIT) -> list[dict]:
        """Up to `limit` `{type, id, title}` whose title has words starting as typed."""
        raise NotImplementedError

    def reindex(self, documents: Iterable[Document], *, progress: Callable[[int], None] | None = None) -> int:
        """Replace the whole index with `documents`; searches keep answering meanwhile."""
        raise NotImplementedError


def clean_filters(filters: dict | None) -> dict:
    cleaned = {name: value for name, value in (filters or {}).items() if name in FILTERS and value not in (None, "")}
    if "country" in cleaned:
        cleaned["country"] = str(cleaned["country"]).upper()
    return cleaned


def relevance_score(relevance: float, exact: bool) -> float:
    """One number per result that sorts as results are ranked: exact matches first, then relevance."""
    relevance = max(float(relevance or 0.0), 0.0)
    return round((1.0 if exact else 0.0) + relevance / (relevance + 1.0), 6)
