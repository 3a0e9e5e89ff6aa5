"""JSON for the answers Django gives outside DRF under `/api/`: an unknown path (404),
a body over the upload limit (413) and an unexpected error (500), in the one error shape
(`novosphere.errors`); other paths (the admin, the docs) keep Django's pages."""

import logging

from django.core.exceptions import RequestDataTooBig
from django.utils.translation import gettext as _
from django.views import defaults

from novosphere.errors import error_response

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
            return error_response(413, _("The request body is too large."))
        return None


def page_not_found(request, exception=None, template_name=defaults.ERROR_404_TEMPLATE_NAME):
    """`handler404`: an unknown path under `/api/` is a JSON 404 in the one shape."""
    if is_api(request):
        return error_response(404, _("Not found."))
    return defaults.page_not_found(request, exception, template_name)


def server_error(request, template_name=defaults.ERROR_500_TEMPLATE_NAME):
    """`handler500`: JSON under `/api/`, Django's page elsewhere. The traceback is logged, never sent."""
    if is_api(request):
        return error_response(500, _("A server error occurred; it has been logged."))
    return defaults.server_error(request, template_name)
