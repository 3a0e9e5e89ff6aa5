from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from knox.models import AuthToken
from rest_framework import permissions, status
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.selectors import personal_export
from accounts.serializers import (
    AcceptedSerializer,
    EmailVerifiedSerializer,
    EmailVerifySerializer,
    PasswordResetConfirmSerializer,
    PasswordResetSerializer,
)
from profiles import selectors
from profiles.serializers import TokenSerializer


class PasswordResetView(APIView):
    # Ask for a reset key by e-mail. No token is read: a forgotten password has none.

    permission_classes = [permissions.AllowAny]
    authentication_classes = []
    throttle_scope = "login"  # per client address, beside the per-address limit of the service

    @extend_schema(
        request=PasswordResetSerializer, tags=["auth"],
        responses={202: AcceptedSerializer, 429: OpenApiResponse(description="Too many resets asked for this address")},
        summary="Ask for a password reset key by e-mail (202 whether or not the address is known)",
        description="No token is read: a forgotten password has none. If an account uses `email`, it is sent a "
        "key, valid once for `PASSWORD_RESET_TIMEOUT` (an hour). The answer is the same for unknown addresses, "
        "and so is the limit per address asked for (`RATE_LIMIT_PASSWORD_RESET`, 5 an hour): a 429 tells nothing.",
    )
    def post(self, request: Request) -> Response:
        data = PasswordResetSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.request_password_reset(email=data.validated_data["email"])
        return Response(
            {"detail": _("If an account uses this address, an e-mail with a reset key is on its way.")},
            status=status.HTTP_202_ACCEPTED,
        )


class PasswordResetConfirmView(APIView):
    permission_classes = [permissions.AllowAny]
    authentication_classes = []
    throttle_scope = "login"

    @extend_schema(
        request=PasswordResetConfirmSerializer, responses={200: TokenSerializer}, tags=["auth"],
        summary="Set a new password with the key from the e-mail; every other token and session ends",
        description="`{key, password}`: answers a new token. A used, expired or mistyped key, or a weak "
        "password, is a 400.",
    )
    def post(self, request: Request) -> Response:
        data = PasswordResetConfirmSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with transaction.atomic():
            user = services.reset_password(**data.validated_data)
            instance, token = AuthToken.objects.create(user)
        return Response({"token": token, "expiry": instance.expiry})


class EmailVerifyView(APIView):
    permission_classes = [permissions.AllowAny]
    authentication_classes = []
    throttle_scope = "login"

    @extend_schema(
        request=EmailVerifySerializer, responses={200: EmailVerifiedSerializer}, tags=["auth"],
        summary="Prove an address with the key from the e-mail (sent at registration and after a change)",
        description="`{key}` (valid once, three days). A new address replaces the old one only now; the "
        "answer is the account's `email` and `email_verified`. A used or unknown key is a 400.",
    )
    def post(self, request: Request) -> Response:
        data = EmailVerifySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.verify_email(key=data.validated_data["key"])
        return Response({"email": user.email, "email_verified": user.email_verified})


class MeExportView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description=(
            "`{account, profile, memberships, follows, projects, projects_owned, updates, requests, responses, "
            "events_organized, rsvps, activities, notifications, reports_made, webhooks, blocks}`"
        ))},
        tags=["auth"], summary="Everything the service holds about the caller, as JSON",
        description="A download (`Content-Disposition: attachment`, never cached) of the caller's account, "
        "profile, memberships, follows, what they wrote, RSVPs, activity, notifications, reports, webhooks and "
        "blocks.",
    )
    def get(self, request: Request) -> Response:
        if selectors.viewer_actor(request.user) is None:
            raise AuthenticationFailed(_("This account has no profile."))
        response = Response(personal_export(request.user))
        response["Content-Disposition"] = f'attachment; filename="novosphere-{request.user.username}.json"'
        response["Cache-Control"] = "private, no-store"
        return response
