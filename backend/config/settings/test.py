"""pytest: the stack's own PostgreSQL and Redis (see base), real Celery workers, no eager mode."""

from .base import *  # noqa: F403
from .base import env

SECRET_KEY = env("DJANGO_SECRET_KEY", default="test-only-not-secret")
# Argon2 is slow on purpose; tests create many users.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
APP_ENVIRONMENT = env("APP_ENVIRONMENT", default="test")
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": {"dj_rest_auth": "10000/minute"},
}
