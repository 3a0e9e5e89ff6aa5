"""Full-text search in the database: SQLite FTS5 on the embedded default, PostgreSQL full-text at scale.

Both read the same `SearchDocument` rows, whose text was analyzed in Python
(`search.text`), so both fold accents, elisions and plurals the same way.
Typos: each query term is widened to the indexed terms within its edit
allowance, found by trigrams in the vocabulary (`SearchTerm`) and checked by
edit distance. Visibility: a document is shown only if its object is in the
queryset of its kind's visibility selector for the viewer — the very function
the rest of the application uses — in results, counts, facets and suggestions.
"""

import logging
from collections.abc import Callable, Iterable

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Length

from search import registry
from search.backends.base import (
    FACET_SIZE,
    PAGE_SIZE,
    SUGGEST_LIMIT,
    SearchBackend,
    SearchResults,
    clean_filters,
    empty_results,
    relevance_score,
)
from search.models import SearchDocument, SearchFacetValue, SearchTerm
from search.text import analyze, fuzzy_matches, max_edits, prefix_terms, query_terms, snippet

logger = logging.getLogger(__name__)

MAX_CANDIDATES = 200
BATCH = 500


class DatabaseSearchBackend(SearchBackend):
    """What SQLite and PostgreSQL share: writing rows, visibility, filters, facets."""

    @property
    def name(self) -> str:
        return f"database:{connection.vendor}"

    def ping(self) -> bool:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            return True
        except Exception:  # health reports it; the cause goes to the log
            logger.exception("search: database ping failed")
            return False

    # --- writing -----------------------------------------------------------
    def index(self, documents: list[registry.Document]) -> None:
        if not documents:
            return
        with transaction.atomic():
            rows = {row.key: row for row in SearchDocument.objects.filter(key__in=[d.key for d in documents])}
            for document in documents:
                values = _row_values(document)
                row = rows.get(document.key)
                if row is None:
                    row = SearchDocument.objects.create(key=document.key, **values)
                else:
                    for name, value in values.items():
                        setattr(row, name, value)
                    row.save()
                    row.facet_values.all().delete()
                SearchFacetValue.objects.bulk_create(_facet_rows(row, document))
            _add_terms(documents)

    def delete(self, keys: list[str]) -> None:
        if keys:
            SearchDocument.objects.filter(key__in=list(keys)).delete()

    def reindex(self, documents: Iterable[registry.Document], *, progress: Callable[[int], None] | None = None) -> int:
        # One transaction: readers see the old index until the new one commits.
        total = 0
        with transaction.atomic():
            SearchDocument.objects.all().delete()
            SearchTerm.objects.all().delete()
            batch: list[registry.Document] = []
            for document in documents:
                batch.append(document)
                if len(batch) >= BATCH:
                    total += self._bulk_insert(batch, progress)
                    batch = []
            total += self._bulk_insert(batch, progress)
        return total

    def _bulk_insert(self, documents: list[registry.Document], progress) -> int:
        if not documents:
            return 0
        rows = SearchDocument.objects.bulk_create(
            [SearchDocument(key=document.key, **_row_values(document)) for document in documents]
        )
        facets = [facet for row, document in zip(rows, documents, strict=True) for facet in _facet_rows(row, document)]
        SearchFacetValue.objects.bulk_create(facets, batch_size=BATCH)
        _add_terms(documents)
        if progress:
            progress(len(documents))
        return len(documents)

    # --- reading -----------------------------------------------------------
    def visible_documents(self, viewer) -> QuerySet[SearchDocument]:
        """Documents whose object the viewer may see, by each kind's own selector."""
        allowed = Q(pk__in=[])
        for handler in registry.document_types():
            allowed |= Q(type=handler.type, object_pk__in=handler.visible(viewer).values("pk"))
        return SearchDocument.objects.filter(allowed)

    def filtered_documents(self, viewer, filters: dict) -> QuerySet[SearchDocument]:
        documents = self.visible_documents(viewer)
        for name in ("type", "kind", "city", "country"):
            if name in filters:
                documents = documents.filter(**{name: filters[name]})
        for name in ("sector", "skill"):
            if name in filters:
                documents = documents.filter(
                    Exists(SearchFacetValue.objects.filter(document=OuterRef("pk"), name=name, value=filters[name]))
                )
        return documents

    def expand(self, terms: list[str]) -> dict[str, list[str]]:
        """Each query term with the indexed terms its typo allowance reaches, itself first."""
        return {term: [term, *fuzzy_matches(term, self.typo_candidates(term))] for term in terms}

    def search(self, query: str, *, filters: dict | None = None, viewer=None, page: int = 1) -> SearchResults:
        terms = query_terms(query)
        if not terms:
            return empty_results()
        expansions = self.expand(terms)
        documents = self.filtered_documents(viewer, clean_filters(filters))
        matched = documents.filter(self.match_condition(expansions))
        facets, count = self._facets(matched)
        if not count:
            return {"count": 0, "results": [], "facets": facets}
        offset = (max(page, 1) - 1) * PAGE_SIZE
        ranked = self.ranked(documents, expansions, offset=offset, limit=PAGE_SIZE)
        rows = SearchDocument.objects.in_bulk([pk for pk, _relevance, _exact in ranked])
        words = {word for alternatives in expansions.values() for word in alternatives}
        results = [
            {
                "type": rows[pk].type,
                "id": rows[pk].ident,
                "title": rows[pk].title,
                "snippet": snippet(rows[pk].body, words),
                "score": relevance_score(relevance, exact),
            }
            for pk, relevance, exact in ranked
            if pk in rows
        ]
        return {"count": count, "results": results, "facets": facets}

    def _facets(self, matched: QuerySet[SearchDocument]) -> tuple[dict, int]:
        facets: dict[str, dict[str, int]] = {name: {} for name in ("type", "kind", "city", "sector", "skill")}
        count = 0
        # One grouped query for the single-valued facets, one for the many-valued ones.
        for group in matched.order_by().values("type", "kind", "city").annotate(n=_count()):
            count += group["n"]
            for name in ("type", "kind", "city"):
                if group[name]:
                    facets[name][group[name]] = facets[name].get(group[name], 0) + group["n"]
        tags = (
            SearchFacetValue.objects.filter(document__in=matched.values("pk"))
            .order_by()
            .values("name", "value")
            .annotate(n=_count())
        )
        for tag in tags:
            facets[tag["name"]][tag["value"]] = tag["n"]
        return {name: _top(values) for name, values in facets.items()}, count

    def suggest(self, prefix: str, *, viewer=None, limit: int = SUGGEST_LIMIT) -> list[dict]:
        prefixes = prefix_terms(prefix)
        if not prefixes or sum(len(word) for word in prefixes) < 2:
            return []
        documents = self.visible_documents(viewer).filter(self.title_prefix_condition(prefixes))
        rows = documents.order_by(Length("title"), "title", "pk").values("type", "ident", "title")[:limit]
        return [{"type": row["type"], "id": row["ident"], "title": row["title"]} for row in rows]

    # --- what each vendor does its own way ------------------------------------
    def typo_candidates(self, term: str) -> list[str]:
        raise NotImplementedError

    def match_condition(self, expansions: dict[str, list[str]]) -> Q:
        raise NotImplementedError

    def ranked(self, documents: QuerySet, expansions: dict[str, list[str]], *, offset: int, limit: int) -> list[tuple]:
        """`(pk, relevance, exact)` of one page of matching `documents`, best first."""
        raise NotImplementedError

    def title_prefix_condition(self, prefixes: list[str]) -> Q:
        raise NotImplementedError


