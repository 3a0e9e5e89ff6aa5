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
            analyzed = []
            for document in documents:
                values = _row_values(document)
                analyzed.append(values)
                row = rows.get(document.key)
                if row is None:
                    row = SearchDocument.objects.create(key=document.key, **values)
                else:
                    for name, value in values.items():
                        setattr(row, name, value)
                    row.save()
                    row.facet_values.all().delete()
                SearchFacetValue.objects.bulk_create(_facet_rows(row, document))
            _add_terms(analyzed)

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
        self.after_bulk_load()
        return total

    def after_bulk_load(self) -> None:
        """Anything the database needs after the index was rebuilt."""

    def _bulk_insert(self, documents: list[registry.Document], progress) -> int:
        if not documents:
            return 0
        analyzed = [_row_values(document) for document in documents]
        rows = SearchDocument.objects.bulk_create(
            [SearchDocument(key=document.key, **values) for document, values in zip(documents, analyzed, strict=True)]
        )
        facets = [facet for row, document in zip(rows, documents, strict=True) for facet in _facet_rows(row, document)]
        SearchFacetValue.objects.bulk_create(facets, batch_size=BATCH)
        _add_terms(analyzed)
        if progress:
            progress(len(documents))
        return len(documents)

    # --- reading -----------------------------------------------------------
    def visible_documents(self, viewer) -> QuerySet[SearchDocument]:
        """Documents whose object the viewer may see, by each kind's own selector."""
        allowed = Q(pk__in=[])
        for handler in registry.document_types():
            # A correlated EXISTS (one primary-key probe per matching document)
            # rather than IN (every visible object): the full-text match stays
            # the driving, selective part of the query.
            allowed |= Q(type=handler.type) & Exists(handler.visible(viewer).filter(pk=OuterRef("object_pk")))
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
        offset = (max(page, 1) - 1) * PAGE_SIZE
        page_rows, groups, tags = self._run(documents, expansions, offset=offset, limit=PAGE_SIZE)
        facets: dict[str, dict[str, int]] = {name: {} for name in ("type", "kind", "city", "sector", "skill")}
        count = 0
        for n, type_, kind, city in groups:
            count += n
            for name, value in (("type", type_), ("kind", kind), ("city", city)):
                if value:
                    facets[name][value] = facets[name].get(value, 0) + n
        for n, name, value in tags:
            facets[name][value] = n
        facets = {name: _top(values) for name, values in facets.items()}
        rows = SearchDocument.objects.only("type", "ident", "title", "body").in_bulk([row[0] for row in page_rows])
        words = {word for alternatives in expansions.values() for word in alternatives}
        results = [
            {
                "type": rows[pk].type,
                "id": rows[pk].ident,
                "title": rows[pk].title,
                "snippet": snippet(rows[pk].body, words),
                "score": relevance_score(relevance, exact),
            }
            for pk, relevance, exact in page_rows
            if pk in rows
        ]
        return {"count": count, "results": results, "facets": facets}

    def _run(self, documents: QuerySet, expansions: dict[str, list[str]], *, offset: int, limit: int):
        """One statement: the page of hits, the single-valued facet groups and the tag facets.

        The matches are found once (with their relevance) and only they are
        checked against visibility and filters, once each; the page, the count
        and the facets are all read from that one set.
        """
        matched_sql, matched_params = self.matched_sql(expansions)
        exact_sql, exact_params = self.matched_sql(expansions, exact=True)
        where, where_params = where_clause(documents)
        table = SearchDocument._meta.db_table
        facet_table = SearchFacetValue._meta.db_table
        sql = (
            f"WITH matched AS MATERIALIZED ({matched_sql}),"
            f" exact AS MATERIALIZED ({exact_sql}),"
            f" hits AS MATERIALIZED (SELECT {table}.id AS id, {table}.type AS type, {table}.kind AS kind,"
            f" {table}.city AS city, matched.relevance AS relevance,"
            " CASE WHEN matched.id IN (SELECT id FROM exact) THEN 1 ELSE 0 END AS is_exact"
            f" FROM matched JOIN {table} ON {table}.id = matched.id WHERE {where})"
            " SELECT * FROM (SELECT 'hit' AS row_kind, id AS n, relevance, is_exact, '' AS a, '' AS b, '' AS c"
            " FROM hits ORDER BY is_exact DESC, relevance DESC, id LIMIT %s OFFSET %s) page"
            " UNION ALL SELECT 'group', COUNT(*), 0, 0, type, kind, city FROM hits GROUP BY type, kind, city"
            f" UNION ALL SELECT 'tag', COUNT(*), 0, 0, f.name, f.value, '' FROM hits"
            f" JOIN {facet_table} f ON f.document_id = hits.id GROUP BY f.name, f.value"
        )
        params = [*matched_params, *exact_params, *where_params, limit, offset]
        page_rows, groups, tags = [], [], []
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            for row_kind, n, relevance, is_exact, a, b, c in cursor.fetchall():
                if row_kind == "hit":
                    page_rows.append((n, relevance, bool(is_exact)))
                elif row_kind == "group":
                    groups.append((n, a, b, c))
                else:
                    tags.append((n, a, b))
        return page_rows, groups, tags

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

    def matched_sql(self, expansions: dict[str, list[str]], exact: bool = False) -> tuple[str, list]:
        """SQL selecting `(id, relevance)` of the documents matching every term (or its typo variants
        unless `exact`), title weighted above body."""
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

    def matched_sql(self, expansions, exact=False):
        return (
            f"SELECT rowid AS id, -bm25(search_fts, {self.TITLE_WEIGHT}, {self.BODY_WEIGHT}) AS relevance"
            " FROM search_fts WHERE search_fts MATCH %s",
            [self.match_expression(expansions, exact=exact)],
        )

    def title_prefix_condition(self, prefixes):
        expression = "folded_title : (" + " AND ".join(f'"{word}" *' for word in prefixes) + ")"
        return Q(pk__in=RawSQL("SELECT rowid FROM search_fts WHERE search_fts MATCH %s", [expression]))


