import csv
import json
from collections.abc import Iterator

from django.conf import settings
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, serializers
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.views import APIView

from events.selectors import rolled_up_city_ids, territory_for_viewer
from opendata.selectors import DATASETS, LICENCE, row_batches
from profiles.models import Actor
from profiles.selectors import actor_for_viewer

DATASET_LABELS = {"actors": gettext_lazy("organizations"), "projects": gettext_lazy("projects"), "events": gettext_lazy("events")}


class ExportQuerySerializer(serializers.Serializer):
    entity = serializers.ChoiceField(choices=[(name, DATASET_LABELS.get(name, name)) for name in DATASETS])
    format = serializers.ChoiceField(choices=["json", "csv"], default="json")


class FormatIsOurs(DefaultContentNegotiation):
    """`?format=` picks the export's format here, not DRF's renderer."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class _Line:
    """csv.writer writes into this and gets the line back."""

    def write(self, value: str) -> str:
        return value


def _cell(value) -> str:
    if isinstance(value, list):
        return ";".join(value)
    return "" if value is None else str(value)


def csv_chunks(columns: list[str], batches: Iterator[list[dict]]) -> Iterator[str]:
    writer = csv.writer(_Line())
    yield writer.writerow(columns)
    for batch in batches:
        yield "".join(writer.writerow([_cell(row[name]) for name in columns]) for row in batch)


def json_chunks(head: dict, batches: Iterator[list[dict]]) -> Iterator[str]:
    yield json.dumps(head, ensure_ascii=False)[:-1] + ', "results": ['
    first = True
    for batch in batches:
        text = ", ".join(json.dumps(row, ensure_ascii=False) for row in batch)
        yield text if first else ", " + text
        first = False
    yield '], "next": null}'


def streamed(chunks: Iterator[str]) -> Iterator[bytes]:
    """The export's bytes, batch by batch: the server consumes it on the request's own
    thread, sending each batch as soon as it is read (novosphere/http_handler.py)."""
    for chunk in chunks:
        yield chunk.encode()


EXPORT_SCHEMA = extend_schema(
    tags=["open data"],
    parameters=[ExportQuerySerializer],
    responses={
        (200, "application/json"): OpenApiResponse(
            OpenApiTypes.OBJECT,
            description="`{licence: {name, url, spdx}, scope, entity, generated, results: [...], next: null}`",
        ),
        (200, "text/csv"): OpenApiResponse(
            OpenApiTypes.STR, description="One row per item, `;` between the tags of a cell; "
            "the licence in the `Link` header (rel=license)",
        ),
        404: OpenApiResponse(description="Unknown city or territory"),
    },
)


class ExportView(APIView):
    permission_classes = [permissions.AllowAny]
    authentication_classes = []  # open data is the same for everyone
    content_negotiation_class = FormatIsOurs

    def scope(self, handle: str) -> tuple[dict, set[int]]:
        raise NotImplementedError

    def get(self, request: Request, handle: str) -> StreamingHttpResponse:
        scope, city_ids = self.scope(handle)  # unknown or hidden first: a 404 whatever the query
        query = ExportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        entity, fmt = query.validated_data["entity"], query.validated_data["format"]
        batches = row_batches(entity=entity, city_ids=city_ids, base_url=settings.PUBLIC_URL)
        if fmt == "csv":
            response = StreamingHttpResponse(
                streamed(csv_chunks(DATASETS[entity].columns, batches)), content_type="text/csv; charset=utf-8"
            )
            response["Content-Disposition"] = f'attachment; filename="{scope["handle"]}-{entity}.csv"'
        else:
            head = {"licence": LICENCE, "scope": scope, "entity": entity, "generated": timezone.now().isoformat()}
            response = StreamingHttpResponse(streamed(json_chunks(head, batches)), content_type="application/json")
        response["Link"] = f'<{LICENCE["url"]}>; rel="license"; title="{LICENCE["name"]}"'
        response["X-Licence"] = LICENCE["name"].replace("/", "-").encode("ascii", "ignore").decode()
        return response


class CityExportView(ExportView):
    @extend_schema(
        summary="Open data of a city: its public organizations, projects or events (JSON or CSV)",
        description="`entity=actors|projects|events`, `format=json|csv`, under the Licence Ouverte / Etalab 2.0 "
        "(named in the answer and its `Link` header). Only what an anonymous visitor sees; people are personal "
        "data and are never exported. The answer streams, so a large city never sits in memory.",
    )
    def get(self, request: Request, handle: str) -> StreamingHttpResponse:
        return super().get(request, handle)

    def scope(self, handle: str) -> tuple[dict, set[int]]:
        city = actor_for_viewer(viewer=None, handle=handle, kind=Actor.Kind.CITY)
        return {"kind": "city", "handle": city.handle, "name": city.name}, {city.pk}


class TerritoryExportView(ExportView):
    @extend_schema(
        summary="Open data of a territory, every level: its public organizations, projects or events",
        description="As a city's export, over every city of the territory and of the territories inside it: "
        "`entity=actors|projects|events`, `format=json|csv`, Licence Ouverte / Etalab 2.0.",
    )
    def get(self, request: Request, handle: str) -> StreamingHttpResponse:
        return super().get(request, handle)

    def scope(self, handle: str) -> tuple[dict, set[int]]:
        territory = territory_for_viewer(handle=handle)
        return {"kind": "territory", "handle": territory.handle, "name": territory.name}, rolled_up_city_ids(territory)


CityExportView.get = EXPORT_SCHEMA(CityExportView.get)
TerritoryExportView.get = EXPORT_SCHEMA(TerritoryExportView.get)
