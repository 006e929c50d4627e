"""Settings shared by every environment.

Every value that differs between environments is read from the environment, with a default that
matches the dev stack (scripts/env.sh exports the rest). The README lists the variables.
"""

from pathlib import Path

import environ

from backend.core.project import project_name
from backend.core.redis_urls import broker_url_from_redis_url

env = environ.Env()


def env_path(name: str, default: Path) -> Path:
    # A pathlib.Path: environ's own Path type is unhashable, which breaks collectstatic.
    return Path(env.str(name, default=str(default)))


# backend/config/settings/base.py -> the checkout (in an installed package: used only as a default)
REPO_DIR = Path(__file__).resolve().parents[3]
APP_NAME = env("APP_NAME", default=project_name())

# GENERAL
# ------------------------------------------------------------------------------
DEBUG = env.bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
TIME_ZONE = env("DJANGO_TIME_ZONE", default="UTC")
LANGUAGE_CODE = "en-us"
USE_I18N = True
USE_TZ = True
ROOT_URLCONF = "backend.config.urls"
WSGI_APPLICATION = "backend.config.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# What /api/v1/version-info/ reports: APP_VERSION, else the VERSION file, else "development".
APP_VERSION = env("APP_VERSION", default="")
APP_VERSION_FILE = env_path("APP_VERSION_FILE", default=REPO_DIR / "VERSION")
APP_ENVIRONMENT = env("APP_ENVIRONMENT", default="development")
GIT_REVISION = env("GIT_REVISION", default="")

# DATABASES
# ------------------------------------------------------------------------------
# postgres:///<name> leaves the host to libpq, which reads PGHOST: the dev stack points it at
# its own socket directory, so Django, Celery and psql all reach the same server.
DATABASES = {"default": env.db("DATABASE_URL", default=f"postgres:///{APP_NAME}")}
# No transaction per request: a read needs none, and opening one costs two round trips and a
# savepoint on every request. Writes are atomic where they happen: each service, the
# multi-write account views (accounts.apis) and the admin's own views.
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
# https://docs.djangoproject.com/en/stable/ref/settings/#conn-health-checks
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# libpq's connect_timeout: a server that does not answer fails the request (a JSON 503) in
# seconds instead of holding it. https://www.postgresql.org/docs/current/libpq-connect.html
DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env.int(
    "DATABASE_CONNECT_TIMEOUT", default=3
)

# CACHES
# ------------------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
# Seconds any Redis client (cache, broker, probe) waits to connect or for an answer: a frozen
# Redis must cost a request a short wait, never a hang.
REDIS_TIMEOUT = env.float("REDIS_TIMEOUT", default=2.0)
# The cache holds only rate-limit counters and fails open (backend/core/cache.py).
CACHES = {
    "default": {
        "BACKEND": "backend.core.cache.FailOpenRedisCache",
        "LOCATION": REDIS_URL,
        "OPTIONS": {"socket_connect_timeout": REDIS_TIMEOUT, "socket_timeout": REDIS_TIMEOUT},
    }
}

# APPS
# ------------------------------------------------------------------------------
DJANGO_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.sites",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.admin",
]
THIRD_PARTY_APPS = [
    "rest_framework",
    "rest_framework.authtoken",
    "corsheaders",
    "allauth",
    "allauth.account",
    # dj-rest-auth's registration imports the socialaccount models.
    "allauth.socialaccount",
    "dj_rest_auth",
    "dj_rest_auth.registration",
    "django_celery_beat",
    "django_vite",
    "drf_spectacular",
    "drf_spectacular_sidecar",
]
LOCAL_APPS = [
    "backend.accounts",
    "backend.core",
    "backend.jobs",
    "backend.web",
]
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS
SITE_ID = 1

# AUTHENTICATION
# ------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
# https://docs.djangoproject.com/en/stable/topics/auth/passwords/#using-argon2-with-django
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# MIDDLEWARE
# ------------------------------------------------------------------------------
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "backend.core.dependencies.DependencyUnavailableMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "backend.core.middleware.OptionalTrailingSlashMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

# STATIC AND MEDIA
# ------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = env_path("STATIC_ROOT", default=REPO_DIR / ".state" / "static")
# The Vite build (frontend/dist, or the Nix store path of it). Vite writes manifest.json at its
# top level (vite.config.js: build.manifest), so collectstatic copies it along with the assets.
FRONTEND_DIST_DIR = env_path("FRONTEND_DIST_DIR", default=REPO_DIR / "frontend" / "dist")
STATICFILES_DIRS = [FRONTEND_DIST_DIR] if FRONTEND_DIST_DIR.is_dir() else []
MEDIA_URL = "/media/"
MEDIA_ROOT = env_path("MEDIA_ROOT", default=REPO_DIR / ".state" / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# DJANGO-VITE
# ------------------------------------------------------------------------------
# https://github.com/MrBin99/django-vite#configuration
DJANGO_VITE = {
    "default": {
        "dev_mode": env.bool("DJANGO_VITE_DEV_MODE", False),
        "dev_server_host": env("DJANGO_VITE_DEV_SERVER_HOST", default="localhost"),
        "dev_server_port": env.int("DJANGO_VITE_DEV_SERVER_PORT", default=3000),
        "manifest_path": env_path(
            "DJANGO_VITE_MANIFEST_PATH", default=FRONTEND_DIST_DIR / "manifest.json"
        ),
    }
}

# TEMPLATES
# ------------------------------------------------------------------------------
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]

