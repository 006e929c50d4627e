"""The processes this one depends on (PostgreSQL, Redis as cache and broker), and what a request
answers when one of them is down: 503 with Retry-After, JSON under /api/, never a 500.

One list of the errors that mean "a dependency is unreachable", read by the API's exception
handler, the middleware (for plain Django views) and handler500 (for errors raised outside a
view, such as in a middleware).
"""

import logging
import sys

import kombu.exceptions
import redis.exceptions
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse

logger = logging.getLogger(__name__)

# Seconds a client should wait before trying again: about one restart of the dependency.
RETRY_AFTER_SECONDS = 5

_FAILING_PART = (
    # psycopg's connection errors, a server that went away mid-query, a closed connection.
    ((OperationalError, InterfaceError), "database"),
    ((redis.exceptions.ConnectionError, redis.exceptions.TimeoutError), "cache"),
    ((kombu.exceptions.OperationalError,), "broker"),
)


def failing_dependency(exc: BaseException | None) -> str | None:
    """The dependency `exc` says is down ("database", "cache", "broker"), else None."""
    for errors, part in _FAILING_PART:
        if isinstance(exc, errors):
            return part
    return None


def unavailable_body(part: str) -> dict[str, str]:
    """The JSON an API request gets when `part` is down (DRF views and the rest alike)."""
    detail = f"The {part} is unavailable; try again in a few seconds."
    return {"detail": detail, "unavailable": part}


def unavailable_response(request, part: str) -> HttpResponse:
    body = unavailable_body(part)
    if request.path.startswith("/api/"):
        response = JsonResponse(body, status=503)
    else:
        response = HttpResponse(
            body["detail"], status=503, content_type="text/plain; charset=utf-8"
        )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DependencyUnavailableMiddleware:
    """A view that fails because a dependency is down answers 503 instead of 500.

    DRF views get the same from the API's exception handler; this covers the rest (Django's
    views, the admin).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        part = failing_dependency(exception)
        if part is None:
            return None
        logger.warning("%s %s: %s unavailable: %s", request.method, request.path, part, exception)
        return unavailable_response(request, part)


def server_error(request):
    """handler500: 503 when a dependency is down, else a 500 that is JSON under /api/.

    Django calls it from inside its exception handling, so sys.exception() is the error.
    """
    part = failing_dependency(sys.exception())
    if part is not None:
        return unavailable_response(request, part)
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Internal server error."}, status=500)
    from django.views import defaults

    return defaults.server_error(request)
