"""Elasticsearch through elasticsearch-dsl, for when the database's own search is not enough.

The request bodies are built by pure functions (`index_body`, `build_search`,
`build_suggest`, `bulk_actions`, `delete_actions`, `alias_swap_actions`) that
the test suite checks everywhere; the backend class only sends them.

Reads and writes go through an alias; `reindex` fills a fresh index and
swaps the alias in one atomic call, so searches keep answering meanwhile.
Visibility cannot call the database's selectors here, so each document
carries its audience (`search.registry.Audience`) and the query filters on
it; `tests/search` checks that this filter and the selectors agree.
"""

import contextlib
import logging
import time
from collections.abc import Callable, Iterable

import elastic_transport
from elasticsearch import ApiError
from elasticsearch_dsl import Boolean, Index, Keyword, Long, Search, Text, analyzer, token_filter
from elasticsearch_dsl import Document as IndexedDocument
from elasticsearch_dsl import Q as Query

from profiles.selectors import viewer_actor
from search.backends.base import (
    FACET_SIZE,
    PAGE_SIZE,
    SUGGEST_LIMIT,
    SearchBackend,
    SearchResults,
    SearchUnavailable,
    clean_filters,
    empty_results,
)
from search.registry import Audience, Document, document_key, exclusions_for
from search.text import STOPWORDS, analyze, snippet

logger = logging.getLogger(__name__)

# Typos as search.text.max_edits allows them: none under 5 letters, one up to 8, two from 9.
FUZZINESS = "AUTO:5,9"
TITLE_BOOST, EXACT_TITLE_BOOST, EXACT_BODY_BOOST = 3, 6, 2
FACETS = {"type": "type", "kind": "kind", "city": "city", "sector": "sectors", "skill": "skills"}

elision = token_filter(
    "novosphere_elision",
    type="elision",
    articles_case=True,
    articles=["l", "m", "t", "qu", "n", "s", "j", "d", "c", "jusqu", "quoiqu", "lorsqu", "puisqu"],
)
# The same grammatical words search.text ignores, so "projets de la ville" does not demand "de".
stopwords = token_filter("novosphere_stop", type="stop", stopwords=sorted(STOPWORDS))
french_light = token_filter("novosphere_french_light", type="stemmer", language="light_french")
english_minimal = token_filter("novosphere_english_minimal", type="stemmer", language="minimal_english")
edge_ngrams = token_filter("novosphere_edge_ngrams", type="edge_ngram", min_gram=1, max_gram=20)

# Accents and case folded, elisions dropped, light stemming for plurals.
text_analyzer = analyzer(
    "novosphere_text",
    tokenizer="standard",
    filter=[elision, "lowercase", "asciifolding", stopwords, french_light, english_minimal],
)
# Autocomplete: every beginning of every title word is indexed...
suggest_index_analyzer = analyzer(
    "novosphere_suggest", tokenizer="standard", filter=[elision, "lowercase", "asciifolding", edge_ngrams]
)
# ...and what is typed is only folded, so `queb` looks up the indexed beginning `queb`.
suggest_search_analyzer = analyzer(
    "novosphere_suggest_search", tokenizer="standard", filter=[elision, "lowercase", "asciifolding"]
)


class SearchEntry(IndexedDocument):
    """The mapping: one entry per indexed object, named by its key."""

    type = Keyword()
    ident = Keyword()
    title = Text(
        analyzer=text_analyzer,
        copy_to="text",
        fields={
            "suggest": Text(analyzer=suggest_index_analyzer, search_analyzer=suggest_search_analyzer),
            "raw": Keyword(),
        },
    )
    body = Text(analyzer=text_analyzer, copy_to="text")
    text = Text(analyzer=text_analyzer)  # title and body together: every word must be in one or the other
    kind = Keyword()
    city = Keyword()
    places = Keyword()  # every city the `city` filter finds the object by (a request: origin and targets)
    country = Keyword()
    sectors = Keyword()
    skills = Keyword()
    audience = Keyword()
    member_ids = Long()
    hidden = Boolean()


def index_body() -> dict:
    """Settings (analyzers) and mappings of a search index."""
    index = Index("novosphere-template")
    index.settings(number_of_shards=1, number_of_replicas=0)
    index.document(SearchEntry)
    return index.to_dict()


def source(document: Document) -> dict:
    return {
        "type": document.type,
        "ident": document.ident,
        "title": document.title,
        "body": document.body,
        "kind": document.kind,
        "city": document.city,
        "places": places_of(document),
        "country": (document.country or "").upper(),
        "sectors": document.sectors,
        "skills": document.skills,
        "audience": document.audience,
        "member_ids": document.member_ids,
        "hidden": document.hidden,
    }


