"""The jobs' upkeep inside every Celery worker: a thread that runs services.jobs_maintain every
JOBS_MAINTENANCE_INTERVAL seconds (sends what the broker missed, requeues dead workers' jobs).

A thread of the worker's main process rather than a beat task: a periodic task waits in the
queue behind every job before it, and recovery is needed most when that queue is long. Several
workers running it at once is safe (their rounds skip each other's locked rows).
https://docs.celeryq.dev/en/stable/userguide/extending.html#worker-bootsteps
"""

import logging
import threading

from celery import bootsteps

logger = logging.getLogger(__name__)


class JobsMaintenance(bootsteps.StartStopStep):
    # After the pool, so no pool process is forked from a process running this thread.
    requires = {"celery.worker.components:Pool"}

    def __init__(self, parent, **kwargs):
        super().__init__(parent, **kwargs)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, parent):
        from django.conf import settings

        interval = settings.JOBS_MAINTENANCE_INTERVAL
        if interval <= 0:
            return
        self._thread = threading.Thread(
            target=self._loop, args=(interval,), name="jobs-maintenance", daemon=True
        )
        self._thread.start()

    def stop(self, parent):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _loop(self, interval: float) -> None:
        # Models load with Django, which the worker sets up after importing this module.
        from django.db import connection

        from backend.jobs.services import jobs_maintain

        try:
            while not self._stop.wait(interval):
                try:
                    jobs_maintain()
                except Exception as exc:  # the database or broker is away: next round
                    logger.warning("jobs maintenance round failed: %s", exc)
                    connection.close()
        finally:
            connection.close()
