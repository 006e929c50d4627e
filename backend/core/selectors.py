import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from django.conf import settings
from django.db import connection

logger = logging.getLogger(__name__)


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


# A probe answers within this many seconds whatever its dependencies do (a frozen server
# accepts connections and then never answers): a check still running by then counts as failing.
READINESS_DEADLINE_SECONDS = 2.5


def readiness_problems() -> list[str]:
    """The names of the dependencies that do not answer in time ("database", "broker").

    Only names: the probe is public, and errors carry host and user names (they are logged).
    Each check runs in a thread of its own with at most one in flight, so a server that hangs
    costs one stuck thread, not one per probe.
    """
    started = {name: _start_check(name, check) for name, check in _CHECKS.items()}
    deadline = time.monotonic() + READINESS_DEADLINE_SECONDS
    failing = []
    for name, future in started.items():
        try:
            future.result(timeout=max(0.0, deadline - time.monotonic()))
        except Exception as exc:  # any failure, or the deadline, means "not ready"
            logger.warning("readiness: %s failing: %s", name, _first_line(exc))
            failing.append(name)
    return failing


def _check_database() -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        # The check's thread is throwaway: its connection goes with it.
        connection.close()


def _check_broker() -> None:
    from backend.config.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=settings.REDIS_TIMEOUT)
        # Connecting alone succeeds against a frozen Redis; a command shows it answers.
        conn.default_channel.client.ping()


_CHECKS = {"database": _check_database, "broker": _check_broker}
_executors = {name: ThreadPoolExecutor(max_workers=1) for name in _CHECKS}
_in_flight: dict[str, Future] = {}
_in_flight_lock = threading.Lock()


def _start_check(name: str, check) -> Future:
    with _in_flight_lock:
        future = _in_flight.get(name)
        if future is None or future.done():
            future = _in_flight[name] = _executors[name].submit(check)
        return future


def _first_line(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
