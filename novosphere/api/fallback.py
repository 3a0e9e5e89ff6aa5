"""JSON for the answers Django gives outside DRF under `/api/`: a body over the
upload limit (413) and an unexpected error (500), in the one error shape
(`{"detail": ...}`); other paths (the admin, the docs) keep Django's pages."""

import logging

from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults

logger = logging.getLogger(__name__)


def is_api(request) -> bool:
    return request.path.startswith("/api/")


class ApiErrorsMiddleware:
    """A request body beyond `DATA_UPLOAD_MAX_MEMORY_SIZE` is a 413, in JSON under `/api/`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, RequestDataTooBig):
            logger.info("request body too large path=%s", request.path)
            request._mark_post_parse_error()  # the body cannot be read again
            return JsonResponse({"detail": _("The request body is too large.")}, status=413)
        return None


def server_error(request, template_name=defaults.ERROR_500_TEMPLATE_NAME):
    """`handler500`: JSON under `/api/`, Django's page elsewhere. The traceback is logged, never sent."""
    if is_api(request):
        return JsonResponse({"detail": _("A server error occurred; it has been logged.")}, status=500)
    return defaults.server_error(request, template_name)
