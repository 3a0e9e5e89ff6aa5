from django.urls import path
from rest_framework.routers import SimpleRouter

from projects import views

router = SimpleRouter()
router.register("projects", views.ProjectViewSet, basename="project")
router.register("collaborations", views.CollaborationViewSet, basename="collaboration")

urlpatterns = [
    path("me/invitations/", views.MyInvitationsView.as_view(), name="my-invitations"),
    *router.urls,
]
