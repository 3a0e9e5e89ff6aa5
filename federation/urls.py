from django.urls import path, re_path

from federation import views

NAME = r"(?P<name>[-a-zA-Z0-9_]{1,80})"
KIND = r"(?P<kind>actors|projects)"

urlpatterns = [
    path(".well-known/webfinger", views.webfinger, name="webfinger"),
    path(".well-known/nodeinfo", views.nodeinfo_index, name="nodeinfo-index"),
    re_path(r"^nodeinfo/(?P<version>2\.[01])$", views.nodeinfo, name="nodeinfo"),
    path("actor", views.instance_actor, name="instance-actor"),
    path("actor/inbox", views.inbox, name="instance-inbox"),
    path("inbox", views.inbox, name="shared-inbox"),
    re_path(r"^actors/(?P<handle>[-a-zA-Z0-9_]{1,80})$", views.actor, name="ap-actor"),
    re_path(r"^projects/(?P<slug>[-a-zA-Z0-9_]{1,80})$", views.project, name="ap-project"),
    re_path(r"^events/(?P<slug>[-a-zA-Z0-9_]{1,80})$", views.event, name="ap-event"),
    re_path(rf"^{KIND}/{NAME}/inbox$", views.inbox, name="ap-inbox"),
    re_path(rf"^{KIND}/{NAME}/outbox$", views.outbox, name="ap-outbox"),
    re_path(rf"^{KIND}/{NAME}/followers$", views.followers, name="ap-followers"),
    re_path(rf"^{KIND}/{NAME}/following$", views.following, name="ap-following"),
]
