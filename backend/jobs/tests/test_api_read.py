"""A job's status and results, and the list of jobs."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backend.jobs.models import Job
from backend.jobs.processing import job_process
from backend.jobs.tests.factories import SAMPLE_CSV, JobFactory, file_job_create
from backend.jobs.tests.helpers import get_list

pytestmark = pytest.mark.django_db
Status = Job.Status


def test_status_of_a_pending_job(user, auth_client):
    job = JobFactory(owner=user)
    response = auth_client.get(f"/api/v1/jobs/status/{job.id}/")
    assert response.status_code == 200
    assert response.json() == {
        "id": str(job.id),
        "title": job.title,
        "status": "pending",
        "phase": None,
        "error_message": "",
        "created_at": job.created_at.isoformat().replace("+00:00", "Z"),
        "started_at": None,
        "finished_at": None,
    }


def test_status_of_a_running_job_names_its_phase(user, auth_client):
    job = JobFactory(owner=user, status=Status.PROCESSING, phase="analyse")
    assert auth_client.get(f"/api/v1/jobs/status/{job.id}/").json()["phase"] == "analyse"
    # Only while processing: a finished job's last phase is history.
    Job.objects.filter(pk=job.pk).update(status=Status.COMPLETED)
    assert auth_client.get(f"/api/v1/jobs/status/{job.id}/").json()["phase"] is None


@pytest.mark.parametrize("status", [Status.PENDING, Status.PROCESSING, Status.FAILED])
def test_results_of_an_unfinished_job_answer_409_with_the_status(user, auth_client, status):
    job = JobFactory(owner=user, status=status)
    response = auth_client.get(f"/api/v1/jobs/results/{job.id}/")
    assert response.status_code == 409
    assert response.json()["status"] == status


def test_results_of_a_completed_job(auth_client, completed_job):
    response = auth_client.get(f"/api/v1/jobs/results/{completed_job.id}")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(completed_job.id)
    assert body["status"] == "completed"
    data = body["data"]
    assert data["word_count"] == 30
    assert data["sentence_count"] == 4
    assert data["char_count"] == len(completed_job.input_text)
    assert data["reading_time_minutes"] == 1
    assert data["top_terms"][:2] == [{"term": "fox", "count": 4}, {"term": "dog", "count": 3}]
    assert len(data["top_terms"]) == 5
    assert data["csv"] is None
    assert body["files"] == {
        "csv": f"/api/v1/jobs/download/{completed_job.id}/csv/",
        "report": f"/api/v1/jobs/download/{completed_job.id}/report/",
        "archive": f"/api/v1/jobs/download-archive/{completed_job.id}/",
    }


def test_results_of_a_csv_job_carry_the_column_summaries(user, auth_client):
    job = file_job_create(owner=user, content=SAMPLE_CSV.encode(), name="people.csv")
    job_process(job_id=str(job.pk))
    table = auth_client.get(f"/api/v1/jobs/results/{job.id}/").json()["data"]["csv"]
    assert (table["rows"], table["columns"]) == (3, 3)
    assert table["column_summaries"][1]["mean"] == 38.0


def test_list_is_paginated_newest_first_with_the_users_page_size(user, auth_client):
    user.page_size = 3
    user.save()
    jobs = JobFactory.create_batch(7, owner=user)
    JobFactory()  # someone else's

    first = get_list(auth_client).json()
    assert first["count"] == 7
    assert [j["id"] for j in first["results"]] == [str(j.id) for j in reversed(jobs)][:3]
    assert first["previous"] is None
    assert "page=2" in first["next"]
    last = get_list(auth_client, "?page=3").json()
    assert [j["id"] for j in last["results"]] == [str(jobs[0].id)]
    assert last["next"] is None
    assert set(first["results"][0]) == {
        "id", "title", "status", "phase", "error_message", "created_at", "started_at",
        "finished_at", "input_filename",
    }  # fmt: skip


def test_list_page_size_and_status_filter(user, auth_client):
    JobFactory.create_batch(3, owner=user, status=Status.FAILED)
    JobFactory.create_batch(2, owner=user)
    response = get_list(auth_client, "?status=failed&page_size=2").json()
    assert response["count"] == 3
    assert len(response["results"]) == 2
    assert {j["status"] for j in response["results"]} == {"failed"}
    assert get_list(auth_client, "?page_size=100").json()["count"] == 5


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?page_size=0", "page_size"),
        ("?page_size=101", "page_size"),
        ("?page_size=1000000", "page_size"),
        ("?page_size=-1", "page_size"),
        ("?page_size=ten", "page_size"),
        ("?page=0", "page"),
        ("?status=running", "status"),
        ("?ordering=title", "ordering"),
    ],
)
def test_bad_list_parameters_answer_400(auth_client, query, field):
    response = get_list(auth_client, query)
    assert response.status_code == 400
    assert field in response.json()


def test_a_page_past_the_end_is_not_found(user, auth_client):
    JobFactory(owner=user)
    assert get_list(auth_client, "?page=2").status_code == 404


def test_list_query_count_does_not_grow_with_page_size(
    user, auth_client, django_assert_num_queries
):
    JobFactory.create_batch(60, owner=user, input_text="big " * 20_000)
    # The token with its user, the count, the page (no transaction: requests are not atomic).
    for page_size in (5, 50):
        with django_assert_num_queries(3):
            response = get_list(auth_client, f"?page_size={page_size}")
        assert len(response.json()["results"]) == page_size


@pytest.mark.parametrize(
    ("jobs", "page", "queries", "count"),
    [(3, 1, 2, 3), (0, 1, 2, 0), (5, 1, 3, 5), (7, 2, 3, 7)],
)
def test_a_first_page_that_is_not_full_is_not_counted(
    user, auth_client, django_assert_num_queries, jobs, page, queries, count
):
    JobFactory.create_batch(jobs, owner=user)
    # The token with its user and the page; a full page, or a later one, also counts the rows.
    with django_assert_num_queries(queries):
        response = get_list(auth_client, f"?page_size=5&page={page}")
    body = response.json()
    assert body["count"] == count
    assert len(body["results"]) == min(5, jobs - (page - 1) * 5)
    assert (body["next"] is None) == (jobs <= page * 5)


def test_list_does_not_load_the_input_text(user, auth_client):
    JobFactory(owner=user)
    with CaptureQueriesContext(connection) as queries:
        get_list(auth_client)
    page_query = next(q["sql"] for q in queries if "LIMIT" in q["sql"])
    assert "input_text" not in page_query
    assert '"options"' not in page_query
