from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularSwaggerSplitView

from novosphere.admin import login_with_limits
from novosphere.api.index import ApiIndexAliasView, ApiIndexView
from novosphere.docs import SchemaView, websocket_protocol
from novosphere.health import HealthView

handler404 = "novosphere.api.fallback.page_not_found"
handler500 = "novosphere.api.fallback.server_error"

api_v1 = [
    path("", ApiIndexView.as_view(), name="api-v1-index"),
    path("", include("profiles.urls")),
    path("", include("projects.urls")),
    path("", include("feeds.urls")),
    path("", include("search.urls")),
    path("", include("events.urls")),
    path("", include("moderation.urls")),
    path("", include("federation.api_urls")),
    path("", include("webhooks.urls")),
    path("", include("accounts.urls")),
    path("", include("opendata.urls")),
]

urlpatterns = [
    path("", ApiIndexAliasView.as_view(), name="index"),
    path("api/", ApiIndexAliasView.as_view(), name="api-index"),
    path("api/health/", HealthView.as_view(), name="health"),
    path("api/schema/", SchemaView.as_view(), name="schema"),
    # The split view serves Swagger UI's settings as a script file: no inline script, so the CSP holds.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs"),
    path("api/docs/websocket/", websocket_protocol, name="docs-websocket"),
    path("api/v1/", include(api_v1)),
    path("admin/login/", login_with_limits),  # before the admin's own login/
    path("admin/", admin.site.urls),
    path("", include("federation.urls")),
]
