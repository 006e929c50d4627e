"""The services, called directly: creating, deleting, recovering from dead workers and sending
what the broker missed."""

import socket
import subprocess
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DataError
from django.utils import timezone

from backend.jobs import limits
from backend.jobs.models import Job
from backend.jobs.services import (
    job_create,
    job_delete,
    jobs_dispatch_pending,
    jobs_maintain,
    jobs_recover,
)
from backend.jobs.tests.factories import SAMPLE_CSV, JobFactory, file_job_create
from backend.jobs.tests.helpers import process_here, stored_files

pytestmark = pytest.mark.django_db
Status = Job.Status


def test_job_create_stores_the_upload_under_a_fixed_name(user, media_root):
    upload = SimpleUploadedFile("../../x.csv", SAMPLE_CSV.encode())
    job = job_create(
        owner=user,
        title="t",
        options={},
        upload=upload,
        upload_name="x.csv",
        upload_extension=".csv",
    )
    assert job.input_file.name == f"jobs/{user.id}/{job.id}/input.csv"
    assert stored_files(media_root) == {job.input_file.name}


def test_job_create_removes_the_upload_when_the_row_cannot_be_stored(user, media_root):
    upload = SimpleUploadedFile("x.txt", b"words")
    with pytest.raises(DataError):
        job_create(
            owner=user,
            title="x" * 300,  # longer than the column: the insert fails after the file is saved
            options={},
            upload=upload,
            upload_name="x.txt",
            upload_extension=".txt",
        )
    assert stored_files(media_root) == set()


def test_a_job_must_have_an_input(user):
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        JobFactory(owner=user, input_text="")


def test_job_delete_removes_files_only_after_the_commit(
    user, media_root, django_capture_on_commit_callbacks
):
    job = process_here(file_job_create(owner=user, content=b"words", name="a.txt"))
    assert len(stored_files(media_root)) == 4
    with django_capture_on_commit_callbacks() as callbacks:
        assert job_delete(job=job) is True
    assert len(stored_files(media_root)) == 4
    for callback in callbacks:
        callback()
    assert stored_files(media_root) == set()
    assert not (media_root / "jobs" / str(user.id) / str(job.id)).exists()


@pytest.mark.parametrize(
    "delete",
    [
        pytest.param(lambda job: job.delete(), id="model"),
        pytest.param(lambda job: Job.objects.filter(pk=job.pk).delete(), id="query"),
        pytest.param(lambda job: job.owner.delete(), id="owner-cascade"),
    ],
)
def test_any_delete_of_a_job_removes_its_files_after_the_commit(
    user, media_root, django_capture_on_commit_callbacks, delete
):
    job = process_here(file_job_create(owner=user, content=b"words", name="a.txt"))
    files = stored_files(media_root)
    assert len(files) == 4
    with django_capture_on_commit_callbacks() as callbacks:
        delete(job)
    assert stored_files(media_root) == files
    for callback in callbacks:
        callback()
    assert stored_files(media_root) == set()
    assert not (media_root / "jobs" / str(user.id) / str(job.id)).exists()


def test_a_result_deleted_on_its_own_takes_its_files_along(
    user, media_root, django_capture_on_commit_callbacks
):
    job = process_here(file_job_create(owner=user, content=b"words", name="a.txt"))
    with django_capture_on_commit_callbacks(execute=True):
        job.result.delete()
    assert stored_files(media_root) == {job.input_file.name}


def test_job_delete_of_an_already_deleted_job_reports_it(user):
    job = JobFactory(owner=user)
    Job.objects.filter(pk=job.pk).delete()
    assert job_delete(job=job) is False


# Recovering from dead workers, and sending what the broker missed
# ------------------------------------------------------------------------------


def _hours_later(hours: float = 1):
    return timezone.now() + timedelta(hours=hours)


