"""Fixtures of the jobs tests. `user`, `api_client` and `auth_client` come from backend/conftest.py.

The worker is a real `celery worker` process on this session's own queue; tests that use it
need @pytest.mark.django_db(transaction=True), since it sees only committed rows.
"""

import os
import shutil
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from backend.accounts.tests.factories import UserFactory
from backend.config.celery import app
from backend.core.database_url import database_url_from_settings
from backend.jobs.models import Job
from backend.jobs.processing import job_process
from backend.jobs.tests.factories import JobFactory
from backend.jobs.tests.worker import CeleryWorker, purge_queue

REPO_DIR = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def media_root(tmp_path_factory):
    """The session's MEDIA_ROOT, shared with the worker process."""
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def celery_queue():
    """This session's queue, consumed by this session's worker only."""
    queue = f"jobs-test-{uuid.uuid4().hex[:12]}"
    yield queue
    purge_queue(queue)


@pytest.fixture(autouse=True)
def jobs_test_environment(request, media_root, celery_queue):
    """For each jobs test: MEDIA_ROOT is the session's and starts empty (so a test can assert
    exactly what it wrote), and messages go to the session's queue if the test uses the
    worker, else to one nobody consumes: the worker, still running after an earlier test, must
    not run this test's jobs while the test's teardown empties the tables. Both are put back
    afterwards, for the tests of other apps. (purge_queue removes both queues.)"""
    for entry in media_root.iterdir():
        if entry.is_dir():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    previous_queue = app.conf.task_default_queue
    uses_worker = "worker_process" in request.fixturenames
    app.conf.task_default_queue = celery_queue if uses_worker else f"{celery_queue}-unconsumed"
    try:
        with override_settings(MEDIA_ROOT=str(media_root)):
            yield
    finally:
        app.conf.task_default_queue = previous_queue


@pytest.fixture(scope="session")
def worker_process(django_db_setup, django_db_blocker, media_root, celery_queue, tmp_path_factory):
    with django_db_blocker.unblock():
        test_database = database_url_from_settings(connection.settings_dict)
    worker = CeleryWorker(
        queue=celery_queue,
        env={
            # Not settings.SETTINGS_MODULE: override_settings hides it.
            "DJANGO_SETTINGS_MODULE": os.environ["DJANGO_SETTINGS_MODULE"],
            "DATABASE_URL": test_database,
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "MEDIA_ROOT": str(media_root),
            # What the worker sends itself (a requeue) goes to the queue it consumes.
            "CELERY_TASK_DEFAULT_QUEUE": celery_queue,
            # Off unless a test turns it on: a round must not race a test's own calls.
            "JOBS_MAINTENANCE_INTERVAL": "0",
        },
        log_dir=tmp_path_factory.mktemp("worker-logs"),
        cwd=REPO_DIR,
    )
    yield worker
    # Before the test database is dropped: the worker holds connections to it.
    worker.stop()


@pytest.fixture
def celery_worker(worker_process):
    """The worker, running with the default settings (restarted if a test changed or killed it)."""
    return worker_process.ensure_running()


@pytest.fixture
def other_user(db):
    return UserFactory()


@pytest.fixture
def other_client(other_user):
    token, _ = Token.objects.get_or_create(user=other_user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def completed_job(user):
    """A job of `user`, processed by calling the service in this process."""
    job = JobFactory(owner=user)
    job_process(job_id=str(job.pk))
    job.refresh_from_db()
    assert job.status == Job.Status.COMPLETED, job.error_message
    return job
