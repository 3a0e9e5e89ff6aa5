import django_filters
from django.db.models import Q
from django_filters.widgets import BooleanWidget

from profiles.selectors import viewer_actor
from projects.models import CollaborationRequest, Project
from projects.selectors import incoming_requests


class ProjectFilter(django_filters.FilterSet):
    city = django_filters.CharFilter(field_name="city__handle", help_text="Handle of the project's city.")
    stage = django_filters.ChoiceFilter(choices=Project.Stage.choices)
    sector = django_filters.CharFilter(field_name="sectors__slug", help_text="A sector tag slug.")
    skill_needed = django_filters.CharFilter(field_name="needed_skills__slug", help_text="A needed skill tag slug.")
    owner = django_filters.CharFilter(field_name="owner__handle", help_text="Handle of the owner.")

    class Meta:
        model = Project
        fields = ["city", "stage", "sector", "skill_needed", "owner"]


class CollaborationRequestFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=CollaborationRequest.Status.choices)
    kind = django_filters.ChoiceFilter(choices=CollaborationRequest.Kind.choices)
    city = django_filters.CharFilter(
        method="filter_city", help_text="Handle of a city: the request comes from it or is addressed to it."
    )
    incoming = django_filters.BooleanFilter(
        widget=BooleanWidget,
        method="filter_incoming",
        help_text="1: requests addressed to me, my organizations, my projects or my city (and its peers).",
    )

    class Meta:
        model = CollaborationRequest
        fields = ["status", "kind", "city", "incoming"]

    def filter_city(self, queryset, name, value):
        return queryset.filter(Q(origin_city__handle=value) | Q(to_city__handle=value))

    def filter_incoming(self, queryset, name, value):
        if not value:
            return queryset
        me = viewer_actor(self.request.user if self.request else None)
        if me is None:
            return queryset.none()
        return incoming_requests(queryset, me)
