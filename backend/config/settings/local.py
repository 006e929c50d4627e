"""The dev stack: debug on, a throwaway secret key, mail to mailpit."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", True)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="local-development-only-not-secret")
# The dev stack runs Vite on :3000 with HMR; DJANGO_VITE_DEV_MODE=false serves the build instead.
DJANGO_VITE["default"]["dev_mode"] = env.bool("DJANGO_VITE_DEV_MODE", True)  # noqa: F405

# DEV_HTTPS=true: the stack's TLS proxy (scripts/https-proxy, Caddy) serves the app and Vite over
# https and tells Django with X-Forwarded-Proto; cookies then travel over TLS only, as in
# production. scripts/lib/ports.sh derives the https URLs (FRONTEND_URL, CORS, django-vite's).
# No CSRF_TRUSTED_ORIGINS: with the header, the page's own https origin passes CSRF's origin
# check as same-origin; a list naming it would hide a proxy that no longer sets the header.
DEV_HTTPS = env.bool("DEV_HTTPS", False)
if DEV_HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
DJANGO_VITE["default"]["dev_server_protocol"] = env(  # noqa: F405
    "DJANGO_VITE_DEV_SERVER_PROTOCOL", default="https" if DEV_HTTPS else "http"
)
CORS_ALLOWED_ORIGINS = env.list(
    "DJANGO_CORS_ALLOWED_ORIGINS", default=["http://localhost:3000", "http://127.0.0.1:3000"]
)
