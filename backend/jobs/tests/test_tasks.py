"""The whole flow with a real `celery worker` process and real Redis, including workers that die.

These tests commit (transaction=True): the worker is another process and sees only committed
rows. Each ends with its jobs completed or failed: none is lost or left processing.
"""

import contextlib
import functools
import io
import os
import signal
import threading
import time
import zipfile
from datetime import timedelta

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from backend.config.celery import app
from backend.core.database_url import database_url_from_settings
from backend.jobs import limits
from backend.jobs.models import Job, JobResult
from backend.jobs.services import jobs_recover
from backend.jobs.tasks import process_job
from backend.jobs.tests.factories import SAMPLE_CSV, JobFactory, file_job_create
from backend.jobs.tests.helpers import big_text, multipart, stored_files, wait_for_status

pytestmark = pytest.mark.django_db(transaction=True)
Status = Job.Status
FINISHED = {Status.COMPLETED, Status.FAILED}
# Big enough that a worker spends a second or two on it: time to kill it mid-job.
BIG_MB = 9


CREATE = "/api/v1/jobs/create/"


def _submit_text(client, text: str, title: str = "Flow") -> str:
    response = client.post(CREATE, {"title": title, "text": text}, format="json")
    assert response.status_code == 202, response.json()
    return response.json()["id"]


@functools.cache
def _big_content(megabytes: float) -> bytes:
    # Made once: generating the text takes about as long as a run, and a test that starts two
    # runs must not let the first one end while it makes the second one's input.
    return big_text(megabytes).encode()


def _big_job(user, megabytes: float = BIG_MB) -> Job:
    job = file_job_create(owner=user, content=_big_content(megabytes), name="big.txt")
    process_job.apply_async(args=[str(job.pk)], task_id=job.celery_task_id)
    return job


def _processed_count(worker) -> int:
    stats = app.control.inspect(destination=[worker.name], timeout=2).stats() or {}
    return stats.get(worker.name, {}).get("total", {}).get(process_job.name, 0)