# SECURITY
# ------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
CORS_ALLOWED_ORIGINS = env.list("DJANGO_CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/.*$"

# EMAIL
# ------------------------------------------------------------------------------
EMAIL_BACKEND = env("DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", default="127.0.0.1")
EMAIL_PORT = env.int("EMAIL_PORT", default=1025)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", default=f"{APP_NAME} <noreply@localhost>")
# Where links in mails point: the page that mounts the Vue app.
FRONTEND_URL = env("FRONTEND_URL", default="http://localhost:8000")

# ADMIN
# ------------------------------------------------------------------------------
ADMIN_URL = env("DJANGO_ADMIN_URL", default="admin/")

# LOGGING
# ------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(levelname)s %(asctime)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"level": env("DJANGO_LOG_LEVEL", default="INFO"), "handlers": ["console"]},
}

# CELERY
# ------------------------------------------------------------------------------
# https://docs.celeryq.dev/en/stable/userguide/configuration.html
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=broker_url_from_redis_url(REDIS_URL))
CELERY_TIMEZONE = TIME_ZONE
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
# Results live in the database (each feature's own models), so no result backend is needed.
CELERY_TASK_IGNORE_RESULT = True
# Time limits travel in each message with the sender's values: web, beat and worker must agree.
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=5 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=4 * 60)
# Lose nothing: a message is acknowledged only after its task ran, and a worker that dies
# mid-task gives it back. https://docs.celeryq.dev/en/stable/userguide/tasks.html#Task.acks_late
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fixup closes the database connection before and after every task unless this
# is set: a new PostgreSQL backend for every job. With it, a task keeps its connection the way a
# request does (CONN_MAX_AGE, CONN_HEALTH_CHECKS; backend/config/celery.py runs Django's
# close_old_connections before each task), and the fixup still renews it every this many tasks.
CELERY_DB_REUSE_MAX = 1000
# An unacknowledged message returns to the queue after this many seconds (a worker killed
# outright never rejects it); keep it above the hard time limit. kombu looks for such messages
# every unacked_restore_interval x unacked_restore_throttle seconds: 10 x 10 by default, which
# adds up to 100 s to a dead worker's delay; every 10 s costs one small Redis query.
# socket_*: a publish or probe against a frozen Redis gives up after REDIS_TIMEOUT (kombu's
# default is to wait forever). https://docs.celeryq.dev/projects/kombu/en/stable/reference/kombu.transport.redis.html
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=CELERY_TASK_TIME_LIMIT + 60),
    "unacked_restore_interval": 10,
    "unacked_restore_throttle": 1,
    "socket_timeout": REDIS_TIMEOUT,
    "socket_connect_timeout": REDIS_TIMEOUT,
}
CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_TIMEOUT
# A job's message is sent once, right after its commit; if that fails the job stays marked
# undispatched and the workers' dispatch loop sends it later (backend/jobs/services.py), so a
# request never waits out retries against a broker that is down.
CELERY_TASK_PUBLISH_RETRY = False
# Workers and beat outlive a broker outage: they reconnect with backoff, without a limit.
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# Task events are monitoring messages, several per job, each a Redis round trip: off unless
# asked for. Flower turns the workers' events on itself while it runs (its enable_events option);
# CELERY_TASK_EVENTS=true also has the web send task-sent events and the workers send theirs always.
CELERY_WORKER_SEND_TASK_EVENTS = env.bool("CELERY_TASK_EVENTS", default=False)
CELERY_TASK_SEND_SENT_EVENT = CELERY_WORKER_SEND_TASK_EVENTS
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Every worker sends undispatched jobs and requeues those whose worker died, this often (in a
# thread of its own, not through the queue, so a backlog cannot delay it; 0 turns it off).
JOBS_MAINTENANCE_INTERVAL = env.float("JOBS_MAINTENANCE_INTERVAL", default=5.0)
# A test or bench worker listens on its own queue, so it never takes another run's tasks.
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", default="celery")

# DJANGO REST FRAMEWORK
# ------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ("backend.accounts.authentication.TokenAuthentication",),
    "DEFAULT_PERMISSION_CLASSES": ("rest_framework.permissions.IsAuthenticated",),
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "backend.core.exceptions.api_exception_handler",
    # Only views that name a throttle_scope are throttled: dj-rest-auth's views use this one.
    "DEFAULT_THROTTLE_CLASSES": ("rest_framework.throttling.ScopedRateThrottle",),
    "DEFAULT_THROTTLE_RATES": {
        "dj_rest_auth": env("DJANGO_AUTH_THROTTLE_RATE", default="30/minute"),
        # Job submissions per user (backend/jobs/throttles.py).
        "jobs_create": env("DJANGO_JOBS_CREATE_THROTTLE_RATE", default="60/minute"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": f"{APP_NAME} API",
    "VERSION": "v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}

# DJ-REST-AUTH AND ALLAUTH
# ------------------------------------------------------------------------------
# https://dj-rest-auth.readthedocs.io/en/latest/configuration.html
_ACCOUNTS = "backend.accounts.serializers"
REST_AUTH = {
    "SESSION_LOGIN": False,
    "OLD_PASSWORD_FIELD_ENABLED": True,
    "LOGIN_SERIALIZER": f"{_ACCOUNTS}.LoginSerializer",
    "USER_DETAILS_SERIALIZER": f"{_ACCOUNTS}.UserDetailsSerializer",
    "REGISTER_SERIALIZER": f"{_ACCOUNTS}.RegisterSerializer",
    "PASSWORD_CHANGE_SERIALIZER": f"{_ACCOUNTS}.PasswordChangeSerializer",
    "PASSWORD_RESET_SERIALIZER": f"{_ACCOUNTS}.PasswordResetSerializer",
    "PASSWORD_RESET_CONFIRM_SERIALIZER": f"{_ACCOUNTS}.PasswordResetConfirmSerializer",
}
# https://docs.allauth.org/en/latest/account/configuration.html
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_ADAPTER = "backend.accounts.adapters.AccountAdapter"
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{APP_NAME}] "
