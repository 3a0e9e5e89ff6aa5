from django.urls import path
from rest_framework.routers import SimpleRouter

from profiles import views

router = SimpleRouter()
router.register("actors", views.ActorViewSet, basename="actor")
router.register("cities", views.CityViewSet, basename="city")

urlpatterns = [
    path("auth/register/", views.RegisterView.as_view(), name="register"),
    path("auth/token/", views.TokenView.as_view(), name="token"),
    path("auth/session/", views.SessionView.as_view(), name="session"),
    path("auth/password/", views.PasswordView.as_view(), name="password"),
    path("me/", views.MeView.as_view(), name="me"),
    *router.urls,
]
