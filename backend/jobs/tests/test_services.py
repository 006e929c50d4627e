"""The services, called directly: processing, redelivery, recovery, creating and deleting."""

import io
import os
import socket
import subprocess
import time
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DataError
from django.utils import timezone

from backend.jobs import limits
from backend.jobs.models import ProcessingRequest, ProcessingResult
from backend.jobs.services import (
    job_create,
    job_delete,
    job_process,
    jobs_dispatch_pending,
    jobs_maintain,
    jobs_recover,
)
from backend.jobs.tests.factories import SAMPLE_CSV, ProcessingRequestFactory, file_job_create
from backend.jobs.tests.helpers import stored_files

pytestmark = pytest.mark.django_db
Status = ProcessingRequest.Status


def _process(job: ProcessingRequest, task_id: str | None = None) -> ProcessingRequest:
    job_process(job_id=str(job.pk), task_id=task_id or job.celery_task_id)
    job.refresh_from_db()
    return job


# Processing
# ------------------------------------------------------------------------------


def test_a_job_goes_from_pending_to_completed_with_its_files(user, media_root):
    job = ProcessingRequestFactory(owner=user)
    assert job.status == Status.PENDING

    job = _process(job)

    assert job.status == Status.COMPLETED
    assert job.attempts == 1
    assert job.error_message == ""
    assert job.created_at <= job.started_at <= job.finished_at
    result = job.result
    assert result.data["top_terms"][0] == {"term": "fox", "count": 4}
    directory = f"jobs/{user.id}/{job.id}"
    assert sorted(result.stored_files()) == [
        f"{directory}/archive.zip",
        f"{directory}/report.md",
        f"{directory}/terms.csv",
    ]
    for name in result.stored_files():
        assert (media_root / name).stat().st_size > 0


def test_a_csv_file_job_is_summarised(user):
    job = _process(file_job_create(owner=user, content=SAMPLE_CSV.encode(), name="p.csv"))
    assert job.result.data["csv"]["rows"] == 3


def test_a_text_file_is_not_read_as_csv(user):
    job = _process(file_job_create(owner=user, content=b"a,b\n1,2\n", name="notes.txt"))
    assert job.result.data["csv"] is None


def test_a_redelivered_message_for_a_completed_job_does_nothing(user, media_root):
    job = _process(ProcessingRequestFactory(owner=user))
    files = {name: (media_root / name).stat().st_mtime_ns for name in job.result.stored_files()}

    again = _process(job)

    assert (again.status, again.attempts, again.finished_at) == (
        Status.COMPLETED,
        1,
        job.finished_at,
    )
    assert {n: (media_root / n).stat().st_mtime_ns for n in files} == files


def test_a_redelivered_message_for_a_failed_job_does_nothing(user):
    job = ProcessingRequestFactory(owner=user, status=Status.FAILED, error_message="gone")
    assert _process(job).error_message == "gone"


def test_a_job_left_processing_by_a_dead_worker_runs_again(user, media_root):
    # What a redelivered message finds after its worker was killed mid-job, output half written.
    job = ProcessingRequestFactory(
        owner=user, status=Status.PROCESSING, attempts=1, started_at=timezone.now()
    )
    leftover = media_root / f"jobs/{user.id}/{job.id}/terms.csv"
    leftover.parent.mkdir(parents=True)
    leftover.write_text("half")

    job = _process(job)

    assert job.status == Status.COMPLETED
    assert job.attempts == 2
    assert job.result.terms_csv.name == f"jobs/{user.id}/{job.id}/terms.csv"
    assert leftover.read_text().startswith("term,count")
    assert len(list(leftover.parent.iterdir())) == 3


def test_a_run_records_each_phase_it_enters(user, monkeypatch):
    from backend.jobs import services

    seen = []
    real = services._enter_phase

    def recording(job, phase):
        seen.append((phase, ProcessingRequest.objects.get(pk=job.pk).phase))
        return real(job, phase)

    monkeypatch.setattr(services, "_enter_phase", recording)
    job = _process(ProcessingRequestFactory(owner=user))
    # Each phase entered after the one before was stored (prepare by the run's start).
    assert seen == [("analyse", "prepare"), ("save", "analyse")]
    assert (job.status, job.phase) == (Status.COMPLETED, "save")


def test_a_stale_message_does_nothing(user):
    job = ProcessingRequestFactory(owner=user)
    job = _process(job, task_id="an-older-message")
    assert (job.status, job.attempts) == (Status.PENDING, 0)


def test_a_message_for_a_deleted_job_does_nothing(user, media_root):
    job = ProcessingRequestFactory(owner=user)
    job_id = str(job.pk)
    job.delete()
    job_process(job_id=job_id, task_id="any")
    assert stored_files(media_root) == set()


def test_a_job_started_too_often_is_failed_with_a_message(user):
    job = ProcessingRequestFactory(
        owner=user, status=Status.PROCESSING, attempts=limits.MAX_ATTEMPTS
    )
    job = _process(job)
    assert job.status == Status.FAILED
    assert f"started {limits.MAX_ATTEMPTS} times" in job.error_message
    assert job.finished_at is not None
    assert not ProcessingResult.objects.exists()


def test_a_missing_input_file_fails_the_job_with_a_message(user, media_root):
    job = file_job_create(owner=user, content=b"words", name="a.txt")
    (media_root / job.input_file.name).unlink()
    job = _process(job)
    assert (job.status, job.error_message) == (Status.FAILED, "The input file is missing.")