def places_of(document: Document) -> list[str]:
    """The cities a `city` filter finds `document` by: its own city, then its other places."""
    return list(dict.fromkeys(place for place in (document.city, *document.places) if place))


def bulk_actions(documents: Iterable[Document], index: str) -> Iterable[dict]:
    for document in documents:
        yield {"_op_type": "index", "_index": index, "_id": document.key, "_source": source(document)}


def delete_actions(keys: Iterable[str], index: str) -> Iterable[dict]:
    for key in keys:
        yield {"_op_type": "delete", "_index": index, "_id": key}


def alias_swap_actions(alias: str, new_index: str, old_indices: Iterable[str]) -> list[dict]:
    """One atomic `_aliases` call: the alias leaves the old indices and points at the new one."""
    actions = [{"remove": {"index": old, "alias": alias}} for old in sorted(old_indices)]
    actions.append({"add": {"index": new_index, "alias": alias}})
    return actions


def visibility_filter(viewer) -> Query:
    """What `viewer` may see, from the audience stored with each document (see registry.stored_audience_allows)."""
    me = viewer_actor(viewer)
    if me is None:
        return Query("bool", filter=[Query("term", audience=Audience.EVERYONE)], must_not=[Query("term", hidden=True)])
    return Query(
        "bool",
        should=[
            Query("terms", audience=[Audience.EVERYONE, Audience.SIGNED_IN]),
            Query("term", member_ids=me.pk),
        ],
        minimum_should_match=1,
        must_not=[Query("term", hidden=True), *excluded_for(viewer)],
    )


def excluded_for(viewer) -> list[Query]:
    """What the viewer alone may not see (authors it blocks), by document id: such lists are short."""
    keys = [
        document_key(type_, pk)
        for type_, excluded in exclusions_for(viewer).items()
        for row in excluded  # a one-column `values()` subquery: one dict per object
        for pk in row.values()
    ]
    return [Query("ids", values=keys)] if keys else []


def filter_clauses(filters: dict) -> list[Query]:
    fields = {"type": "type", "kind": "kind", "city": "places", "country": "country", "sector": "sectors", "skill": "skills"}
    return [Query("term", **{fields[name]: value}) for name, value in clean_filters(filters).items()]


def build_search(query: str, *, filters: dict | None, viewer, page: int, index: str) -> Search:
    """The search request: every word in title or body (typos forgiven), ranked title and exact first."""
    must = Query("match", text={"query": query, "operator": "and", "fuzziness": FUZZINESS})
    should = [
        Query("match", title={"query": query, "fuzziness": FUZZINESS, "boost": TITLE_BOOST}),
        Query("match", title={"query": query, "boost": EXACT_TITLE_BOOST}),
        Query("match", body={"query": query, "boost": EXACT_BODY_BOOST}),
    ]
    search = Search(index=index).query(
        Query("bool", must=[must], should=should, filter=[visibility_filter(viewer), *filter_clauses(filters or {})])
    )
    for name, field in FACETS.items():
        search.aggs.bucket(name, "terms", field=field, size=FACET_SIZE)
    offset = (max(page, 1) - 1) * PAGE_SIZE
    search = search.source(["type", "ident", "title", "body"]).extra(track_total_hits=True)
    return search[offset : offset + PAGE_SIZE]


def build_suggest(prefix: str, *, viewer, index: str, limit: int = SUGGEST_LIMIT) -> Search:
    """The autocomplete request: title words beginning as typed, shortest titles first among equals."""
    search = Search(index=index).query(
        Query(
            "bool",
            must=[Query("match", **{"title.suggest": {"query": prefix, "operator": "and"}})],
            filter=[visibility_filter(viewer)],
        )
    )
    return search.source(["type", "ident", "title"]).sort("_score", "title.raw")[:limit]


@contextlib.contextmanager
def unavailable_when_unreachable(operation: str):
    """Connection failures, timeouts and the cluster's own 5xx / 429 mean "try later":
    SearchUnavailable (a 503 for searches, pending keys for writes). Other API errors
    (a 400 for a malformed request) are bugs and pass as they are."""
    try:
        yield
    except elastic_transport.TransportError as error:
        logger.warning("search: elasticsearch unreachable op=%s error=%s", operation, error)
        raise SearchUnavailable() from error
    except ApiError as error:
        if error.meta.status < 500 and error.meta.status != 429:
            raise
        logger.warning("search: elasticsearch unavailable op=%s status=%s", operation, error.meta.status)
        raise SearchUnavailable() from error


