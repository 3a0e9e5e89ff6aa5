"""`/api/v1/search/` and `/api/v1/search/suggest/`: parse, ask the search backend for this viewer, answer."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from search.backends import get_search_backend
from search.backends.base import PAGE_SIZE
from search.serializers import (
    MAX_PAGE,
    AutocompleteListSerializer,
    SearchQuerySerializer,
    SearchResultsSerializer,
    SuggestQuerySerializer,
)

UNAVAILABLE = OpenApiResponse(
    description="The search index (Elasticsearch) does not answer: `{detail}` says so, with Retry-After. "
    "Writes meanwhile succeed; their documents are indexed once it answers again."
)


class SearchView(APIView):
    permission_classes = [permissions.AllowAny]
    throttle_scope = "search"

    @extend_schema(
        parameters=[SearchQuerySerializer],
        responses={200: SearchResultsSerializer, 503: UNAVAILABLE},
        tags=["search"],
        summary="Full-text search over actors, projects, collaboration requests and events",
        description="French and English: accents, case, elisions and plurals do not matter; one typo is "
        "forgiven in words of 5 to 8 letters, two from 9. Titles rank above body text, exact words above "
        "forgiven typos. Results, count and facets hold only what the caller may see (a private event only "
        "its organizers' circle; a hidden event, or one with a suspended organizer, nobody). 20 results a page. "
        "`type` is `actor`, `project`, `collaboration` or `event`; an event's `kind` is its kind (meetup, …) "
        "and its `city` the city it takes place in.",
    )
    def get(self, request):
        params = SearchQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = dict(params.validated_data)
        query, page = data.pop("q"), data.pop("page")
        results = get_search_backend().search(query, filters=data, viewer=request.user, page=page)
        more = results["count"] > page * PAGE_SIZE and page < MAX_PAGE
        next_url = replace_query_param(request.build_absolute_uri(), "page", page + 1) if more else None
        return Response(SearchResultsSerializer({**results, "next": next_url}).data)


class SuggestView(APIView):
    permission_classes = [permissions.AllowAny]
    throttle_scope = "search"

    @extend_schema(
        parameters=[SuggestQuerySerializer],
        responses={200: AutocompleteListSerializer, 503: UNAVAILABLE},
        tags=["search"],
        summary="Autocomplete: up to 10 titles whose words start as typed",
        description="Actors' names and the titles of projects, collaboration requests and events the caller "
        "may see.",
    )
    def get(self, request):
        params = SuggestQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        suggestions = get_search_backend().suggest(params.validated_data["q"], viewer=request.user)
        return Response(AutocompleteListSerializer({"results": suggestions, "next": None}).data)
