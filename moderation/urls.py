from django.urls import path, re_path

from moderation import views

HANDLE = r"(?P<handle>[-a-zA-Z0-9_]+)"
SLUG = r"(?P<slug>[-a-zA-Z0-9_]+)"
ID = r"(?P<pk>[0-9]{1,18})"

urlpatterns = [
    re_path(rf"^moderation/actors/{HANDLE}/suspend/$", views.SuspensionView.as_view(suspended=True), name="moderation-suspend"),
    re_path(rf"^moderation/actors/{HANDLE}/reinstate/$", views.SuspensionView.as_view(suspended=False), name="moderation-reinstate"),
    re_path(rf"^moderation/actors/{HANDLE}/verify/$", views.VerificationView.as_view(verified=True), name="moderation-verify"),
    re_path(rf"^moderation/actors/{HANDLE}/unverify/$", views.VerificationView.as_view(verified=False), name="moderation-unverify"),
    re_path(rf"^moderation/projects/{SLUG}/hide/$", views.HideView.as_view(kind="project", hidden=True), name="moderation-project-hide"),
    re_path(rf"^moderation/projects/{SLUG}/unhide/$", views.HideView.as_view(kind="project", hidden=False), name="moderation-project-unhide"),
    re_path(rf"^moderation/collaborations/{ID}/hide/$", views.HideView.as_view(kind="collaboration", hidden=True), name="moderation-collaboration-hide"),
    re_path(rf"^moderation/collaborations/{ID}/unhide/$", views.HideView.as_view(kind="collaboration", hidden=False), name="moderation-collaboration-unhide"),
    re_path(rf"^moderation/updates/{ID}/hide/$", views.HideView.as_view(kind="update", hidden=True), name="moderation-update-hide"),
    re_path(rf"^moderation/updates/{ID}/unhide/$", views.HideView.as_view(kind="update", hidden=False), name="moderation-update-unhide"),
    re_path(rf"^moderation/events/{SLUG}/hide/$", views.HideView.as_view(kind="event", hidden=True), name="moderation-event-hide"),
    re_path(rf"^moderation/events/{SLUG}/unhide/$", views.HideView.as_view(kind="event", hidden=False), name="moderation-event-unhide"),
    path("moderation/reports/", views.ReportListView.as_view(), name="moderation-reports"),
    re_path(r"^moderation/reports/(?P<pk>[0-9]{1,18})/resolve/$", views.ReportResolveView.as_view(), name="moderation-report-resolve"),
    path("reports/", views.ReportCreateView.as_view(), name="reports"),
    re_path(rf"^actors/{HANDLE}/block/$", views.BlockView.as_view(), name="actor-block"),
    path("me/blocks/", views.MyBlocksView.as_view(), name="my-blocks"),
]
