"""One error shape for the whole API.

Domain errors raised by services, Django's `ValidationError`, `Http404` and
`PermissionDenied` all come out as DRF's usual JSON: `{"detail": ...}` for a
single message, `{field: [messages]}` for validation errors.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.views import exception_handler as drf_exception_handler


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


class NotFound(exceptions.NotFound):
    """Unknown or hidden: the same answer, so existence does not leak."""


def invalid(field: str, message) -> exceptions.ValidationError:
    """A validation error naming the offending field."""
    return exceptions.ValidationError({field: [message]})


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "message_dict"):
            exc = exceptions.ValidationError(exc.message_dict)
        else:
            exc = exceptions.ValidationError({"detail": exc.messages})
    elif isinstance(exc, Http404):
        exc = NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    return drf_exception_handler(exc, context)