def _running(user, *, attempts: int = 1, heartbeat_at=None) -> Job:
    now = timezone.now()
    return JobFactory(
        owner=user, status=Status.PROCESSING, attempts=attempts, started_at=now,
        heartbeat_at=heartbeat_at or now, worker="another-host:1234", dispatched_at=now,
    )  # fmt: skip


def test_a_job_whose_heartbeat_stopped_is_requeued_with_a_new_message(
    user, django_capture_on_commit_callbacks
):
    job = _running(user)
    old_task = job.celery_task_id
    silent_for = limits.HEARTBEAT_TIMEOUT

    # Within the timeout the worker may just be between two heartbeats.
    assert jobs_recover(now=job.heartbeat_at + silent_for - timedelta(seconds=1))["requeued"] == []

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        report = jobs_recover(now=job.heartbeat_at + silent_for + timedelta(seconds=1))

    job.refresh_from_db()
    assert report == {"requeued": [str(job.pk)], "failed": []}
    assert (job.status, job.started_at, job.attempts, job.worker) == (Status.PENDING, None, 1, "")
    assert job.celery_task_id != old_task
    # The new message was sent after the commit, and the send recorded.
    assert len(callbacks) == 1
    assert job.dispatched_at is not None


def test_a_silent_job_out_of_attempts_is_failed_with_a_message(user):
    job = _running(user, attempts=limits.MAX_ATTEMPTS)
    report = jobs_recover(now=_hours_later())
    job.refresh_from_db()
    assert report["failed"] == [str(job.pk)]
    assert job.status == Status.FAILED
    assert "stopped each time" in job.error_message


def test_a_job_the_broker_did_not_take_is_sent_by_the_dispatch_round(user):
    job = JobFactory(owner=user)  # pending, dispatched_at unset
    # The request's own send may still be under way: the round leaves it alone for a while.
    assert jobs_dispatch_pending(now=job.queued_at + limits.DISPATCH_GRACE / 2) == []

    assert jobs_dispatch_pending(now=job.queued_at + limits.DISPATCH_GRACE * 2) == [str(job.pk)]

    job.refresh_from_db()
    assert job.status == Status.PENDING
    assert job.dispatched_at is not None
    # Sent once: the next round finds nothing to send.
    assert jobs_dispatch_pending(now=_hours_later()) == []


def test_a_dispatched_job_is_never_sent_again_however_long_it_waits(user):
    # A long queue is not a lost message: the job keeps its place.
    job = JobFactory(owner=user, dispatched_at=timezone.now())
    assert jobs_maintain(now=_hours_later(24)) == {"requeued": [], "failed": [], "dispatched": []}
    job.refresh_from_db()
    assert job.status == Status.PENDING


def test_finished_jobs_are_left_alone_by_recovery(user):
    for status in (Status.COMPLETED, Status.FAILED):
        JobFactory(owner=user, status=status, started_at=timezone.now())
    assert jobs_recover(now=_hours_later(24)) == {"requeued": [], "failed": []}


def test_a_second_copy_of_a_message_whose_run_is_alive_is_skipped(user):
    job = _running(user)
    assert process_here(job).status == Status.PROCESSING  # the other host's run goes on
    assert job.attempts == 1


def test_a_message_whose_run_died_on_this_host_runs_again_at_once(user):
    # A pool process killed mid-job: its message comes back within the heartbeat timeout.
    job = _running(user)
    Job.objects.filter(pk=job.pk).update(worker=f"{socket.gethostname()}:{_dead_pid()}")
    job = process_here(job)
    assert (job.status, job.attempts) == (Status.COMPLETED, 2)


def _dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_a_requeued_jobs_old_message_is_stale(user, django_capture_on_commit_callbacks):
    job = _running(user)
    old_task = job.celery_task_id
    jobs_recover(now=_hours_later())
    # Redis redelivers the dead worker's message after its visibility timeout: ignored.
    assert process_here(job, task_id=old_task).status == Status.PENDING
    # The new message runs it.
    job.refresh_from_db()
    assert process_here(job).status == Status.COMPLETED
