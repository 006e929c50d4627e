"""The services, called directly: processing, redelivery, recovery, creating and deleting."""

import io
import os
import time
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DataError
from django.utils import timezone

from backend.jobs import limits
from backend.jobs.models import ProcessingRequest, ProcessingResult
from backend.jobs.services import job_create, job_delete, job_process, jobs_recover
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


# Recovering stuck jobs
# ------------------------------------------------------------------------------


def _hours_later(hours: float = 1):
    return timezone.now() + timedelta(hours=hours)


def test_a_job_processing_past_the_time_limit_is_requeued(
    user, settings, django_capture_on_commit_callbacks
):
    started = timezone.now()
    job = ProcessingRequestFactory(
        owner=user, status=Status.PROCESSING, attempts=1, started_at=started
    )
    old_task = job.celery_task_id
    limit = settings.CELERY_TASK_TIME_LIMIT + limits.STUCK_MARGIN.total_seconds()

    # Within the limit the worker may still be at it.
    assert jobs_recover(now=started + timedelta(seconds=limit - 1))["requeued"] == []

    with django_capture_on_commit_callbacks() as callbacks:
        report = jobs_recover(now=started + timedelta(seconds=limit + 1))

    job.refresh_from_db()
    assert report == {"requeued": [str(job.pk)], "failed": [], "redispatched": []}
    assert (job.status, job.started_at, job.attempts) == (Status.PENDING, None, 1)
    assert job.celery_task_id != old_task
    assert [c.keywords for c in callbacks] == [
        {"args": (str(job.pk),), "task_id": job.celery_task_id}
    ]


def test_a_stuck_job_out_of_attempts_is_failed_with_a_message(user):
    job = ProcessingRequestFactory(
        owner=user,
        status=Status.PROCESSING,
        attempts=limits.MAX_ATTEMPTS,
        started_at=timezone.now(),
    )
    report = jobs_recover(now=_hours_later())
    job.refresh_from_db()
    assert report["failed"] == [str(job.pk)]
    assert job.status == Status.FAILED
    assert "stopped each time" in job.error_message


def test_a_job_pending_long_after_its_message_was_sent_is_sent_again(
    user, django_capture_on_commit_callbacks
):
    job = ProcessingRequestFactory(owner=user)
    recent = jobs_recover(now=timezone.now() + limits.PENDING_REDISPATCH_AFTER / 2)
    assert recent["redispatched"] == []

    with django_capture_on_commit_callbacks() as callbacks:
        report = jobs_recover(now=timezone.now() + limits.PENDING_REDISPATCH_AFTER * 2)

    job.refresh_from_db()
    assert report["redispatched"] == [str(job.pk)]
    assert job.status == Status.PENDING
    assert callbacks[0].keywords["task_id"] == job.celery_task_id


def test_finished_jobs_are_left_alone_by_recovery(user):
    for status in (Status.COMPLETED, Status.FAILED):
        ProcessingRequestFactory(owner=user, status=status, started_at=timezone.now())
    assert jobs_recover(now=_hours_later(24)) == {"requeued": [], "failed": [], "redispatched": []}


def test_a_requeued_jobs_old_message_is_stale(user, django_capture_on_commit_callbacks):
    job = ProcessingRequestFactory(
        owner=user, status=Status.PROCESSING, attempts=1, started_at=timezone.now()
    )
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
