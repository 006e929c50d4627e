"""The Celery app: `celery -A backend.config worker|beat|flower`.

Settings live in Django's settings under the CELERY_ prefix (base.py, section CELERY).
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.config.settings.local")

app = Celery("backend")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
