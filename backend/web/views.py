from django.conf import settings
from django.db import transaction
from django.shortcuts import render
from django.urls import get_script_prefix
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from backend.core.selectors import version_info
from backend.web.vite import ENTRY, entry_is_available


def app_config() -> dict:
    """What the Vue app reads at start (src/config.js): the built files hold no configuration."""
    info = version_info()
    return {
        "apiRoot": f"{get_script_prefix()}api/v1/",
        "staticRoot": settings.STATIC_URL,
        "appName": settings.APP_NAME,
        "version": info["version"],
        "environment": info["environment"],
    }


# The page needs no database: it loads (and the app can say what is wrong) while the database
# is down. never_cache: the page names the hashed asset files of the current build, so a cached
# copy would point at files a new deployment no longer has.
@transaction.non_atomic_requests
@never_cache
@require_safe
def index(request):
    if not entry_is_available():
        return render(request, "web/frontend_missing.html", {"entry": ENTRY}, status=503)
    return render(request, "web/index.html", {"app_config": app_config()})