class PostgresSearchBackend(DatabaseSearchBackend):
    """A weighted tsvector ('simple' configuration on folded text) with GIN; typos through pg_trgm."""

    def after_bulk_load(self) -> None:
        # Fresh statistics, or the planner takes the rebuilt table for empty
        # and scans it instead of using the GIN index (seen at 10,000 documents).
        with connection.cursor() as cursor:
            for model in (SearchDocument, SearchFacetValue, SearchTerm):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")

    # pg_trgm's default threshold (0.3) misses a transposition in a 5-letter
    # word; edit distance then discards what this lets through.
    SIMILARITY_THRESHOLD = 0.15

    def typo_candidates(self, term: str) -> list[str]:
        limit = max_edits(term)
        if not limit:
            return []
        with connection.cursor() as cursor:
            raw = connection.connection
            if getattr(raw, "_search_threshold_set", False) is not True:
                # A session setting: once per database connection is enough.
                cursor.execute(
                    "SELECT set_config('pg_trgm.similarity_threshold', %s, false)", [str(self.SIMILARITY_THRESHOLD)]
                )
                raw._search_threshold_set = True
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

    def matched_sql(self, expansions, exact=False):
        return (
            "SELECT id, ts_rank(search_vector, to_tsquery('simple', %s)) AS relevance"
            " FROM search_searchdocument WHERE search_vector @@ to_tsquery('simple', %s)",
            [self.tsquery(expansions, exact=exact)] * 2,
        )

    def title_prefix_condition(self, prefixes):
        # ':*A' is a prefix of a title lexeme (weight A).
        return self._matching(" & ".join(f"{word}:*A" for word in prefixes))


def where_clause(documents: QuerySet) -> tuple[str, list]:
    """The WHERE of `documents` (visibility and filters) as SQL over the `search_searchdocument` table."""
    query = documents.query
    sql, params = query.get_compiler(connection=connection).compile(query.where)
    return (sql or "1 = 1"), list(params)


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


def _add_terms(rows: list[dict]) -> None:
    """Record the vocabulary of analyzed rows (`_row_values`), for typo candidates."""
    terms = {
        term
        for row in rows
        for text in (row["folded_title"], row["folded_body"])
        for term in text.split()
        if len(term) <= 100
    }
    if terms:
        SearchTerm.objects.bulk_create([SearchTerm(term=term) for term in sorted(terms)], ignore_conflicts=True, batch_size=BATCH)
