"""Redis frozen under a running server and worker: real processes, a real SIGSTOP.

gunicorn and a `celery worker` run against the test database and a throwaway Redis of their
own (cache and broker), which the test freezes and thaws; the stack's Redis is not touched.
"""

import os
import re
import time
from pathlib import Path

import pytest
from django.db import connection
from rest_framework.authtoken.models import Token

from backend.core.database_url import database_url_from_settings
from backend.core.tests.throwaway import ThrowawayRedis, WsgiServer
from backend.jobs.models import Job, JobResult
from backend.jobs.tests.helpers import stored_files, wait_for_status
from backend.jobs.tests.worker import CeleryWorker

pytestmark = pytest.mark.django_db(transaction=True)
Status = Job.Status
REPO_DIR = Path(__file__).resolve().parents[3]
CREATE = "/api/v1/jobs/create/"


@pytest.fixture
def frozen_redis_stack(user, media_root, tmp_path):
    """A server and a worker on a Redis the test can freeze: (redis, server, worker, headers)."""
    redis = ThrowawayRedis()
    env = {
        "DJANGO_SETTINGS_MODULE": os.environ["DJANGO_SETTINGS_MODULE"],
        "DATABASE_URL": database_url_from_settings(connection.settings_dict),
        "REDIS_URL": redis.url,
        "CELERY_BROKER_URL": redis.broker_url,
        "CELERY_TASK_DEFAULT_QUEUE": "celery",
        "MEDIA_ROOT": str(media_root),
    }
    server = worker = None
    try:
        server = WsgiServer(env)
        worker = CeleryWorker(
            queue="celery", env={**env, "JOBS_MAINTENANCE_INTERVAL": "1"},
            log_dir=tmp_path, cwd=REPO_DIR, broker_url=redis.broker_url,
        ).start()  # fmt: skip
        token, _ = Token.objects.get_or_create(user=user)
        yield redis, server, worker, {"Authorization": f"Token {token.key}"}
    finally:
        redis.thaw()
        if worker is not None:
            worker.stop()
        if server is not None:
            server.stop()
        redis.remove()


def test_readyz_names_the_broker_within_3_seconds_while_redis_is_frozen(frozen_redis_stack):
    redis, server, _worker, _headers = frozen_redis_stack
    assert server.get("/readyz")[0] == 200

    redis.freeze()
    started = time.monotonic()
    status, _headers, body = server.request("GET", "/readyz")
    elapsed = time.monotonic() - started

    assert status == 503
    # Only the part's name: the error's text (paths, hosts, users) stays in the log.
    assert body == b'{"status": "unavailable", "failing": ["broker"]}'
    assert elapsed < 3, f"/readyz took {elapsed:.1f}s"

    redis.thaw()
    deadline = time.monotonic() + 20
    while server.get("/readyz")[0] != 200:
        assert time.monotonic() < deadline, "/readyz did not recover after the thaw"
        time.sleep(0.2)


def test_jobs_created_while_redis_is_frozen_are_accepted_then_each_completes_once(
    frozen_redis_stack, media_root
):
    redis, server, worker, headers = frozen_redis_stack
    redis.freeze()

    ids, slowest = [], 0.0
    for number in range(5):
        started = time.monotonic()
        status, _, body = server.request(
            "POST", CREATE, json_body={"title": f"Frozen {number}", "text": "some words here"},
            headers=headers, timeout=15,
        )  # fmt: skip
        slowest = max(slowest, time.monotonic() - started)
        # Stored and accepted; the throttle, whose counters live in the frozen Redis, let it by.
        assert status == 202, body
        ids.append(re.search(rb'"id":\s*"([0-9a-f-]+)"', body).group(1).decode())
    # At worst one timeout for the throttle and one for the send (REDIS_TIMEOUT each); after
    # that the process leaves the frozen Redis alone for a few seconds.
    assert slowest < 8, f"a submission took {slowest:.1f}s"
    assert all(
        job.status == Status.PENDING and job.dispatched_at is None
        for job in Job.objects.filter(pk__in=ids)
    )

    redis.thaw()
    jobs = [
        wait_for_status(job_id, {Status.COMPLETED, Status.FAILED}, timeout=60) for job_id in ids
    ]

    assert [job.status for job in jobs] == [Status.COMPLETED] * 5
    assert [job.attempts for job in jobs] == [1] * 5
    assert JobResult.objects.filter(job__in=ids).count() == 5
    assert len(stored_files(media_root)) == 5 * 3
    # Each job's message reached the worker exactly once.
    log = worker.log_path.read_text()
    for job in jobs:
        assert log.count(f"[{job.celery_task_id}] received") == 1, job.celery_task_id
