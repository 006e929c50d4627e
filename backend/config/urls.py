from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.utils.csp import CSP
from django.views.decorators.csp import csp_override
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from backend.accounts.throttles import throttled_admin_login
from backend.accounts.urls import registration_urlpatterns, settings_urlpatterns
from backend.core import apis as core_apis
from backend.core.exceptions import API_NOT_FOUND, api_not_found

# Swagger UI comes from drf-spectacular-sidecar's static files, and the split view serves its start
# script as a file; only the template's small inline <style> needs an exception, on this page only.
docs_view = csp_override(
    {**getattr(settings, "SECURE_CSP", {}), "style-src": [CSP.SELF, CSP.UNSAFE_INLINE]}
)(SpectacularSwaggerSplitView.as_view(url_name="schema", http_method_names=["get", "head"]))

api_v1 = [
    path("auth/registration/", include(registration_urlpatterns)),
    path("auth/", include("dj_rest_auth.urls")),
    path("settings/", include(settings_urlpatterns)),
    path("jobs/", include("backend.jobs.urls")),
    path("version-info/", core_apis.VersionInfoApi.as_view(), name="version-info"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", docs_view, name="docs"),
]

urlpatterns = [
    path("healthz", core_apis.healthz, name="healthz"),
    path("readyz", core_apis.readyz, name="readyz"),
    # Ahead of the admin's own login route, which it replaces.
    path(f"{settings.ADMIN_URL}login/", throttled_admin_login, name="admin-login"),
    path(settings.ADMIN_URL, admin.site.urls),
    path("api/v1/", include(api_v1)),
    re_path(r"^api/", api_not_found, name=API_NOT_FOUND),
    path("", include("backend.web.urls")),
]

handler404 = "backend.core.exceptions.not_found"
handler500 = "backend.core.dependencies.server_error"
