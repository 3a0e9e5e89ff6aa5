from django.urls import path

from feeds import views

urlpatterns = [
    path("feed/", views.FeedView.as_view(), name="feed"),
    path("me/following/", views.FollowingView.as_view(), name="me-following"),
    path("notifications/", views.NotificationsView.as_view(), name="notifications"),
    path("notifications/read/", views.NotificationsReadView.as_view(), name="notifications-read"),
    # The projects app routes the rest of /projects/; the stream lives with the feeds.
    path("projects/<slug:slug>/activity/", views.ProjectActivityView.as_view(), name="project-activity"),
    # Atom feeds end without a slash, as feed readers expect a file.
    path("cities/<slug:handle>/activity.atom", views.CityAtomView.as_view(), name="city-activity-atom"),
    path("actors/<slug:handle>/activity.atom", views.ActorAtomView.as_view(), name="actor-activity-atom"),
    path("projects/<slug:slug>/activity.atom", views.ProjectAtomView.as_view(), name="project-activity-atom"),
]
