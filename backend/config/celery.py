"""The Celery app: `celery -A backend.config worker|beat|flower`.

Settings live in Django's settings under the CELERY_ prefix (base.py, section CELERY).
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.config.settings.local")

app = Celery("backend")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Imported here, not in the jobs app: bootsteps must be known before the worker starts.
from backend.jobs.maintenance import JobsMaintenance  # noqa: E402

app.steps["worker"].add(JobsMaintenance)
