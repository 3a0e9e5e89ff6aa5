"""The REST side of the one error shape (`novosphere.errors`).

`exception_handler` turns what a view lets through (domain errors from services,
DRF's exceptions, Django's `ValidationError`, `Http404` and `PermissionDenied`)
into `{code, message, detail, fields?}`. A service the request needs that does
not answer (the database, Redis) is a 503 with `Retry-After`, never a 500 with a
traceback: `unavailable_cause` decides which errors those are, for the REST
handler, the middleware and the websocket guard.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

# The domain errors live in novosphere.errors; these names stay importable from here.
from novosphere.errors import (  # noqa: F401
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    RateLimited,
    ServiceUnavailable,
    domain_error_body,
    error_body,
    error_response,
    invalid,
    validation_body,
)
from novosphere.unavailable import log_unavailable, unavailable_cause

RETRY_AFTER_SECONDS = 5


def unavailable_response():
    """The 503 for paths outside DRF, in the one shape."""
    error = ServiceUnavailable()
    response = error_response(error.status_code, error.message, code=error.code)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class UnavailableMiddleware:
    """Answers 503 JSON instead of a 500 page when the database or Redis is down
    outside DRF views (admin, schema, middleware that reads the session)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        cause = unavailable_cause(exception)
        if cause is None:
            return None
        log_unavailable(cause, exception, request.path)
        return unavailable_response()


def api_exception_body(exc: exceptions.APIException) -> dict:
    """One of DRF's exceptions (with its translated message) in the one shape."""
    if isinstance(exc, exceptions.ValidationError):
        return validation_body(exc.detail)
    codes = exc.get_codes()
    code = codes if isinstance(codes, str) else exc.default_code
    detail = exc.detail
    if not isinstance(detail, str):  # a list or dict given to an error other than validation
        detail = validation_body(detail)["message"]
    return error_body(code, detail)


def exception_handler(exc, context):
    cause = unavailable_cause(exc)
    if cause is not None:
        request = context.get("request")
        log_unavailable(cause, exc, request.path if request is not None else "-")
        exc = ServiceUnavailable()
    if isinstance(exc, DomainError):
        set_rollback()
        response = Response(domain_error_body(exc), status=exc.status_code)
        if getattr(exc, "wait", None) is not None:
            response["Retry-After"] = str(exc.wait)
    else:
        if isinstance(exc, DjangoValidationError):
            exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "message_dict") else exc.messages)
        elif isinstance(exc, Http404):
            exc = exceptions.NotFound()
        elif isinstance(exc, DjangoPermissionDenied):
            exc = exceptions.PermissionDenied()
        response = drf_exception_handler(exc, context)  # headers (WWW-Authenticate, Retry-After), rollback
        if response is None:
            return None
        response.data = api_exception_body(exc)
    if response.status_code == status.HTTP_503_SERVICE_UNAVAILABLE:
        response.setdefault("Retry-After", str(RETRY_AFTER_SECONDS))
    request = context.get("request")
    if request is not None:
        # Errors are JSON even where the answer would have been an .ics, an Atom feed or CSV.
        request.accepted_renderer, request.accepted_media_type = JSONRenderer(), "application/json"
    return response
