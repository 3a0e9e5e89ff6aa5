"""The errors services raise, and the one shape every API error answers in.

Services import their exceptions from here (no DRF in them); the REST handler
(`novosphere.api.errors.exception_handler`), the JSON fallbacks of plain Django
(`novosphere.api.fallback`), the federation views and the websocket's
`{"type": "error", ...}` frames all build their bodies with `error_body`:

    {"code": "not_found",            # machine code, snake_case
     "message": "Page introuvable.", # one sentence in the reader's language
     "detail": "Page introuvable.",  # the same, for clients written against `{detail}`
     "fields": {"title": ["..."]}}   # validation errors only: field (dotted when nested) -> messages
"""

from __future__ import annotations

import math

from django.http import JsonResponse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

# Keys under which DRF and Django put messages that belong to no field.
NON_FIELD_KEYS = frozenset({"non_field_errors", "__all__", "detail"})


class DomainError(Exception):
    """A business rule refused the action (400); services raise it, views let it pass."""

    status_code = 400
    default_code = "invalid"
    default_message = _("This action is not allowed.")

    def __init__(self, message=None, *, code: str | None = None, fields: dict | None = None):
        self.message = message if message is not None else self.default_message
        self.code = code or self.default_code
        self.fields = fields
        super().__init__(self.message)

    def __str__(self) -> str:
        return str(self.message)


class Invalid(DomainError):
    """The input breaks a rule of one or more fields (400, with `fields`)."""

    default_message = _("The input is not valid.")


class Conflict(DomainError):
    """The object is not in a state that allows the action (409)."""

    status_code = 409
    default_code = "conflict"


class Forbidden(DomainError):
    """The caller can see the object but may not do this to it (403)."""

    status_code = 403
    default_code = "permission_denied"


class NotFound(DomainError):
    """Unknown or hidden: the same answer, so existence does not leak (404)."""

    status_code = 404
    default_code = "not_found"
    default_message = _("Not found.")


class ServiceUnavailable(DomainError):
    """A service the request needs does not answer; trying again later may work (503)."""

    status_code = 503
    default_code = "unavailable"
    default_message = _("The service is temporarily unavailable; try again in a moment.")


class RateLimited(DomainError):
    """Too many of these from this caller in the window (429, with `Retry-After`)."""

    status_code = 429
    default_code = "throttled"
    default_message = _("Too many requests; try again later.")

    def __init__(self, wait: float | None = None, message=None):
        self.wait = None if wait is None else max(1, math.ceil(wait))
        if message is None and self.wait is not None:
            message = ngettext("Too many requests; try again in %(seconds)d second.",
                               "Too many requests; try again in %(seconds)d seconds.", self.wait) % {"seconds": self.wait}
        super().__init__(message)


def invalid(field: str, message, *, code: str = "invalid") -> Invalid:
    """A validation error naming the offending field."""
    return Invalid(message, code=code, fields={field: [message]})


# --- The shape -------------------------------------------------------------------------


def flatten_fields(errors) -> tuple[dict[str, list[str]], list[str]]:
    """DRF's nested `{field: [..] | {..} | [{..}]}` as `{"a.b.0": [messages]}`, and the
    messages that name no field."""
    fields: dict[str, list[str]] = {}
    general: list[str] = []

    def walk(node, path: tuple[str, ...]) -> None:
        if isinstance(node, dict):
            for key, child in node.items():
                key = str(key)
                walk(child, path if key in NON_FIELD_KEYS else (*path, key))
        elif isinstance(node, (list, tuple)):
            if all(not isinstance(item, (dict, list, tuple)) for item in node):
                messages = [str(item) for item in node]
                if path:
                    fields.setdefault(".".join(path), []).extend(messages)
                else:
                    general.extend(messages)
            else:  # a list field: one entry per item, empty ones for the valid items
                for index, item in enumerate(node):
                    walk(item, (*path, str(index)))
        elif node is not None and str(node):
            walk([node], path)

    walk(errors, ())
    return {field: messages for field, messages in fields.items() if messages}, general


def validation_message(fields: dict[str, list[str]], general: list[str]) -> str:
    """The one sentence of a validation error, in the reader's language only (the field
    names, English identifiers, are in `fields`)."""
    if general:
        return general[0]
    if len(fields) == 1:
        return next(iter(fields.values()))[0]
    if fields:
        return gettext("Several fields are not valid.")
    return str(Invalid.default_message)


def error_body(code: str, message, fields: dict | None = None) -> dict:
    body = {"code": code, "message": str(message), "detail": str(message)}
    if fields is not None:
        body["fields"] = fields
    return body


def validation_body(errors, code: str = "invalid") -> dict:
    """The body of a validation error from DRF's or Django's nested errors."""
    fields, general = flatten_fields(errors)
    return error_body(code, validation_message(fields, general), fields)


def domain_error_body(error: DomainError) -> dict:
    if error.fields is None:
        return error_body(error.code, error.message)
    fields, general = flatten_fields(error.fields)
    # A service's own sentence reads better than the generic one built from the fields.
    message = validation_message(fields, general) if error.message is error.default_message else error.message
    return error_body(error.code, message, fields)


# The code an answer gets when its maker names none: DRF's codes for the same statuses.
CODE_OF_STATUS = {400: "invalid", 401: "not_authenticated", 403: "permission_denied", 404: "not_found",
                  405: "method_not_allowed", 406: "not_acceptable", 409: "conflict", 413: "too_large",
                  415: "unsupported_media_type", 429: "throttled", 500: "server_error", 503: "unavailable"}


def error_response(status: int, message, *, code: str | None = None, fields: dict | None = None) -> JsonResponse:
    """A plain Django JSON answer in the one shape (outside DRF: fallbacks, federation)."""
    body = error_body(code or CODE_OF_STATUS.get(status, "error"), message, fields)
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