def _wait_until(predicate, timeout: float = 30, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{message} not reached within {timeout}s")
        time.sleep(0.05)


# The happy paths
# ------------------------------------------------------------------------------


def test_a_text_job_runs_through_the_worker(auth_client, celery_worker, media_root):
    job_id = _submit_text(auth_client, "Alpha beta gamma. Beta gamma! Gamma?")

    job = wait_for_status(job_id, FINISHED)
    assert job.status == Status.COMPLETED, job.error_message
    assert job.attempts == 1

    status = auth_client.get(f"/api/v1/jobs/status/{job_id}/").json()
    assert status["status"] == "completed"
    assert status["started_at"] is not None
    assert status["finished_at"] is not None
    results = auth_client.get(f"/api/v1/jobs/results/{job_id}/").json()
    assert results["data"]["top_terms"] == [
        {"term": "gamma", "count": 3},
        {"term": "beta", "count": 2},
        {"term": "alpha", "count": 1},
    ]
    assert results["data"]["sentence_count"] == 3
    archive = auth_client.get(results["files"]["archive"])
    names = zipfile.ZipFile(io.BytesIO(b"".join(archive.streaming_content))).namelist()
    assert sorted(names) == ["analysis.json", "report.md", "terms.csv"]

    assert auth_client.delete(f"/api/v1/jobs/delete/{job_id}/").status_code == 204
    assert stored_files(media_root) == set()
    assert not Job.objects.exists()


def test_a_csv_upload_runs_through_the_worker(auth_client, celery_worker):
    response = auth_client.post(
        CREATE, **multipart({"title": "People"}, [("file", b"people.csv", SAMPLE_CSV.encode())])
    )
    assert response.status_code == 202
    job = wait_for_status(response.json()["id"], FINISHED)
    assert job.status == Status.COMPLETED, job.error_message
    table = auth_client.get(f"/api/v1/jobs/results/{job.id}/").json()["data"]["csv"]
    assert (table["rows"], table["columns"]) == (3, 3)


def test_many_jobs_all_complete(auth_client, celery_worker):
    ids = [_submit_text(auth_client, f"Job number {n}. Words words.") for n in range(20)]
    for job_id in ids:
        assert wait_for_status(job_id, FINISHED).status == Status.COMPLETED
    listed = auth_client.get("/api/v1/jobs/list/?page_size=100&status=completed").json()
    assert [j["id"] for j in listed["results"]] == list(reversed(ids))


def test_a_failing_job_keeps_its_error_message(user, auth_client, celery_worker, media_root):
    job = file_job_create(owner=user, content=b"words", name="notes.txt")
    (media_root / job.input_file.name).write_bytes(b"\xff\xfe not utf-8")
    process_job.apply_async(args=[str(job.pk)], task_id=job.celery_task_id)

    job = wait_for_status(job.pk, FINISHED)
    assert job.status == Status.FAILED
    status = auth_client.get(f"/api/v1/jobs/status/{job.pk}/").json()
    assert status["error_message"] == "The input file is not UTF-8 text."
    assert auth_client.get(f"/api/v1/jobs/results/{job.pk}/").status_code == 409


def test_a_redelivered_message_for_a_completed_job_changes_nothing(user, celery_worker):
    job = JobFactory(owner=user)
    process_job.apply_async(args=[str(job.pk)], task_id=job.celery_task_id)
    finished = wait_for_status(job.pk, FINISHED)
    processed = _processed_count(celery_worker)

    process_job.apply_async(args=[str(job.pk)], task_id=job.celery_task_id)
    _wait_until(lambda: _processed_count(celery_worker) > processed, message="second delivery")

    again = Job.objects.get(pk=job.pk)
    assert (again.status, again.attempts, again.finished_at) == (
        Status.COMPLETED,
        1,
        finished.finished_at,
    )


# Deleting a running job
# ------------------------------------------------------------------------------


def test_deleting_a_running_job_leaves_nothing_behind(user, auth_client, celery_worker, media_root):
    job = _big_job(user)
    wait_for_status(job.pk, {Status.PROCESSING})

    assert auth_client.delete(f"/api/v1/jobs/delete/{job.pk}/").status_code == 204

    # The run in progress finds its job gone and stores nothing.
    _wait_until(
        lambda: not any(t["id"] == job.celery_task_id for t in celery_worker.active_tasks()),
        message="the running task to end",
    )
    assert not Job.objects.exists()
    assert not JobResult.objects.exists()
    assert stored_files(media_root) == set()


def _waiting_locks() -> int:
    """Lock waits in this test's database only: parallel test workers share the server."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks JOIN pg_stat_activity USING (pid)"
            " WHERE NOT granted AND datname = current_database()"
        )
        return cursor.fetchone()[0]


@contextlib.contextmanager
def _worker_held_in_its_save_phase(job):
    """The worker reaches phase 3 (row lock taken, output files written) and waits there, on
    the result row another transaction is inserting, until the block ends."""
    blocker = psycopg.connect(database_url_from_settings(connection.settings_dict))
    try:
        blocker.execute(
            "INSERT INTO jobs_jobresult (job_id, data, terms_csv, report_md,"
            " archive_zip, created_at) VALUES (%s, '{}', '', '', '', now())",
            [job.pk],
        )
        process_job.apply_async(args=[str(job.pk)], task_id=job.celery_task_id)
        _wait_until(lambda: _waiting_locks() >= 1, message="the worker to wait in phase 3")
        yield
    finally:
        blocker.rollback()
        blocker.close()


@pytest.mark.parametrize("deleted", ["job", "user"])
def test_a_delete_while_the_worker_saves_leaves_no_file_and_no_500(
    user, auth_client, celery_worker, media_root, deleted
):
    job = JobFactory(owner=user)
    answers = []

    def delete() -> None:
        try:
            if deleted == "job":
                answers.append(auth_client.delete(f"/api/v1/jobs/delete/{job.pk}/").status_code)
            else:
                type(user).objects.get(pk=user.pk).delete()
                answers.append("deleted")
        finally:
            connection.close()

    with _worker_held_in_its_save_phase(job):
        deleting = threading.Thread(target=delete)
        deleting.start()
        # The delete waits too: on the job's row, which the saving worker holds.
        _wait_until(lambda: _waiting_locks() >= 2, message="the delete to wait for the worker")
    deleting.join(timeout=30)

    assert answers == [204 if deleted == "job" else "deleted"]
    _wait_until(lambda: stored_files(media_root) == set(), message="the job's files to go")
    assert not Job.objects.filter(pk=job.pk).exists()
    assert not JobResult.objects.exists()


def test_a_job_over_the_soft_time_limit_fails_with_a_message(user, celery_worker):
    # The limits travel in the message, set by the sender from its settings
    # (CELERY_TASK_SOFT_TIME_LIMIT): here a sender whose soft limit is one second.
    # 30 MB (stored directly; the API takes 10): several seconds of work.
    job = file_job_create(owner=user, content=big_text(30).encode(), name="big.txt")
    process_job.apply_async(
        args=[str(job.pk)], task_id=job.celery_task_id, soft_time_limit=1, time_limit=60
    )

    job = wait_for_status(job.pk, FINISHED, timeout=60)
    assert job.status == Status.FAILED
    assert job.error_message == "Processing took longer than its time limit and was stopped."
    assert not JobResult.objects.exists()


# Workers that die
# ------------------------------------------------------------------------------


def test_a_pool_process_killed_mid_job_gets_the_job_back(user, celery_worker):
    job = _big_job(user)
    wait_for_status(job.pk, {Status.PROCESSING})

    os.kill(celery_worker.pool_pid_running(job.celery_task_id), signal.SIGKILL)

    # reject_on_worker_lost: the worker puts the message back and another pool process runs it.
    job = wait_for_status(job.pk, FINISHED, timeout=60)
    assert job.status == Status.COMPLETED, job.error_message
    assert job.attempts == 2  # the kill landed mid-job, else this would be 1


def test_a_job_whose_pool_process_is_always_killed_ends_failed(user, celery_worker):
    # A poison message (say, one that runs the process out of memory) comes back after every
    # kill; the attempts counter ends the loop.
    job = _big_job(user)
    for attempt in range(1, limits.MAX_ATTEMPTS + 1):
        _wait_until(
            lambda n=attempt: Job.objects.filter(
                pk=job.pk, status=Status.PROCESSING, attempts=n
            ).exists(),
            timeout=60,
            message=f"run {attempt}",
        )
        os.kill(celery_worker.pool_pid_running(job.celery_task_id), signal.SIGKILL)

    job = wait_for_status(job.pk, FINISHED, timeout=60)
    assert job.status == Status.FAILED  # "completed" would mean a kill came too late
    assert f"started {limits.MAX_ATTEMPTS} times" in job.error_message


def test_a_whole_worker_killed_mid_job_gets_the_message_back_from_redis(user, worker_process):
    worker_process.ensure_running()
    job = _big_job(user)
    wait_for_status(job.pk, {Status.PROCESSING})

    worker_process.kill()
    assert Job.objects.get(pk=job.pk).status == Status.PROCESSING

    # Nobody acknowledged or rejected the message: Redis hands it out again once the
    # visibility timeout has passed (short here; the settings keep it above the time limit).
    worker_process.start(CELERY_VISIBILITY_TIMEOUT="3")
    job = wait_for_status(job.pk, FINISHED, timeout=90)
    assert job.status == Status.COMPLETED, job.error_message
    assert job.attempts == 2


def test_a_whole_worker_killed_mid_job_is_requeued_by_recovery(user, worker_process):
    worker_process.ensure_running()
    job = _big_job(user)
    running = wait_for_status(job.pk, {Status.PROCESSING})
    worker_process.kill()
    worker_process.start()

    # What the beat task finds once the time limit has passed (judged as of then).
    later = running.started_at + timedelta(hours=1)
    assert jobs_recover(now=later)["requeued"] == [str(job.pk)]

    job = wait_for_status(job.pk, FINISHED, timeout=60)
    assert job.status == Status.COMPLETED, job.error_message
    assert job.attempts == 2


def test_jobs_of_a_killed_worker_run_again_within_30_s_and_complete_once(
    user, auth_client, worker_process, media_root
):
    worker_process.ensure_running()
    # Larger: both must still be running after the small jobs' submissions.
    big = [_big_job(user, megabytes=3 * BIG_MB) for _ in range(2)]
    small = [
        _submit_text(auth_client, f"words {n} and more words", f"Small {n}") for n in range(18)
    ]
    for job in big:
        wait_for_status(job.pk, {Status.PROCESSING})
    worker_process.kill()

    # No call from the test: the new worker's maintenance thread finds the silent jobs. A short
    # visibility timeout makes Redis hand the dead worker's messages out again as well: whichever
    # comes first runs the job, the other finds it taken (stale, or running) and does nothing.
    worker_process.start(JOBS_MAINTENANCE_INTERVAL="1", CELERY_VISIBILITY_TIMEOUT="3")
    available = timezone.now()
    jobs = [wait_for_status(pk, FINISHED, timeout=90) for pk in [j.pk for j in big] + small]

    assert [job.status for job in jobs] == [Status.COMPLETED] * 20
    for job in jobs[:2]:
        assert job.attempts == 2
        # Silent for HEARTBEAT_TIMEOUT, then requeued: running again within 30 s.
        assert job.started_at - available < timedelta(seconds=30)
    assert JobResult.objects.filter(job__owner=user).count() == 20
    assert len(stored_files(media_root)) == 2 + 20 * 3  # the big jobs' inputs, 3 outputs each
