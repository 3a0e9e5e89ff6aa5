"""The full-text machinery each database needs beside the model tables.

SQLite: an FTS5 index over the analyzed columns (external content, kept in
sync by triggers) and an FTS5 trigram index over the vocabulary for typo
candidates. PostgreSQL: pg_trgm and unaccent, an IMMUTABLE unaccent wrapper
(the extension's own function is only STABLE, so it cannot feed an index or a
generated column), a weighted tsvector column with a GIN index, and a trigram
GIN index over the vocabulary.
"""

from django.db import migrations

SQLITE_FORWARD = [
    """CREATE VIRTUAL TABLE search_fts USING fts5(
        folded_title, folded_body,
        content='search_searchdocument', content_rowid='id',
        prefix='2 3', tokenize='unicode61')""",
    """CREATE TRIGGER search_fts_insert AFTER INSERT ON search_searchdocument BEGIN
        INSERT INTO search_fts(rowid, folded_title, folded_body)
        VALUES (new.id, new.folded_title, new.folded_body);
    END""",
    """CREATE TRIGGER search_fts_delete AFTER DELETE ON search_searchdocument BEGIN
        INSERT INTO search_fts(search_fts, rowid, folded_title, folded_body)
        VALUES ('delete', old.id, old.folded_title, old.folded_body);
    END""",
    """CREATE TRIGGER search_fts_update AFTER UPDATE ON search_searchdocument BEGIN
        INSERT INTO search_fts(search_fts, rowid, folded_title, folded_body)
        VALUES ('delete', old.id, old.folded_title, old.folded_body);
        INSERT INTO search_fts(rowid, folded_title, folded_body)
        VALUES (new.id, new.folded_title, new.folded_body);
    END""",
    # '^' and '$' mark the ends of a term so that its first and last letters
    # make trigrams too: a typo in the middle of a 5-letter word still leaves
    # two trigrams in common.
    "CREATE VIRTUAL TABLE search_term_trigrams USING fts5(term, tokenize='trigram')",
    """CREATE TRIGGER search_term_insert AFTER INSERT ON search_searchterm BEGIN
        INSERT INTO search_term_trigrams(rowid, term) VALUES (new.id, '^' || new.term || '$');
    END""",
    """CREATE TRIGGER search_term_delete AFTER DELETE ON search_searchterm BEGIN
        DELETE FROM search_term_trigrams WHERE rowid = old.id;
    END""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS search_term_delete",
    "DROP TRIGGER IF EXISTS search_term_insert",
    "DROP TABLE IF EXISTS search_term_trigrams",
    "DROP TRIGGER IF EXISTS search_fts_update",
    "DROP TRIGGER IF EXISTS search_fts_delete",
    "DROP TRIGGER IF EXISTS search_fts_insert",
    "DROP TABLE IF EXISTS search_fts",
]

POSTGRESQL_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    """CREATE OR REPLACE FUNCTION search_unaccent(text) RETURNS text
        LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
        AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$""",
    # The text is folded in Python already; folding again here keeps the
    # index right for rows written by any other means (admin, raw SQL).
    """ALTER TABLE search_searchdocument ADD COLUMN search_vector tsvector
        GENERATED ALWAYS AS (
            setweight(to_tsvector('simple'::regconfig, search_unaccent(lower(folded_title))), 'A')
            || setweight(to_tsvector('simple'::regconfig, search_unaccent(lower(folded_body))), 'B')
        ) STORED""",
    "CREATE INDEX search_doc_vector ON search_searchdocument USING gin (search_vector)",
    "CREATE INDEX search_term_trgm ON search_searchterm USING gin (term gin_trgm_ops)",
]
POSTGRESQL_BACKWARD = [
    "DROP INDEX IF EXISTS search_term_trgm",
    "DROP INDEX IF EXISTS search_doc_vector",
    "ALTER TABLE search_searchdocument DROP COLUMN IF EXISTS search_vector",
    "DROP FUNCTION IF EXISTS search_unaccent(text)",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRESQL_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRESQL_BACKWARD}),
        )
    ]