class ElasticsearchBackend(SearchBackend):
    name = "elasticsearch"

    def __init__(self, url: str, *, alias: str = "novosphere", refresh: bool | str = False):
        from elasticsearch import Elasticsearch

        self.url = url
        self.alias = alias
        # Elasticsearch makes writes searchable within its refresh interval (1 s);
        # tests ask for "wait_for" to read their own writes.
        self.refresh = refresh
        self.client = Elasticsearch(url, request_timeout=10)
        self._ready = False  # the alias is known to exist

    def ping(self) -> bool:
        try:
            return bool(self.client.ping())
        except Exception:  # health reports it; the cause goes to the log
            logger.exception("search: elasticsearch ping failed")
            return False

    def ensure_index(self) -> None:
        if self._ready:
            return
        if not self.client.indices.exists_alias(name=self.alias):
            first = f"{self.alias}-{int(time.time() * 1000)}"
            self.client.indices.create(index=first, **index_body())
            self.client.indices.update_aliases(actions=alias_swap_actions(self.alias, first, []))
        self._ready = True

    def _bulk(self, actions: Iterable[dict]) -> None:
        from elasticsearch.helpers import bulk

        _ok, errors = bulk(self.client, actions, raise_on_error=False, refresh=self.refresh)
        # Deleting what was never indexed is not an error.
        real = [error for error in errors if next(iter(error.values())).get("status") != 404]
        if real:
            logger.error("search: %d bulk errors, first %s", len(real), real[0])
            statuses = {next(iter(error.values())).get("status", 0) for error in real}
            if any(status == 429 or status >= 500 for status in statuses):
                raise SearchUnavailable()  # the cluster refused for now: the keys are kept for later

    def index(self, documents: list[Document]) -> None:
        if documents:
            with unavailable_when_unreachable("index"):
                self.ensure_index()
                self._bulk(bulk_actions(documents, self.alias))

    def delete(self, keys: list[str]) -> None:
        if keys:
            with unavailable_when_unreachable("delete"):
                self.ensure_index()
                self._bulk(delete_actions(keys, self.alias))

    def search(self, query: str, *, filters: dict | None = None, viewer=None, page: int = 1) -> SearchResults:
        if not analyze(query):
            return empty_results()
        with unavailable_when_unreachable("search"):
            self.ensure_index()
            response = build_search(query, filters=filters, viewer=viewer, page=page, index=self.alias).using(
                self.client
            ).execute()
        words = set(analyze(query))
        results = [
            {
                "type": hit.type,
                "id": hit.ident,
                "title": hit.title,
                "snippet": snippet(getattr(hit, "body", ""), words),
                "score": round(hit.meta.score or 0.0, 6),
            }
            for hit in response
        ]
        facets = {
            name: {bucket.key: bucket.doc_count for bucket in getattr(response.aggregations, name).buckets}
            for name in FACETS
        }
        return {"count": response.hits.total.value, "results": results, "facets": facets}

    def suggest(self, prefix: str, *, viewer=None, limit: int = SUGGEST_LIMIT) -> list[dict]:
        if not prefix.strip():
            return []
        with unavailable_when_unreachable("suggest"):
            self.ensure_index()
            response = build_suggest(prefix, viewer=viewer, index=self.alias, limit=limit).using(self.client).execute()
        return [{"type": hit.type, "id": hit.ident, "title": hit.title} for hit in response]

    def reindex(self, documents: Iterable[Document], *, progress: Callable[[int], None] | None = None) -> int:
        with unavailable_when_unreachable("reindex"):
            return self._reindex(documents, progress=progress)

    def _reindex(self, documents: Iterable[Document], *, progress: Callable[[int], None] | None) -> int:
        new_index = f"{self.alias}-{int(time.time() * 1000)}"
        self.client.indices.create(index=new_index, **index_body())
        total = 0

        def counted():
            nonlocal total
            for action in bulk_actions(documents, new_index):
                total += 1
                if progress:
                    progress(1)
                yield action

        from elasticsearch.helpers import bulk

        bulk(self.client, counted(), refresh=True)
        old = list(self.client.indices.get_alias(name=self.alias).keys()) if self.client.indices.exists_alias(
            name=self.alias
        ) else []
        if not old and self.client.indices.exists(index=self.alias):
            # An index (not an alias) by that name is in the way: replace it.
            self.client.indices.delete(index=self.alias)
        self.client.indices.update_aliases(actions=alias_swap_actions(self.alias, new_index, old))
        for index in old:
            self.client.indices.delete(index=index)
        self._ready = True
        return total
