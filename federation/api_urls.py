from django.urls import path, re_path

from federation import api

urlpatterns = [
    path("moderation/domains/", api.DomainBlockListView.as_view(), name="moderation-domains"),
    re_path(r"^moderation/domains/(?P<domain>[-a-zA-Z0-9.\[\]:]{1,253})/$", api.DomainBlockView.as_view(),
            name="moderation-domain"),
    path("remote-events/<int:pk>/", api.RemoteEventView.as_view(), name="remote-event"),
    path("remote-events/<int:pk>/attend/", api.RemoteAttendView.as_view(), name="remote-event-attend"),
]
