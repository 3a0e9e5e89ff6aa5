from django.urls import path

from opendata import views

urlpatterns = [
    path("cities/<str:handle>/export/", views.CityExportView.as_view(), name="city-export"),
    path("territories/<str:handle>/export/", views.TerritoryExportView.as_view(), name="territory-export"),
]
