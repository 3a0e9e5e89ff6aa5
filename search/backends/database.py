"""Full-text search in the database: SQLite FTS5 on the embedded default, PostgreSQL full-text at scale.

Both read the same `SearchDocument` rows, whose text was analyzed in Python
(`search.text`), so both fold accents, elisions and plurals the same way.
Typos: each query term is widened to the indexed terms within its edit
allowance, found by trigrams in the vocabulary (`SearchTerm`) and checked by
edit distance. Visibility: each row stores its audience (public, signed-in,
or the listed members; hidden when suspended), computed by its kind's
`documents.py` from the rules of its visibility selector and kept current by
the sync; queries filter on those columns, in results, counts, facets and
suggestions alike. The equivalence with the selectors is tested for several
viewers (tests/search/test_backends.py).

Cost: counts and facets are one GROUP BY over the visible matches; only a
bounded candidate set is ranked (see `_page`); suggestions are a B-tree range
over title words.
"""

import logging
from collections.abc import Callable, Iterable
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet

from profiles.selectors import viewer_actor
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
from search.models import (
    SearchDocument,
    SearchFacetValue,
    SearchMember,
    SearchTerm,
    SearchTitleWord,
)
from search.text import analyze, fuzzy_matches, max_edits, prefix_terms, query_terms, snippet

logger = logging.getLogger(__name__)

