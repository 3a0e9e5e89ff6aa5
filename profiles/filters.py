import django_filters

from profiles.models import Actor

VERIFIED_HELP = "true: only cities a moderator verified; false: only those awaiting it (people and organizations are never verified)."


class ActorFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=Actor.Kind.choices)
    city = django_filters.CharFilter(field_name="city__handle", help_text="Handle of the home city.")
    country = django_filters.CharFilter(method="filter_country", help_text="ISO 3166 alpha-2 code.")
    skill = django_filters.CharFilter(field_name="skills__slug")
    sector = django_filters.CharFilter(field_name="sectors__slug")
    interest = django_filters.CharFilter(field_name="interests__slug")
    verified = django_filters.BooleanFilter(help_text=VERIFIED_HELP)

    class Meta:
        model = Actor
        fields = ["kind", "city", "country", "skill", "sector", "interest", "verified"]

    def filter_country(self, queryset, name, value):
        return queryset.filter(country=value.upper())


class CityFilter(django_filters.FilterSet):
    country = django_filters.CharFilter(method="filter_country", help_text="ISO 3166 alpha-2 code.")
    verified = django_filters.BooleanFilter(help_text=VERIFIED_HELP)

    class Meta:
        model = Actor
        fields = ["country", "verified"]

    def filter_country(self, queryset, name, value):
        return queryset.filter(country=value.upper())