def test_an_input_file_that_is_no_longer_utf8_fails_the_job(user, media_root):
    job = file_job_create(owner=user, content=b"words", name="a.txt")
    (media_root / job.input_file.name).write_bytes(b"\xff\xfe")
    job = _process(job)
    assert (job.status, job.error_message) == (Status.FAILED, "The input file is not UTF-8 text.")
    assert job.finished_at is not None


def test_an_input_csv_that_is_no_longer_a_csv_fails_the_job(user, media_root):
    job = file_job_create(owner=user, content=SAMPLE_CSV.encode(), name="a.csv")
    (media_root / job.input_file.name).write_text("a,b,c\n" + "1,2,3\n" * 10 + "1\n")
    job = _process(job)
    assert job.status == Status.FAILED
    assert job.error_message == "Not a CSV file: line 12 has 1 fields, the header has 3."


@pytest.fixture
def work_root(tmp_path, monkeypatch, settings):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    return tmp_path / f"{settings.APP_NAME}-jobs-work"


def test_the_working_directory_is_removed(user, work_root):
    _process(ProcessingRequestFactory(owner=user))
    assert list(work_root.iterdir()) == []


def test_the_working_directory_is_removed_after_a_failure(user, work_root, media_root):
    job = file_job_create(owner=user, content=b"words", name="a.txt")
    (media_root / job.input_file.name).unlink()
    assert _process(job).status == Status.FAILED
    assert list(work_root.iterdir()) == []


def test_leftovers_of_killed_runs_are_removed_by_later_runs(user, work_root, settings):
    job = ProcessingRequestFactory(owner=user)
    # This job's own earlier run, killed before its cleanup:
    (work_root / str(job.id)).mkdir(parents=True)
    (work_root / str(job.id) / "terms.csv").write_text("half")
    # Another job's, older than any run can be, and one that may still be running:
    abandoned, running = work_root / "abandoned", work_root / "running"
    abandoned.mkdir()
    running.mkdir()
    too_old = time.time() - settings.CELERY_TASK_TIME_LIMIT - 3600
    os.utime(abandoned, (too_old, too_old))

    _process(job)

    assert sorted(p.name for p in work_root.iterdir()) == ["running"]


# Creating and deleting
# ------------------------------------------------------------------------------


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
        ProcessingRequestFactory(owner=user, input_text="")


def test_job_delete_removes_files_only_after_the_commit(
    user, media_root, django_capture_on_commit_callbacks
):
    job = _process(file_job_create(owner=user, content=b"words", name="a.txt"))
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
        pytest.param(lambda job: ProcessingRequest.objects.filter(pk=job.pk).delete(), id="query"),
        pytest.param(lambda job: job.owner.delete(), id="owner-cascade"),
    ],
)
def test_any_delete_of_a_job_removes_its_files_after_the_commit(
    user, media_root, django_capture_on_commit_callbacks, delete
):
    job = _process(file_job_create(owner=user, content=b"words", name="a.txt"))
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
    job = _process(file_job_create(owner=user, content=b"words", name="a.txt"))
    with django_capture_on_commit_callbacks(execute=True):
        job.result.delete()
    assert stored_files(media_root) == {job.input_file.name}


def test_job_delete_of_an_already_deleted_job_reports_it(user):
    job = ProcessingRequestFactory(owner=user)
    ProcessingRequest.objects.filter(pk=job.pk).delete()
    assert job_delete(job=job) is False


# Recovering from dead workers, and sending what the broker missed
# ------------------------------------------------------------------------------


def _hours_later(hours: float = 1):
    return timezone.now() + timedelta(hours=hours)


def _running(user, *, attempts: int = 1, heartbeat_at=None) -> ProcessingRequest:
    now = timezone.now()
    return ProcessingRequestFactory(
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
    job = ProcessingRequestFactory(owner=user)  # pending, dispatched_at unset
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
    job = ProcessingRequestFactory(owner=user, dispatched_at=timezone.now())
    assert jobs_maintain(now=_hours_later(24)) == {"requeued": [], "failed": [], "dispatched": []}
    job.refresh_from_db()
    assert job.status == Status.PENDING


def test_finished_jobs_are_left_alone_by_recovery(user):
    for status in (Status.COMPLETED, Status.FAILED):
        ProcessingRequestFactory(owner=user, status=status, started_at=timezone.now())
    assert jobs_recover(now=_hours_later(24)) == {"requeued": [], "failed": []}


def test_a_second_copy_of_a_message_whose_run_is_alive_is_skipped(user):
    job = _running(user)
    assert _process(job).status == Status.PROCESSING  # the other host's run goes on
    assert job.attempts == 1


def test_a_message_whose_run_died_on_this_host_runs_again_at_once(user):
    # A pool process killed mid-job: its message comes back within the heartbeat timeout.
    job = _running(user)
    ProcessingRequest.objects.filter(pk=job.pk).update(
        worker=f"{socket.gethostname()}:{_dead_pid()}"
    )
    job = _process(job)
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
    assert _process(job, task_id=old_task).status == Status.PENDING
    # The new message runs it.
    job.refresh_from_db()
    assert _process(job).status == Status.COMPLETED


def test_report_escapes_table_cells_from_user_input(user):
    content = b"na|me,value\nx,1\n"
    job = _process(file_job_create(owner=user, content=content, name="a.csv", title="A\n# B"))
    report = io.TextIOWrapper(job.result.report_md.open("rb"), encoding="utf-8").read()
    assert report.startswith("# A # B\n")
    assert "| na\\|me | text |" in report
