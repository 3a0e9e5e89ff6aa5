from django.urls import path

from accounts import views

urlpatterns = [
    path("auth/password/reset/", views.PasswordResetView.as_view(), name="password-reset"),
    path("auth/password/reset/confirm/", views.PasswordResetConfirmView.as_view(), name="password-reset-confirm"),
    path("auth/email/verify/", views.EmailVerifyView.as_view(), name="email-verify"),
    path("me/export/", views.MeExportView.as_view(), name="me-export"),
]
