"""Errors answered as JSON naming the problem, for every API view (REST_FRAMEWORK's handler)."""

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import JsonResponse
from django.views import defaults
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from backend.core.dependencies import RETRY_AFTER_SECONDS, failing_dependency, unavailable_body

logger = logging.getLogger(__name__)


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"


class ServiceUnavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "service_unavailable"


def api_exception_handler(exc, context):
    # Django raises these while reading the body; left alone they become an HTML 400 page.
    if isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge(
            "Request body is too large: JSON bodies and form fields are limited to "
            f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes; send a long text as a file."
        )
    elif isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        exc = ParseError(str(exc))
    elif part := failing_dependency(exc):
        logger.warning("%s unavailable: %s", part, exc)
        set_rollback()  # as DRF's own handler does
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
        return Response(unavailable_body(part), status=503, headers=headers)
    # DRF also marks an open transaction for rollback: nothing is half-written.
    return drf_exception_handler(exc, context)


def not_found(request, exception):
    """handler404: JSON under /api/ (a malformed id); Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return api_not_found(request)
    return defaults.page_not_found(request, exception)


# The URL name of api_not_found's route, which the optional-trailing-slash retry looks past.
API_NOT_FOUND = "api-not-found"


def api_not_found(request, *args, **kwargs):
    """The last route under /api/: an unknown API route answers JSON in every settings module
    (handler404 is not consulted with DEBUG on, which shows its HTML page instead)."""
    return JsonResponse({"detail": "Not found."}, status=404)
