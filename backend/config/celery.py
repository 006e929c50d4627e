"""The Celery app: `celery -A backend.config worker|beat|flower`.

Settings live in Django's settings under the CELERY_ prefix (base.py, section CELERY).
"""

import os

from celery import Celery
from celery.signals import task_prerun
from django.db import close_old_connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.config.settings.local")

app = Celery("backend")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Imported here, not in the jobs app: bootsteps must be known before the worker starts.
from backend.jobs.maintenance import JobsMaintenance  # noqa: E402

app.steps["worker"].add(JobsMaintenance)


@task_prerun.connect
def _connections_checked_as_for_a_request(**kwargs) -> None:
    # What Django does when a request starts: drop a connection that is broken or older than
    # CONN_MAX_AGE, and health-check the one kept (CONN_HEALTH_CHECKS) at its first use.
    close_old_connections()
