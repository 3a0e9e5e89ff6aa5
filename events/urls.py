from django.urls import path
from rest_framework.routers import SimpleRouter

from events import views

router = SimpleRouter()
router.register("events", views.EventViewSet, basename="event")
router.register("territories", views.TerritoryViewSet, basename="territory")

HANDLE = r"[-a-zA-Z0-9_]+"

urlpatterns = [
    # The .ics paths end without a slash, as calendar apps expect a file; no router path matches them.
    path("events/<slug:slug>.ics", views.EventCalendarView.as_view(), name="event-ics"),
    path("cities/<slug:handle>/events.ics", views.CityCalendarView.as_view(), name="city-events-ics"),
    path("actors/<slug:handle>/events.ics", views.ActorCalendarView.as_view(), name="actor-events-ics"),
    path("map/", views.MapView.as_view(), name="map"),
    *router.urls,
]
