from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from backend.core import apis as core_apis

api_v1 = [
    path("auth/registration/", include("dj_rest_auth.registration.urls")),
    path("auth/", include("dj_rest_auth.urls")),
    path("settings/", include("backend.accounts.urls")),
    path("jobs/", include("backend.jobs.urls")),
    path("version-info/", core_apis.VersionInfoApi.as_view(), name="version-info"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
]

urlpatterns = [
    path("healthz", core_apis.healthz, name="healthz"),
    path("readyz", core_apis.readyz, name="readyz"),
    path(settings.ADMIN_URL, admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("", include("backend.web.urls")),
]
