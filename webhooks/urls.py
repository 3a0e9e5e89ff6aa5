from django.urls import path

from webhooks import views

urlpatterns = [
    path("webhooks/", views.WebhooksView.as_view(), name="webhooks"),
    path("webhooks/<int:subscription_id>/", views.WebhookView.as_view(), name="webhook"),
]
