from django.utils.translation import gettext_lazy
from rest_framework import serializers

from search import registry

# Each app's documents.py registers its types; these are accepted (and documented) even
# before any of their documents is indexed.
KNOWN_TYPES = ("actor", "project", "collaboration", "event")
MAX_PAGE = 500  # deeper pages cost the index more than anyone reads them
TYPE_LABELS = {
    "actor": gettext_lazy("actor"), "project": gettext_lazy("project"),
    "collaboration": gettext_lazy("collaboration request"), "event": gettext_lazy("event"),
}


def searchable_types() -> list[str]:
    return sorted(set(KNOWN_TYPES) | {handler.type for handler in registry.document_types()})


class SearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(max_length=200, help_text="What to look for; accents, case, plurals and typos forgiven.")
    type = serializers.ChoiceField(choices=[(type, TYPE_LABELS[type]) for type in KNOWN_TYPES], required=False)
    kind = serializers.CharField(max_length=30, required=False,
                                 help_text="An actor's kind (person, organization, city), a request's kind "
                                           "(partnership, …) or an event's kind (meetup, conference, …).")
    city = serializers.SlugField(max_length=50, required=False, help_text="a city handle")
    country = serializers.CharField(min_length=2, max_length=2, required=False, help_text="ISO 3166 alpha-2")
    sector = serializers.SlugField(max_length=50, required=False)
    skill = serializers.SlugField(max_length=50, required=False)
    page = serializers.IntegerField(min_value=1, max_value=MAX_PAGE, default=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["type"].choices = [(type, TYPE_LABELS.get(type, type)) for type in searchable_types()]


class SuggestQuerySerializer(serializers.Serializer):
    q = serializers.CharField(max_length=200, help_text="The beginning of a name or title.")


class SearchHitSerializer(serializers.Serializer):
    type = serializers.CharField()
    id = serializers.CharField(help_text="the actor's handle, the project's slug, the request's id or the event's slug")
    title = serializers.CharField()
    snippet = serializers.CharField()
    score = serializers.FloatField()


class FacetsSerializer(serializers.Serializer):
    type = serializers.DictField(child=serializers.IntegerField())
    kind = serializers.DictField(child=serializers.IntegerField())
    city = serializers.DictField(child=serializers.IntegerField())
    sector = serializers.DictField(child=serializers.IntegerField())
    skill = serializers.DictField(child=serializers.IntegerField())


class SearchResultsSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    results = SearchHitSerializer(many=True)
    facets = FacetsSerializer(help_text="value → number of results the caller may see, per facet")
    next = serializers.URLField(allow_null=True, help_text="the next page of results; null on the last page")


class AutocompleteSerializer(serializers.Serializer):
    type = serializers.CharField()
    id = serializers.CharField()
    title = serializers.CharField()


class AutocompleteListSerializer(serializers.Serializer):
    results = AutocompleteSerializer(many=True)
    next = serializers.URLField(allow_null=True, help_text="always null: suggestions fit on one page")
