"""Deleting a job: its row, result and files go, an unfinished job's message is revoked."""

import pytest

from backend.jobs.models import Job, JobResult
from backend.jobs.services import job_message_revoke
from backend.jobs.tests.factories import SAMPLE_CSV, JobFactory, file_job_create

pytestmark = pytest.mark.django_db
Status = Job.Status


def test_delete_removes_the_job_its_result_and_its_files(
    auth_client, completed_job, media_root, django_capture_on_commit_callbacks
):
    directory = media_root / "jobs" / str(completed_job.owner_id) / str(completed_job.id)
    assert {p.name for p in directory.iterdir()} == {"terms.csv", "report.md", "archive.zip"}

    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.delete(f"/api/v1/jobs/delete/{completed_job.id}/")

    assert response.status_code == 204
    assert not Job.objects.exists()
    assert not JobResult.objects.exists()
    assert not directory.exists()


def test_delete_of_a_file_job_removes_the_input_after_the_commit(
    user, auth_client, media_root, django_capture_on_commit_callbacks
):
    job = file_job_create(owner=user, content=SAMPLE_CSV.encode())
    with django_capture_on_commit_callbacks() as callbacks:
        auth_client.delete(f"/api/v1/jobs/delete/{job.id}/")
    # Until the delete is committed the files stay: a rolled back delete loses nothing.
    assert (media_root / job.input_file.name).exists()
    for callback in callbacks:
        callback()
    assert not (media_root / "jobs" / str(user.id) / str(job.id)).exists()


def test_delete_of_an_unfinished_job_revokes_its_message(
    user, auth_client, django_capture_on_commit_callbacks
):
    job = JobFactory(owner=user, status=Status.PROCESSING)
    with django_capture_on_commit_callbacks() as callbacks:
        auth_client.delete(f"/api/v1/jobs/delete/{job.id}/")
    revokes = [c for c in callbacks if c.func is job_message_revoke]
    assert [c.keywords for c in revokes] == [{"task_id": job.celery_task_id}]


def test_delete_of_a_finished_job_revokes_nothing(
    auth_client, completed_job, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        auth_client.delete(f"/api/v1/jobs/delete/{completed_job.id}/")
    assert callbacks
    assert not [c for c in callbacks if c.func is job_message_revoke]
