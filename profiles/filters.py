import django_filters

from profiles.models import Actor


class ActorFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=Actor.Kind.choices)
    city = django_filters.CharFilter(field_name="city__handle", help_text="Handle of the home city.")
    country = django_filters.CharFilter(method="filter_country", help_text="ISO 3166 alpha-2 code.")
    skill = django_filters.CharFilter(field_name="skills__slug")
    sector = django_filters.CharFilter(field_name="sectors__slug")
    interest = django_filters.CharFilter(field_name="interests__slug")

    class Meta:
        model = Actor
        fields = ["kind", "city", "country", "skill", "sector", "interest"]

    def filter_country(self, queryset, name, value):
        return queryset.filter(country=value.upper())


class CityFilter(django_filters.FilterSet):
    country = django_filters.CharFilter(method="filter_country", help_text="ISO 3166 alpha-2 code.")

    class Meta:
        model = Actor
        fields = ["country"]

    def filter_country(self, queryset, name, value):
        return queryset.filter(country=value.upper())
