"""Owner isolation, authentication and the schema, across the jobs endpoints."""

import uuid

import pytest
from django.urls import reverse

from backend.jobs.models import Job
from backend.jobs.tests.helpers import CREATE, get_list, stored_files

pytestmark = pytest.mark.django_db
Status = Job.Status


ENDPOINTS = [
    ("get", "/api/v1/jobs/status/{id}/"),
    ("get", "/api/v1/jobs/results/{id}/"),
    ("delete", "/api/v1/jobs/delete/{id}/"),
    ("get", "/api/v1/jobs/download/{id}/csv/"),
    ("get", "/api/v1/jobs/download/{id}/report/"),
    ("get", "/api/v1/jobs/download-archive/{id}/"),
]


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_other_users_job_is_not_found(other_client, completed_job, media_root, method, url):
    files = stored_files(media_root)
    response = getattr(other_client, method)(url.format(id=completed_job.id))
    assert response.status_code == 404
    assert response.json() == {"detail": "No such job."}
    assert Job.objects.filter(pk=completed_job.pk).exists()
    assert stored_files(media_root) == files


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_unknown_job_is_not_found(auth_client, method, url):
    assert getattr(auth_client, method)(url.format(id=uuid.uuid4())).status_code == 404


def test_other_users_jobs_are_not_listed(other_client, completed_job):
    assert get_list(other_client).json()["count"] == 0


@pytest.mark.parametrize(
    ("method", "url"), [*ENDPOINTS, ("get", "/api/v1/jobs/list/"), ("post", CREATE)]
)
def test_anonymous_requests_are_refused(api_client, completed_job, method, url):
    response = getattr(api_client, method)(url.format(id=completed_job.id))
    assert response.status_code == 401


def test_the_schema_describes_the_endpoints(auth_client):
    response = auth_client.get(reverse("schema"), HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in ("/api/v1/jobs/create/", "/api/v1/jobs/list/", "/api/v1/jobs/results/{job_id}/"):
        assert path in paths
