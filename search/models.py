"""The search index kept in the database (SQLite FTS5 or PostgreSQL full-text).

One row per indexed object, whatever its kind. Who may see a row is not
stored here: it is decided at query time by the visibility selector of the
row's kind (see `search.registry`), the same function every other path uses.
"""

from django.db import models


class SearchDocument(models.Model):
    key = models.CharField(max_length=120, unique=True)  # "actor:<pk>", "project:<pk>"
    type = models.CharField(max_length=20)
    object_pk = models.BigIntegerField()
    ident = models.CharField(max_length=120)  # the public id: handle, slug, request id
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    # Analyzed text (search.text.analyze): what the full-text index reads.
    folded_title = models.TextField(blank=True)
    folded_body = models.TextField(blank=True)
    kind = models.CharField(max_length=30, blank=True)
    city = models.CharField(max_length=50, blank=True)  # handle of the city
    country = models.CharField(max_length=2, blank=True)
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
