from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from novosphere.health import HealthView

api_v1 = [
    path("", include("profiles.urls")),
    path("", include("projects.urls")),
    path("", include("feeds.urls")),
    path("", include("search.urls")),
    path("", include("events.urls")),
    path("", include("moderation.urls")),
    path("", include("federation.api_urls")),
]

urlpatterns = [
    path("api/health/", HealthView.as_view(), name="health"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("api/v1/", include(api_v1)),
    path("admin/", admin.site.urls),
    path("", include("federation.urls")),
]
