"""pytest: the stack's own PostgreSQL and Redis (see base), real Celery workers, no eager mode."""

from .base import *  # noqa: F403
from .base import env

SECRET_KEY = env("DJANGO_SECRET_KEY", default="test-only-not-secret")
# Argon2 is slow on purpose and tests create many users; it stays to check the dev fixtures.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
]
APP_ENVIRONMENT = env("APP_ENVIRONMENT", default="test")
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": {"dj_rest_auth": "10000/minute", "jobs_create": "10000/minute"},
}
# allauth's rate limits live in the cache (the real Redis), so they would outlast a test run and
# throttle the next one: "one confirmation mail per address every 3 minutes".
ACCOUNT_RATE_LIMITS = False
# The test database is UTF-8 whatever the cluster's default: initdb in the C locale (the Nix
# build sandbox) makes template1 SQL_ASCII, and text read outside Django then comes back as bytes.
# https://docs.djangoproject.com/en/stable/ref/settings/#charset
DATABASES["default"]["TEST"] = {"CHARSET": "UTF8", "TEMPLATE": "template0"}  # noqa: F405
