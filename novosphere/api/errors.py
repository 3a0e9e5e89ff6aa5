"""One error shape for the whole API.

Domain errors raised by services, Django's `ValidationError`, `Http404` and
`PermissionDenied` all come out as DRF's usual JSON: `{"detail": ...}` for a
single message, `{field: [messages]}` for validation errors. A service the
request needs that does not answer (the database, Redis) is a 503 with
`Retry-After`, never a 500 with a traceback: `unavailable_cause` decides which
errors those are, for the REST handler, the middleware and the websocket guard.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.views import exception_handler as drf_exception_handler

from novosphere.unavailable import log_unavailable, unavailable_cause


class DomainError(exceptions.APIException):
    """A business rule refused the action; services raise it, views let it pass."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = _("This action is not allowed.")
    default_code = "invalid"


class Conflict(DomainError):
    """The object is not in a state that allows the action (409)."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class Forbidden(DomainError):
    """The caller can see the object but may not do this to it (403)."""

    status_code = status.HTTP_403_FORBIDDEN
    default_code = "permission_denied"


class ServiceUnavailable(exceptions.APIException):
    """A service the request needs does not answer; trying again later may work (503)."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = _("The service is temporarily unavailable; try again in a moment.")
    default_code = "unavailable"


class NotFound(exceptions.NotFound):
    """Unknown or hidden: the same answer, so existence does not leak."""


def invalid(field: str, message) -> exceptions.ValidationError:
    """A validation error naming the offending field."""
    return exceptions.ValidationError({field: [message]})


RETRY_AFTER_SECONDS = 5


def unavailable_response() -> JsonResponse:
    """The 503 for paths outside DRF, in the same shape as DRF's errors."""
    response = JsonResponse({"detail": str(ServiceUnavailable.default_detail)}, status=503)
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


def exception_handler(exc, context):
    cause = unavailable_cause(exc)
    if cause is not None:
        request = context.get("request")
        log_unavailable(cause, exc, request.path if request is not None else "-")
        exc = ServiceUnavailable()
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "message_dict"):
            exc = exceptions.ValidationError(exc.message_dict)
        else:
            exc = exceptions.ValidationError({"detail": exc.messages})
    elif isinstance(exc, Http404):
        exc = NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is not None and response.status_code == status.HTTP_503_SERVICE_UNAVAILABLE:
        response.setdefault("Retry-After", str(RETRY_AFTER_SECONDS))
    return response
