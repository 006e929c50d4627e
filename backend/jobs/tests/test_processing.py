"""A job's run (processing.job_process), called here: its phases, its files, redelivered and
stale messages, failures."""

import io
import os
import time

import pytest
from django.utils import timezone

from backend.jobs import limits
from backend.jobs.models import Job, JobResult
from backend.jobs.processing import job_process
from backend.jobs.tests.factories import SAMPLE_CSV, JobFactory, file_job_create
from backend.jobs.tests.helpers import process_here, stored_files

pytestmark = pytest.mark.django_db
Status = Job.Status


def test_a_job_goes_from_pending_to_completed_with_its_files(user, media_root):
    job = JobFactory(owner=user)
    assert job.status == Status.PENDING

    job = process_here(job)

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
    job = process_here(file_job_create(owner=user, content=SAMPLE_CSV.encode(), name="p.csv"))
    assert job.result.data["csv"]["rows"] == 3


def test_a_text_file_is_not_read_as_csv(user):
    job = process_here(file_job_create(owner=user, content=b"a,b\n1,2\n", name="notes.txt"))
    assert job.result.data["csv"] is None


def test_a_redelivered_message_for_a_completed_job_does_nothing(user, media_root):
    job = process_here(JobFactory(owner=user))
    files = {name: (media_root / name).stat().st_mtime_ns for name in job.result.stored_files()}

    again = process_here(job)

    assert (again.status, again.attempts, again.finished_at) == (
        Status.COMPLETED,
        1,
        job.finished_at,
    )
    assert {n: (media_root / n).stat().st_mtime_ns for n in files} == files


def test_a_redelivered_message_for_a_failed_job_does_nothing(user):
    job = JobFactory(owner=user, status=Status.FAILED, error_message="gone")
    assert process_here(job).error_message == "gone"


def test_a_job_left_processing_by_a_dead_worker_runs_again(user, media_root):
    # What a redelivered message finds after its worker was killed mid-job, output half written.
    job = JobFactory(owner=user, status=Status.PROCESSING, attempts=1, started_at=timezone.now())
    leftover = media_root / f"jobs/{user.id}/{job.id}/terms.csv"
    leftover.parent.mkdir(parents=True)
    leftover.write_text("half")

    job = process_here(job)

    assert job.status == Status.COMPLETED
    assert job.attempts == 2
    assert job.result.terms_csv.name == f"jobs/{user.id}/{job.id}/terms.csv"
    assert leftover.read_text().startswith("term,count")
    assert len(list(leftover.parent.iterdir())) == 3


def test_a_run_records_each_phase_it_enters(user, monkeypatch):
    from backend.jobs import processing

    seen = []
    real = processing._enter_phase

    def recording(job, phase):
        seen.append((phase, Job.objects.get(pk=job.pk).phase))
        return real(job, phase)

    monkeypatch.setattr(processing, "_enter_phase", recording)
    job = process_here(JobFactory(owner=user))
    # Each phase entered after the one before was stored (prepare by the run's start).
    assert seen == [("analyse", "prepare"), ("save", "analyse")]
    assert (job.status, job.phase) == (Status.COMPLETED, "save")


def test_a_stale_message_does_nothing(user):
    job = JobFactory(owner=user)
    job = process_here(job, task_id="an-older-message")
    assert (job.status, job.attempts) == (Status.PENDING, 0)


def test_a_message_for_a_deleted_job_does_nothing(user, media_root):
    job = JobFactory(owner=user)
    job_id = str(job.pk)
    job.delete()
    job_process(job_id=job_id, task_id="any")
    assert stored_files(media_root) == set()


def test_a_job_started_too_often_is_failed_with_a_message(user):
    job = JobFactory(owner=user, status=Status.PROCESSING, attempts=limits.MAX_ATTEMPTS)
    job = process_here(job)
    assert job.status == Status.FAILED
    assert f"started {limits.MAX_ATTEMPTS} times" in job.error_message
    assert job.finished_at is not None
    assert not JobResult.objects.exists()


def test_a_missing_input_file_fails_the_job_with_a_message(user, media_root):
    job = file_job_create(owner=user, content=b"words", name="a.txt")
    (media_root / job.input_file.name).unlink()
    job = process_here(job)
    assert (job.status, job.error_message) == (Status.FAILED, "The input file is missing.")


def test_an_input_file_that_is_no_longer_utf8_fails_the_job(user, media_root):
    job = file_job_create(owner=user, content=b"words", name="a.txt")
    (media_root / job.input_file.name).write_bytes(b"\xff\xfe")
    job = process_here(job)
    assert (job.status, job.error_message) == (Status.FAILED, "The input file is not UTF-8 text.")
    assert job.finished_at is not None


def test_an_input_csv_that_is_no_longer_a_csv_fails_the_job(user, media_root):
    job = file_job_create(owner=user, content=SAMPLE_CSV.encode(), name="a.csv")
    (media_root / job.input_file.name).write_text("a,b,c\n" + "1,2,3\n" * 10 + "1\n")
    job = process_here(job)
    assert job.status == Status.FAILED
    assert job.error_message == "Not a CSV file: line 12 has 1 fields, the header has 3."


@pytest.fixture
def work_root(tmp_path, monkeypatch, settings):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    return tmp_path / f"{settings.APP_NAME}-jobs-work"


def test_the_working_directory_is_removed(user, work_root):
    process_here(JobFactory(owner=user))
    assert list(work_root.iterdir()) == []


def test_the_working_directory_is_removed_after_a_failure(user, work_root, media_root):
    job = file_job_create(owner=user, content=b"words", name="a.txt")
    (media_root / job.input_file.name).unlink()
    assert process_here(job).status == Status.FAILED
    assert list(work_root.iterdir()) == []


def test_leftovers_of_killed_runs_are_removed_by_later_runs(user, work_root, settings):
    job = JobFactory(owner=user)
    # This job's own earlier run, killed before its cleanup:
    (work_root / str(job.id)).mkdir(parents=True)
    (work_root / str(job.id) / "terms.csv").write_text("half")
    # Another job's, older than any run can be, and one that may still be running:
    abandoned, running = work_root / "abandoned", work_root / "running"
    abandoned.mkdir()
    running.mkdir()
    too_old = time.time() - settings.CELERY_TASK_TIME_LIMIT - 3600
    os.utime(abandoned, (too_old, too_old))

    process_here(job)

    assert sorted(p.name for p in work_root.iterdir()) == ["running"]


def test_report_escapes_table_cells_from_user_input(user):
    content = b"na|me,value\nx,1\n"
    job = process_here(file_job_create(owner=user, content=content, name="a.csv", title="A\n# B"))
    report = io.TextIOWrapper(job.result.report_md.open("rb"), encoding="utf-8").read()
    assert report.startswith("# A # B\n")
    assert "| na\\|me | text |" in report
