"""The image: behind a TLS-terminating proxy, static files from the Nix-built STATIC_ROOT.

Required environment: DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS. With them set,
`manage check --deploy` reports no issues. Everything else has a production default.
"""

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from .base import *  # noqa: F403
from .base import (
    DJANGO_VITE,
    LOGGING,
    MIDDLEWARE,
    REST_FRAMEWORK,
    STATIC_ROOT,
    STATIC_URL,
    env,
    env_path,
)


def _required(name: str, hint: str) -> str:
    value = env.str(name, default="").strip()
    if not value:
        raise ImproperlyConfigured(f"{name} must be set for the production settings: {hint}")
    return value


# GENERAL
# ------------------------------------------------------------------------------
DEBUG = False
SECRET_KEY = _required(
    "DJANGO_SECRET_KEY",
    "a long random string, e.g. from "
    "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`",
)
# Old keys stay valid for signatures made before a rotation.
# https://docs.djangoproject.com/en/stable/ref/settings/#secret-key-fallbacks
SECRET_KEY_FALLBACKS = env.list("DJANGO_SECRET_KEY_FALLBACKS", default=[])
ALLOWED_HOSTS = [
    host.strip()
    for host in _required(
        "DJANGO_ALLOWED_HOSTS", "the comma-separated host names the site answers to"
    ).split(",")
    if host.strip()
]
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
# The image's own files are read-only: uploads and job outputs need a volume that the web and
# worker containers share.
MEDIA_ROOT = Path(_required("MEDIA_ROOT", "a writable directory shared by web and worker"))
APP_ENVIRONMENT = env("APP_ENVIRONMENT", default="production")

# SECURITY
# ------------------------------------------------------------------------------
# The proxy terminates TLS and says so in X-Forwarded-Proto; it must overwrite any value a
# client sent. https://docs.djangoproject.com/en/stable/ref/settings/#secure-proxy-ssl-header
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", True)
# Probes reach the container over plain HTTP, without the proxy's header.
SECURE_REDIRECT_EXEMPT = [r"^(healthz|readyz)/?$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# One year, subdomains and preload are what hstspreload.org asks for. A first deploy on a new
# domain can start lower (DJANGO_SECURE_HSTS_SECONDS=300) and raise it once HTTPS is proven:
# browsers keep the value for max-age seconds.
# https://docs.djangoproject.com/en/stable/ref/middleware/#http-strict-transport-security
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", True)

# CONTENT SECURITY POLICY
# ------------------------------------------------------------------------------
# Django's own CSP (6.0+). The built Vue app is plain files from 'self': Vite emits module
# scripts and one CSS file, SFC templates are compiled at build time (no eval), and the
# app-config json_script block is data, which script-src does not govern.
# https://docs.djangoproject.com/en/stable/ref/csp/
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
MIDDLEWARE = [
    *MIDDLEWARE[:1],
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    *MIDDLEWARE[1:],
]

# STATIC FILES
# ------------------------------------------------------------------------------
# STATIC_ROOT is the Nix-built collectstatic output, read-only. Vite already puts a content
# hash in every name under assets/, so Django's manifest storage would hash them a second
# time and rewrite the built CSS; compression only adds .gz files beside the originals.
# https://whitenoise.readthedocs.io/en/stable/django.html
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Vite's output names: assets/<name>-<8-character hash>.<ext> (build.rollupOptions defaults).
WHITENOISE_IMMUTABLE_FILE_TEST = rf"^{STATIC_URL}assets/.+-[\w-]{{8}}\.\w+$"
# The image has no Vite dev server, whatever the environment says.
DJANGO_VITE["default"]["dev_mode"] = False
DJANGO_VITE["default"]["manifest_path"] = env_path(
    "DJANGO_VITE_MANIFEST_PATH", default=STATIC_ROOT / "manifest.json"
)

# API
# ------------------------------------------------------------------------------
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    # Throttling keys on the client address. Behind one proxy that is the last address in
    # X-Forwarded-For; without this, DRF would key on the whole header, which a client can vary
    # to dodge the limit. https://www.django-rest-framework.org/api-guide/throttling/
    "NUM_PROXIES": env.int("DJANGO_NUM_PROXIES", default=1),
}

# LOGGING
# ------------------------------------------------------------------------------
LOGGING = {
    **LOGGING,
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "stream": "ext://sys.stdout",
        }
    },
}
