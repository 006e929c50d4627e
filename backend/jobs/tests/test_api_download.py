"""Downloads of a completed job's outputs."""

import io
import json
import zipfile

import pytest

from backend.jobs.models import Job, JobResult
from backend.jobs.processing import job_process
from backend.jobs.tests.factories import JobFactory

pytestmark = pytest.mark.django_db
Status = Job.Status


def _content(response) -> bytes:
    return b"".join(response.streaming_content)


def test_download_of_the_term_frequencies(auth_client, completed_job):
    response = auth_client.get(f"/api/v1/jobs/download/{completed_job.id}/csv/")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    name = completed_job.title.replace(" ", "-") + "-terms.csv"
    assert response["Content-Disposition"] == f'attachment; filename="{name}"'
    lines = _content(response).decode().splitlines()
    assert lines[:3] == ["term,count", "fox,4", "dog,3"]
    assert len(lines) == 1 + completed_job.result.data["distinct_terms"]


def test_download_of_the_report(auth_client, completed_job):
    response = auth_client.get(
        f"/api/v1/jobs/download/{completed_job.id}/report", HTTP_ACCEPT="text/markdown"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    report = _content(response).decode()
    assert report.startswith(f"# {completed_job.title}\n")
    assert "| fox | 4 |" in report


def test_download_of_the_archive(auth_client, completed_job):
    response = auth_client.get(f"/api/v1/jobs/download-archive/{completed_job.id}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].endswith('.zip"')
    archive = zipfile.ZipFile(io.BytesIO(_content(response)))
    assert sorted(archive.namelist()) == ["analysis.json", "report.md", "terms.csv"]
    assert json.loads(archive.read("analysis.json"))["word_count"] == 30


@pytest.mark.parametrize(
    ("title", "file_name"),
    [
        ('../../etc/"passwd"\r\nX-Evil: 1', "etc-passwd-X-Evil-1-terms.csv"),
        ("...", "job-terms.csv"),
        ("Überblick 2024", None),  # non-ASCII: RFC 6266 filename*
    ],
)
def test_download_names_are_made_safe(user, auth_client, title, file_name):
    job = JobFactory(owner=user, title=title)
    job_process(job_id=str(job.pk))
    disposition = auth_client.get(f"/api/v1/jobs/download/{job.id}/csv/")["Content-Disposition"]
    if file_name:
        assert disposition == f'attachment; filename="{file_name}"'
    else:
        assert disposition == "attachment; filename*=utf-8''%C3%9Cberblick-2024-terms.csv"


def test_download_of_an_unfinished_job_answers_409(user, auth_client):
    job = JobFactory(owner=user)
    response = auth_client.get(f"/api/v1/jobs/download/{job.id}/csv/")
    assert response.status_code == 409
    assert response.json()["status"] == "pending"


def test_unknown_download_kind_is_not_found(auth_client, completed_job):
    response = auth_client.get(f"/api/v1/jobs/download/{completed_job.id}/input/")
    assert response.status_code == 404


def test_download_of_a_file_gone_from_storage_is_not_found(auth_client, completed_job, media_root):
    (media_root / completed_job.result.terms_csv.name).unlink()
    response = auth_client.get(f"/api/v1/jobs/download/{completed_job.id}/csv/")
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("field", "url"),
    [
        ("terms_csv", "/api/v1/jobs/download/{id}/csv/"),
        ("report_md", "/api/v1/jobs/download/{id}/report/"),
        ("archive_zip", "/api/v1/jobs/download-archive/{id}/"),
    ],
)
def test_download_of_a_file_field_an_admin_cleared_is_a_json_404(
    auth_client, completed_job, field, url
):
    JobResult.objects.filter(job=completed_job).update(**{field: ""})
    response = auth_client.get(url.format(id=completed_job.id))
    assert response.status_code == 404
    assert response.json() == {"detail": "The file is no longer stored."}


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/jobs/results/{id}/",
        "/api/v1/jobs/download/{id}/csv/",
        "/api/v1/jobs/download/{id}/report/",
        "/api/v1/jobs/download-archive/{id}/",
    ],
)
def test_a_completed_job_whose_result_was_deleted_is_not_found(auth_client, completed_job, url):
    # The admin does not delete a result on its own; the shell still can.
    JobResult.objects.filter(job=completed_job).delete()
    response = auth_client.get(url.format(id=completed_job.id))
    assert response.status_code == 404
    assert response.json() == {"detail": "The job's results are no longer stored."}
