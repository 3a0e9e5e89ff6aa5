"""The search index kept in the database (SQLite FTS5 or PostgreSQL full-text).

One row per indexed object, whatever its kind. Who may see a row is stored
with it (`audience`, `hidden` and, for members-only rows, `SearchMember`
rows), computed by each kind's `documents.py` from the same rules as its
visibility selector and kept current by `search.sync`. Filtering on these
columns is a few index probes; asking the selector per match was a subquery
per matching row, which dominated every search at 50,000 documents.
"""

from django.db import models
from django.utils import timezone


class SearchDocument(models.Model):
    key = models.CharField(max_length=120, unique=True)  # "actor:<pk>", "project:<pk>"
    type = models.CharField(max_length=20)
    # The object's primary key as text: a number for most kinds, a slug for events.
    object_pk = models.CharField(max_length=120)
    ident = models.CharField(max_length=120)  # the public id: handle, slug, request id
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    # Analyzed text (search.text.analyze): what the full-text index reads.
    folded_title = models.TextField(blank=True)
    folded_body = models.TextField(blank=True)
    kind = models.CharField(max_length=30, blank=True)
    city = models.CharField(max_length=50, blank=True)  # handle of the city
    country = models.CharField(max_length=2, blank=True)
    audience = models.CharField(max_length=10, default="everyone")  # search.registry.Audience
    hidden = models.BooleanField(default=False)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["city"], name="search_doc_city"),
            models.Index(fields=["country"], name="search_doc_country"),
        ]

    def __str__(self) -> str:
        return self.key


class SearchFacetValue(models.Model):
    """One value of a many-valued facet of a document (a sector or a skill)."""

    document = models.ForeignKey(SearchDocument, on_delete=models.CASCADE, related_name="facet_values")
    name = models.CharField(max_length=20)
    value = models.CharField(max_length=50)

    class Meta:
        indexes = [models.Index(fields=["name", "value"], name="search_facet_name_value")]

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


class SearchTerm(models.Model):
    """The vocabulary of the index: typo candidates are looked up here by trigrams."""

    term = models.CharField(max_length=100, unique=True)

    def __str__(self) -> str:
        return self.term


class SearchMember(models.Model):
    """An actor who may see a members-only document (`audience = "listed"`)."""

    document = models.ForeignKey(SearchDocument, on_delete=models.CASCADE, related_name="members")
    actor_id = models.BigIntegerField()

    class Meta:
        # Read as "the documents this viewer is a member of": actor first.
        indexes = [models.Index(fields=["actor_id", "document"], name="search_member_actor")]

    def __str__(self) -> str:
        return f"{self.actor_id} may see {self.document_id}"


class SearchTitleWord(models.Model):
    """One distinct word of a document's folded title, for autocomplete.

    A prefix is a range over the B-tree on `word` (`>= p AND < p || '\uffff'`
    on SQLite, `LIKE 'p%'` with text_pattern_ops on PostgreSQL, migration
    0003): one descent whatever the index size, where a full-text prefix
    query had to collect and sort every match.
    """

    document = models.ForeignKey(SearchDocument, on_delete=models.CASCADE, related_name="title_words")
    word = models.CharField(max_length=100)

    def __str__(self) -> str:
        return self.word


class PendingIndexKey(models.Model):
    """The outbox of the index: a document the backend could not take (Elasticsearch
    unreachable), kept until a later sync (`reindex --pending`, the periodic
    `search.tasks.index_pending`) indexes it."""

    key = models.CharField(max_length=120, unique=True)  # "actor:<pk>", as SearchDocument.key
    # When it last failed: a sync forgets only what failed before it read the key.
    since = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.key