MAX_CANDIDATES = 200
BATCH = 500
# How many matches are ranked per page request, at most: the best `RANK_CAP`
# by a cheap order (title matches first) are scored, not every match. A
# query matching more than this (a very common word at 150,000 documents)
# gets a page drawn from its title matches, which is what it would rank first.
RANK_CAP = 1000
# Count and facets read at most this many visible matches. A word found in
# most of 50,000 documents made them a scan of the whole index (over a second
# on SQLite); past the cap `count` reads COUNT_CAP and facets describe the
# first COUNT_CAP matches, as search engines report "10,000+" hits.
COUNT_CAP = 2000


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
        """Write what changed, in a few statements whatever the number of documents.

        A document whose row, facets and members already say what it says is left
        alone: most writes change something its document does not show (a response
        to a request). The others are upserted in one statement, and only their
        child rows that differ are replaced."""
        if not documents:
            return
        wanted = {document.key: (document, _row_values(document)) for document in documents}
        stored = _stored(list(wanted))
        changes = []
        for key, (document, values) in wanted.items():
            before = stored.get(key)
            facets, members = set(_facet_pairs(document)), set(_member_ids(document))
            if before is None:
                # A new row's children are replaced too: another process may have written it meanwhile.
                changes.append(_Change(document, values, facets=True, members=True, title_words=True))
            elif (values, facets, members) != (before.values, before.facets, before.members):
                changes.append(_Change(
                    document, values, facets=facets != before.facets, members=members != before.members,
                    title_words=values["folded_title"] != before.values["folded_title"],
                ))
        if not changes:
            return
        with transaction.atomic():
            rows = SearchDocument.objects.bulk_create(
                [SearchDocument(key=change.document.key, **change.values) for change in changes],
                update_conflicts=True, unique_fields=["key"], update_fields=[*ROW_FIELDS, "updated"],
            )
            cleared = {SearchFacetValue: [], SearchMember: [], SearchTitleWord: []}
            added = {SearchFacetValue: [], SearchMember: [], SearchTitleWord: []}
            for row, change in zip(rows, changes, strict=True):
                if change.facets:
                    cleared[SearchFacetValue].append(row.pk)
                    added[SearchFacetValue] += _facet_rows(row, change.document)
                if change.members:
                    cleared[SearchMember].append(row.pk)
                    added[SearchMember] += _member_rows(row, change.document)
                if change.title_words:
                    cleared[SearchTitleWord].append(row.pk)
                    added[SearchTitleWord] += _title_word_rows(row, change.values)
            for model, pks in cleared.items():
                if pks:
                    # No signal or cascade concerns these rows: one DELETE, not Django's SELECT then DELETE.
                    model.objects.filter(document_id__in=pks)._raw_delete(model.objects.db)
                model.objects.bulk_create(added[model], batch_size=BATCH)
            _add_terms([change.values for change in changes])

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
        members = [member for row, document in zip(rows, documents, strict=True) for member in _member_rows(row, document)]
        SearchMember.objects.bulk_create(members, batch_size=BATCH)
        words = [word for row, values in zip(rows, analyzed, strict=True) for word in _title_word_rows(row, values)]
        SearchTitleWord.objects.bulk_create(words, batch_size=BATCH)
        _add_terms(analyzed)
        if progress:
            progress(len(documents))
        return len(documents)

    # --- reading -----------------------------------------------------------
    def visible_documents(self, viewer) -> QuerySet[SearchDocument]:
        """Documents the viewer may see, by the audience stored with each (see the module docstring)."""
        documents = SearchDocument.objects.filter(hidden=False)
        me = viewer_actor(viewer)
        if me is None:
            return documents.filter(audience=registry.Audience.EVERYONE)
        # Members-only rows: the viewer's own member rows, one index range on (actor_id, document).
        mine = SearchMember.objects.filter(actor_id=me.pk).values("document_id")
        documents = documents.filter(
            Q(audience__in=[registry.Audience.EVERYONE, registry.Audience.SIGNED_IN])
            | Q(audience=registry.Audience.LISTED, pk__in=mine)
        )
        for type_, excluded in registry.exclusions_for(viewer).items():
            documents = documents.exclude(type=type_, object_pk__in=excluded)
        return documents

    def filtered_documents(self, viewer, filters: dict) -> QuerySet[SearchDocument]:
        documents = self.visible_documents(viewer)
        for name in ("type", "kind", "country"):
            if name in filters:
                documents = documents.filter(**{name: filters[name]})
        if "city" in filters:
            # A collaboration request is in its origin and every target city (`Document.places`).
            documents = documents.filter(
                Q(city=filters["city"])
                | Exists(SearchFacetValue.objects.filter(document=OuterRef("pk"), name="place", value=filters["city"]))
            )
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
        where, where_params = where_clause(self.filtered_documents(viewer, clean_filters(filters)))
        offset = (max(page, 1) - 1) * PAGE_SIZE
        groups, tags = self._facets(expansions, where, where_params)
        total = sum(group[0] for group in groups)
        page_rows = self._page(expansions, where, where_params, offset=offset, limit=PAGE_SIZE, total=total)
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

    def _facets(self, expansions: dict[str, list[str]], where: str, where_params: list):
        """The count and facets of the visible matches: one GROUP BY each, nothing ranked.

        The matching ids come from the full-text index alone; visibility and
        filters are column tests on the matched rows (no subquery per row).
        """
        matches_sql, match_params = self.matches_sql(expansions)
        table = SearchDocument._meta.db_table
        facet_table = SearchFacetValue._meta.db_table
        sql = (
            f"WITH hits AS MATERIALIZED (SELECT {table}.id AS id, {table}.type AS type, {table}.kind AS kind,"
            f" {table}.city AS city {matches_sql} AND {where} LIMIT %s)"
            " SELECT 'group', COUNT(*), type, kind, city FROM hits GROUP BY type, kind, city"
            # CROSS JOIN keeps hits outside (SQLite takes the join order as written): each
            # hit's facets are read by document; otherwise SQLite reads every sector and
            # skill row of the table and probes the hits with each.
            f" UNION ALL SELECT 'tag', COUNT(*), f.name, f.value, '' FROM hits"
            f" CROSS JOIN {facet_table} f WHERE f.document_id = hits.id AND f.name IN ('sector', 'skill')"
            " GROUP BY f.name, f.value"
        )
        groups, tags = [], []
        with connection.cursor() as cursor:
            cursor.execute(sql, [*match_params, *where_params, COUNT_CAP])
            for row_kind, n, a, b, c in cursor.fetchall():
                if row_kind == "group":
                    groups.append((n, a, b, c))
                else:
                    tags.append((n, a, b))
        return groups, tags

    def _page(self, expansions, where: str, where_params: list, *, offset: int, limit: int, total: int):
        """One page of `(id, relevance, exact)`: exact matches first, then forgiven typos, each by relevance.

        Each group is ranked separately (the typo group excludes the exact
        matches in the full-text query itself), so neither has to be ranked
        beyond `offset + limit`: the page of the combined order is the exact
        group's best, then the typo group's best.
        """
        wanted = min(offset + limit, total)
        if wanted <= offset:
            return []
        exact = self.ranked(expansions, False, where, where_params, wanted)
        rows = [(pk, relevance, True) for pk, relevance in exact]
        has_typos = any(len(alternatives) > 1 for alternatives in expansions.values())
        if has_typos and len(rows) < wanted:
            fuzzy = self.ranked(expansions, True, where, where_params, wanted - len(rows))
            rows += [(pk, relevance, False) for pk, relevance in fuzzy]
        return rows[offset:wanted]

    def suggest(self, prefix: str, *, viewer=None, limit: int = SUGGEST_LIMIT) -> list[dict]:
        """Titles with a word starting with each typed prefix, shortest first.

        Driven by the longest prefix (the most selective) as a range over the
        title-word B-tree; the other prefixes are probes of the same index.
        Only the first `RANK_CAP` candidates by that index are ordered, so a
        two-letter prefix costs the same as a long one.
        """
        prefixes = prefix_terms(prefix)
        if not prefixes or sum(len(word) for word in prefixes) < 2:
            return []
        driver = max(prefixes, key=len)
        others = [word for word in prefixes if word != driver]
        where, where_params = where_clause(self.visible_documents(viewer))
        table = SearchDocument._meta.db_table
        words_table = SearchTitleWord._meta.db_table
        driver_sql, driver_params = self.word_prefix_sql("w", driver)
        probes, probe_params = [], []
        for word in others:
            probe_sql, params = self.word_prefix_sql("o", word)
            probes.append(
                f" AND EXISTS (SELECT 1 FROM {words_table} o WHERE o.document_id = {table}.id AND {probe_sql})"
            )
            probe_params += params
        sql = (
            f"SELECT type, ident, title FROM (SELECT DISTINCT {table}.id, {table}.type AS type,"
            f" {table}.ident AS ident, {table}.title AS title"
            f" FROM {words_table} w JOIN {table} ON {table}.id = w.document_id"
            f" WHERE {driver_sql} AND {where}{''.join(probes)} LIMIT %s) candidates"
            " ORDER BY LENGTH(title), title, id LIMIT %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [*driver_params, *where_params, *probe_params, RANK_CAP, limit])
            return [{"type": type_, "id": ident, "title": title} for type_, ident, title in cursor.fetchall()]

    # --- what each vendor does its own way ------------------------------------
    def typo_candidates(self, term: str) -> list[str]:
        raise NotImplementedError

    def query_text(self, expansions: dict[str, list[str]], exact: bool = False) -> str:
        """The full-text query: every term (or one of its typo variants unless `exact`)."""
        raise NotImplementedError

    def match_ids_sql(self, expansions: dict[str, list[str]]) -> tuple[str, list]:
        """SQL selecting the ids of the documents matching every term or one of its variants."""
        raise NotImplementedError

    def matches_sql(self, expansions: dict[str, list[str]]) -> tuple[str, list]:
        """`FROM ... WHERE ...` over the documents table, keeping the matching documents."""
        table = SearchDocument._meta.db_table
        match_sql, match_params = self.match_ids_sql(expansions)
        return f"FROM {table} WHERE {table}.id IN ({match_sql})", match_params

    def ranked(self, expansions, typos: bool, where: str, where_params: list, limit: int) -> list[tuple]:
        """The best `limit` visible, filtered `(id, relevance)` matching the exact terms, or with
        `typos` those matching only through a typo variant; title weighted above body, ranking at
        most about `RANK_CAP` candidates."""
        raise NotImplementedError

    def word_prefix_sql(self, alias: str, prefix: str) -> tuple[str, list]:
        """A condition on `<alias>.word` starting with `prefix` that the title-word index serves."""
        raise NotImplementedError


class SQLiteSearchBackend(DatabaseSearchBackend):
    """FTS5 over the analyzed columns (title weighted 10, body 1), typos through an FTS5 trigram vocabulary."""

    TITLE_WEIGHT, BODY_WEIGHT = 10.0, 1.0
    # bm25 is most of a ranking's cost: 400 candidates (200 by title, 200 anywhere)
    # for a page of 20 cost a third of 2,000 (150,000 documents, measured).
    RANK_CAP = 200

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

    def query_text(self, expansions, exact=False):
        # Terms are [a-z0-9]+ (search.text), so quoting them is all FTS5 needs.
        groups = []
        for alternatives in expansions.values():
            words = alternatives[:1] if exact else alternatives
            groups.append("(" + " OR ".join(f'"{word}"' for word in words) + ")")
        return " AND ".join(groups)

    def match_ids_sql(self, expansions):
        return "SELECT rowid FROM search_fts WHERE search_fts MATCH %s", [self.query_text(expansions)]

    def matches_sql(self, expansions):
        # The full-text index drives and the LIMIT stops it early: under `id IN (...)`
        # SQLite lists every match first (27 ms against 1.2 ms for a word in 91,000 of
        # 150,000 documents).
        table = SearchDocument._meta.db_table
        return (
            f"FROM search_fts JOIN {table} ON {table}.id = search_fts.rowid WHERE search_fts MATCH %s",
            [self.query_text(expansions)],
        )

    def ranked(self, expansions, typos, where, where_params, limit):
        query = self.query_text(expansions, exact=True)
        if typos:
            query = f"({self.query_text(expansions)}) NOT ({query})"
        title_query = f"folded_title : ({query})"
        table = SearchDocument._meta.db_table
        # Candidates: up to RANK_CAP title matches (what bm25 with the title
        # weighted 10 puts first), then up to RANK_CAP matches anywhere; bm25
        # is computed only for the rows FTS5 hands out before its LIMIT, not
        # for every match of a common word. Title matches rank first, then by
        # bm25; only those passing visibility and filters are kept.
        candidates = (
            f"SELECT rowid AS id, 1 AS in_title, bm25(search_fts, {self.TITLE_WEIGHT}, {self.BODY_WEIGHT}) AS score"
            " FROM search_fts WHERE search_fts MATCH %s LIMIT %s"
        )
        sql = (
            f"SELECT {table}.id, -MIN(c.score) FROM (SELECT * FROM ({candidates})"
            f" UNION ALL SELECT * FROM ({candidates.replace('1 AS in_title', '0 AS in_title')})) c"
            f" JOIN {table} ON {table}.id = c.id WHERE {where}"
            f" GROUP BY {table}.id ORDER BY MAX(c.in_title) DESC, MIN(c.score), {table}.id LIMIT %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [title_query, self.RANK_CAP, query, self.RANK_CAP, *where_params, limit])
            rows = cursor.fetchall()
            if len(rows) < limit:
                # Filters or visibility left too few of the capped candidates: rank every match.
                cursor.execute(sql, [title_query, -1, query, -1, *where_params, limit])
                rows = cursor.fetchall()
        return rows

    def word_prefix_sql(self, alias, prefix):
        # Bytewise comparison: every word starting with `prefix` sorts in [prefix, prefix + U+FFFF).
        return f"{alias}.word >= %s AND {alias}.word < %s", [prefix, prefix + "\uffff"]


class PostgresSearchBackend(DatabaseSearchBackend):
    """A weighted tsvector ('simple' configuration on folded text) with GIN; typos through pg_trgm."""

    def after_bulk_load(self) -> None:
        # Fresh statistics, or the planner takes the rebuilt table for empty
        # and scans it instead of using the GIN index (seen at 10,000 documents).
        with connection.cursor() as cursor:
            for model in (SearchDocument, SearchFacetValue, SearchTerm, SearchMember, SearchTitleWord):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")

    # ts_rank reads each candidate's whole tsvector from the table: 200 title
    # and 200 body candidates a group halved the ranking time of a common
    # word against 1,000 (10,000 documents, measured) for a page of 20.
    RANK_CAP = 200

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

    def query_text(self, expansions, exact=False, weight=""):
        # Terms are [a-z0-9]+ (search.text): no tsquery operator can slip in.
        groups = []
        for alternatives in expansions.values():
            words = alternatives[:1] if exact else alternatives
            groups.append("(" + " | ".join(f"{word}{weight}" for word in words) + ")")
        return " & ".join(groups)

    def match_ids_sql(self, expansions):
        return (
            "SELECT id FROM search_searchdocument WHERE search_vector @@ to_tsquery('simple', %s)",
            [self.query_text(expansions)],
        )

    def ranked(self, expansions, typos, where, where_params, limit):
        # Every term in the title (weight A) is what ts_rank puts first: those
        # matches are taken first, then body matches, `RANK_CAP` at most, and
        # only they are ranked: ts_rank reads each candidate's whole vector,
        # which over every match of a common word cost seconds.
        query = self.query_text(expansions, exact=not typos)
        title_query = self.query_text(expansions, exact=not typos, weight=":A")
        if typos:
            exact = self.query_text(expansions, exact=True)
            query, title_query = f"({query}) & !({exact})", f"({title_query}) & !({exact})"
        table = SearchDocument._meta.db_table
        sql = (
            "WITH candidates AS MATERIALIZED ("
            f" (SELECT {table}.id, {table}.search_vector FROM {table}"
            f" WHERE {table}.search_vector @@ to_tsquery('simple', %s) AND {where} LIMIT %s)"
            f" UNION (SELECT {table}.id, {table}.search_vector FROM {table}"
            f" WHERE {table}.search_vector @@ to_tsquery('simple', %s) AND {where} LIMIT %s))"
            " SELECT id, ts_rank(search_vector, to_tsquery('simple', %s)) AS relevance FROM candidates"
            " ORDER BY relevance DESC, id LIMIT %s"
        )
        params = [title_query, *where_params, self.RANK_CAP, query, *where_params, self.RANK_CAP, query, limit]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def word_prefix_sql(self, alias, prefix):
        # text_pattern_ops (migration 0003) serves LIKE 'prefix%'; terms are [a-z0-9]+, nothing to escape.
        return f"{alias}.word LIKE %s", [prefix + "%"]


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
        "object_pk": str(document.object_pk),
        "ident": str(document.ident)[:120],
        "title": document.title[:300],
        "body": document.body,
        "folded_title": " ".join(analyze(document.title)),
        "folded_body": " ".join(analyze(document.body)),
        "kind": document.kind or "",
        "city": document.city or "",
        "country": (document.country or "").upper(),
        "audience": document.audience,
        "hidden": document.hidden,
    }


# The columns of a document's own row, besides its key (`_row_values`).
ROW_FIELDS = [field.name for field in SearchDocument._meta.concrete_fields if field.name not in ("id", "key", "updated")]


class _StoredDocument(NamedTuple):
    """What the index holds of one document, in the terms of `_row_values`, `_facet_pairs` and `_member_ids`."""

    values: dict
    facets: set
    members: set


class _Change(NamedTuple):
    """A document to write, and which of its child rows no longer say what it says."""

    document: registry.Document
    values: dict
    facets: bool
    members: bool
    title_words: bool


def _stored(keys: list[str]) -> dict[str, _StoredDocument]:
    """{key: what the index holds} of the `keys` that are indexed: three queries at most."""
    rows = SearchDocument.objects.filter(key__in=keys).values_list("pk", "key", *ROW_FIELDS)
    by_pk = {row[0]: (row[1], dict(zip(ROW_FIELDS, row[2:], strict=True))) for row in rows}
    facets = {pk: set() for pk in by_pk}
    members = {pk: set() for pk in by_pk}
    if by_pk:
        for pk, name, value in SearchFacetValue.objects.filter(document_id__in=list(by_pk)).values_list(
            "document_id", "name", "value"
        ):
            facets[pk].add((name, value))
    # Only members-only rows have member rows (`_member_ids`).
    listed = [pk for pk, (_, values) in by_pk.items() if values["audience"] == registry.Audience.LISTED]
    if listed:
        for pk, actor_id in SearchMember.objects.filter(document_id__in=listed).values_list("document_id", "actor_id"):
            members[pk].add(actor_id)
    return {key: _StoredDocument(values, facets[pk], members[pk]) for pk, (key, values) in by_pk.items()}


def _facet_pairs(document: registry.Document) -> list[tuple[str, str]]:
    # "place": the cities besides `city` that the city filter finds the document by (not a facet).
    places = [place for place in document.places if place != (document.city or "")]
    return [
        (name, value[:50])
        for name, values in (("sector", document.sectors), ("skill", document.skills), ("place", places))
        for value in dict.fromkeys(values)
    ]


def _facet_rows(row: SearchDocument, document: registry.Document) -> list[SearchFacetValue]:
    return [SearchFacetValue(document=row, name=name, value=value) for name, value in _facet_pairs(document)]


def _member_ids(document: registry.Document) -> list[int]:
    if document.audience != registry.Audience.LISTED:
        return []
    return list(dict.fromkeys(document.member_ids))


def _member_rows(row: SearchDocument, document: registry.Document) -> list[SearchMember]:
    return [SearchMember(document=row, actor_id=actor_id) for actor_id in _member_ids(document)]


def _title_word_rows(row: SearchDocument, values: dict) -> list[SearchTitleWord]:
    return [SearchTitleWord(document=row, word=word) for word in dict.fromkeys(values["folded_title"].split()) if len(word) <= 100]


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
