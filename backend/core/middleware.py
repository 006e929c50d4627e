from functools import lru_cache

from django.urls import Resolver404, get_resolver, get_urlconf

from backend.core.exceptions import API_NOT_FOUND


class OptionalTrailingSlashMiddleware:
    """Route /api/v1/x and /api/v1/x/ to the same view, without a redirect.

    Django's APPEND_SLASH answers with a redirect, which clients drop the body of on POST. Here a
    path that does not resolve is retried with the slash added or removed, in place.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if not _resolves(path):
            other = path[:-1] if path.endswith("/") else path + "/"
            if other and _resolves(other):
                prefix = request.path[: len(request.path) - len(path)]
                request.path_info = other
                request.path = prefix + other
        return self.get_response(request)


def _resolves(path: str) -> bool:
    """A real route: the catch-all that answers unknown API routes does not count."""
    return _resolves_with(get_resolver(get_urlconf()), path)


# Every request asks, and Django resolves the path once more for the view: remember the answer
# per URLconf (a new resolver, e.g. after a test overrides ROOT_URLCONF, starts afresh).
@lru_cache(maxsize=4096)
def _resolves_with(resolver, path: str) -> bool:
    try:
        match = resolver.resolve(path)
    except Resolver404:
        return False
    return match.url_name != API_NOT_FOUND