class SQLiteSearchBackend(DatabaseSearchBackend):
    """FTS5 over the analyzed columns (title weighted 10, body 1), typos through an FTS5 trigram vocabulary."""

    TITLE_WEIGHT, BODY_WEIGHT = 10.0, 1.0

    def typo_candidates(self, term: str) -> list[str]:
        limit = max_edits(term)
        if not limit:
            return []
        padded = f"^{term}$"
        trigrams = list(dict.fromkeys(padded[i : i + 3] for i in range(len(padded) - 2)))
        match = " OR ".join(f'"{trigram}"' for trigram in trigrams)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT t.term FROM search_term_trigrams JOIN search_searchterm t ON t.id = search_term_trigrams.rowid"
                " WHERE search_term_trigrams MATCH %s AND length(t.term) BETWEEN %s AND %s"
                " ORDER BY search_term_trigrams.rank LIMIT %s",
                [match, len(term) - limit, len(term) + limit, MAX_CANDIDATES],
            )
            return [row[0] for row in cursor.fetchall()]

    @staticmethod
    def match_expression(expansions: dict[str, list[str]], exact: bool = False) -> str:
        # Terms are [a-z0-9]+ (search.text), so quoting them is all FTS5 needs.
        groups = []
        for alternatives in expansions.values():
            words = alternatives[:1] if exact else alternatives
            groups.append("(" + " OR ".join(f'"{word}"' for word in words) + ")")
        return " AND ".join(groups)

    def match_condition(self, expansions):
        return Q(
            pk__in=RawSQL("SELECT rowid FROM search_fts WHERE search_fts MATCH %s", [self.match_expression(expansions)])
        )

    def ranked(self, documents, expansions, *, offset, limit):
        candidates_sql, candidate_params = documents.values("pk").query.sql_with_params()
        sql = (
            f"SELECT search_fts.rowid, -bm25(search_fts, {self.TITLE_WEIGHT}, {self.BODY_WEIGHT}) AS relevance,"
            " search_fts.rowid IN (SELECT rowid FROM search_fts WHERE search_fts MATCH %s) AS exact"
            " FROM search_fts WHERE search_fts MATCH %s"
            f" AND search_fts.rowid IN ({candidates_sql})"
            " ORDER BY exact DESC, relevance DESC, search_fts.rowid LIMIT %s OFFSET %s"
        )
        params = [
            self.match_expression(expansions, exact=True),
            self.match_expression(expansions),
            *candidate_params,
            limit,
            offset,
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [(pk, relevance, bool(exact)) for pk, relevance, exact in cursor.fetchall()]

    def title_prefix_condition(self, prefixes):
        expression = "folded_title : (" + " AND ".join(f'"{word}" *' for word in prefixes) + ")"
        return Q(pk__in=RawSQL("SELECT rowid FROM search_fts WHERE search_fts MATCH %s", [expression]))


class PostgresSearchBackend(DatabaseSearchBackend):
    """A weighted tsvector ('simple' configuration on folded text) with GIN; typos through pg_trgm."""

    # pg_trgm's default threshold (0.3) misses a transposition in a 5-letter
    # word; edit distance then discards what this lets through.
    SIMILARITY_THRESHOLD = 0.15

    def typo_candidates(self, term: str) -> list[str]:
        limit = max_edits(term)
        if not limit:
            return []
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('pg_trgm.similarity_threshold', %s, false)", [str(self.SIMILARITY_THRESHOLD)])
            cursor.execute(
                "SELECT term FROM search_searchterm WHERE term %% %s AND length(term) BETWEEN %s AND %s"
                " ORDER BY similarity(term, %s) DESC LIMIT %s",
                [term, len(term) - limit, len(term) + limit, term, MAX_CANDIDATES],
            )
            return [row[0] for row in cursor.fetchall()]

    @staticmethod
    def tsquery(expansions: dict[str, list[str]], exact: bool = False) -> str:
        # Terms are [a-z0-9]+ (search.text): no tsquery operator can slip in.
        groups = []
        for alternatives in expansions.values():
            words = alternatives[:1] if exact else alternatives
            groups.append("(" + " | ".join(words) + ")")
        return " & ".join(groups)

    @staticmethod
    def _matching(tsquery: str) -> Q:
        # A self-contained subquery: Django renames tables inside subqueries
        # (facets use this condition in one), so no outer column is named.
        return Q(
            pk__in=RawSQL(
                "SELECT id FROM search_searchdocument WHERE search_vector @@ to_tsquery('simple', %s)", [tsquery]
            )
        )

    def match_condition(self, expansions):
        return self._matching(self.tsquery(expansions))

    def ranked(self, documents, expansions, *, offset, limit):
        candidates_sql, candidate_params = documents.values("pk").query.sql_with_params()
        sql = (
            "SELECT d.id, ts_rank(d.search_vector, to_tsquery('simple', %s)) AS relevance,"
            " d.search_vector @@ to_tsquery('simple', %s) AS exact"
            " FROM search_searchdocument d"
            " WHERE d.search_vector @@ to_tsquery('simple', %s)"
            f" AND d.id IN ({candidates_sql})"
            " ORDER BY exact DESC, relevance DESC, d.id LIMIT %s OFFSET %s"
        )
        fuzzy = self.tsquery(expansions)
        params = [fuzzy, self.tsquery(expansions, exact=True), fuzzy, *candidate_params, limit, offset]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [(pk, relevance, bool(exact)) for pk, relevance, exact in cursor.fetchall()]

    def title_prefix_condition(self, prefixes):
        # ':*A' is a prefix of a title lexeme (weight A).
        return self._matching(" & ".join(f"{word}:*A" for word in prefixes))


def _count():
    from django.db.models import Count

    return Count("pk")


def _top(values: dict[str, int]) -> dict[str, int]:
    return dict(sorted(values.items(), key=lambda item: (-item[1], item[0]))[:FACET_SIZE])


def _row_values(document: registry.Document) -> dict:
    return {
        "type": document.type,
        "object_pk": document.object_pk,
        "ident": str(document.ident)[:120],
        "title": document.title[:300],
        "body": document.body,
        "folded_title": " ".join(analyze(document.title)),
        "folded_body": " ".join(analyze(document.body)),
        "kind": document.kind or "",
        "city": document.city or "",
        "country": (document.country or "").upper(),
    }


def _facet_rows(row: SearchDocument, document: registry.Document) -> list[SearchFacetValue]:
    return [
        SearchFacetValue(document=row, name=name, value=value[:50])
        for name, values in (("sector", document.sectors), ("skill", document.skills))
        for value in dict.fromkeys(values)
    ]


def _add_terms(documents: list[registry.Document]) -> None:
    terms = {term for document in documents for term in analyze(f"{document.title} {document.body}") if len(term) <= 100}
    if terms:
        SearchTerm.objects.bulk_create([SearchTerm(term=term) for term in sorted(terms)], ignore_conflicts=True, batch_size=BATCH)
