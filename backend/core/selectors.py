from pathlib import Path

from django.conf import settings
from django.db import connection


def version_info() -> dict:
    return {
        "name": settings.APP_NAME,
        "version": app_version(),
        "environment": settings.APP_ENVIRONMENT,
        "git_revision": settings.GIT_REVISION or None,
    }


def app_version() -> str:
    if settings.APP_VERSION:
        return settings.APP_VERSION
    version_file = Path(settings.APP_VERSION_FILE)
    if version_file.is_file():
        text = version_file.read_text(encoding="utf-8").strip()
        if text:
            return text
    return "development"


def readiness_problems() -> dict[str, str]:
    """Each unreachable dependency, by name, with the error it gave."""
    problems = {}
    try:
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # any failure means "not ready"; the message says which
        problems["database"] = _first_line(exc)
        # Drop the broken connection so the next probe reconnects instead of reusing it.
        connection.close_if_unusable_or_obsolete()
    try:
        _ping_broker()
    except Exception as exc:
        problems["broker"] = _first_line(exc)
    return problems


def _ping_broker() -> None:
    from backend.config.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)


def _first_line(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
