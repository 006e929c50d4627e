"""Submitting jobs: POST /api/v1/jobs/create/ takes text or a file, and throttles."""

import uuid
from functools import partial

import pytest
from django.core.cache import cache
from django.urls import resolve

from backend.jobs.models import Job
from backend.jobs.tests.factories import SAMPLE_CSV
from backend.jobs.tests.helpers import CREATE, post_json, post_upload
from backend.jobs.throttles import JobCreateThrottle

pytestmark = pytest.mark.django_db
Status = Job.Status


def test_text_job_is_accepted_and_dispatched_after_commit(
    user, auth_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = post_json(auth_client, {"title": " Fox ", "text": "The quick brown fox."})

    assert response.status_code == 202
    job = Job.objects.get()
    assert response.json() == {"id": str(job.id), "status": "pending"}
    assert (job.owner, job.title, job.input_text) == (user, "Fox", "The quick brown fox.")
    assert job.options == {"language": "en", "top_n": 10}
    # The message goes out only once the row is committed, and its send is recorded then.
    assert len(callbacks) == 1
    assert job.dispatched_at is None
    callbacks[0]()
    job.refresh_from_db()
    assert job.dispatched_at is not None
    assert uuid.UUID(job.celery_task_id)


def test_create_is_not_wrapped_in_the_request_transaction():
    # job_create commits (and sends) on its own: ATOMIC_REQUESTS would delay the commit past
    # the view and leave an input file behind if that commit failed.
    assert resolve(CREATE).func._non_atomic_requests


def test_trailing_slash_is_optional(auth_client):
    response = auth_client.post(CREATE.rstrip("/"), {"title": "t", "text": "x"}, format="json")
    assert response.status_code == 202


def test_options_default_to_the_users_language(user, auth_client):
    user.language = "de"
    user.save()
    post_json(auth_client, {"title": "t", "text": "Hallo", "options": {"top_n": 3}})
    assert Job.objects.get().options == {"language": "de", "top_n": 3}


def test_file_job_stores_the_upload_under_a_path_of_ids(user, auth_client, media_root):
    response = post_upload(auth_client, b"people.CSV", SAMPLE_CSV.encode(), options='{"top_n": 5}')

    assert response.status_code == 202, response.json()
    job = Job.objects.get()
    assert job.input_filename == "people.CSV"
    assert job.input_text == ""
    assert job.options == {"language": "en", "top_n": 5}
    assert job.input_file.name == f"jobs/{user.id}/{job.id}/input.csv"
    assert (media_root / job.input_file.name).read_bytes() == SAMPLE_CSV.encode()


def test_a_form_with_an_empty_text_field_and_a_file_takes_the_file(auth_client):
    response = post_upload(auth_client, b"notes.md", b"# Notes\n\nSome words.", text="")
    assert response.status_code == 202
    assert Job.objects.get().input_filename == "notes.md"


@pytest.fixture
def create_rates(monkeypatch, user, other_user):
    """Sets the throttle rates the create view sees. DRF's throttles read the rates once, at
    import, so override_settings would not reach them. The counts live in the cache (Redis):
    cleared before and after, so neither an earlier run nor this test throttles another."""
    keys = [f"throttle_jobs_create_{u.pk}" for u in (user, other_user)]
    cache.delete_many(keys)
    yield partial(monkeypatch.setattr, JobCreateThrottle, "THROTTLE_RATES")
    cache.delete_many(keys)


# A throttled request answers through DRF's exception handler, which marks the test's wrapping
# transaction for rollback: these tests commit for real.
@pytest.mark.django_db(transaction=True)
def test_submissions_are_throttled_per_user(auth_client, other_client, create_rates):
    create_rates({"jobs_create": "3/minute"})
    payload = {"title": "t", "text": "words"}
    statuses = [post_json(auth_client, payload).status_code for _ in range(4)]
    assert statuses == [202, 202, 202, 429]
    refused = post_json(auth_client, payload)
    assert refused.status_code == 429
    assert "throttled" in refused.json()["detail"]
    assert int(refused["Retry-After"]) > 0
    assert Job.objects.count() == 3
    # Another user has their own allowance, and reading is not limited.
    assert post_json(other_client, payload).status_code == 202
    assert auth_client.get("/api/v1/jobs/list/").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_without_a_configured_rate_submissions_get_the_default_one(auth_client, create_rates):
    # DRF itself would raise ImproperlyConfigured for a scope without a rate: a 500.
    create_rates({})
    limit = int(JobCreateThrottle.DEFAULT_RATE.split("/")[0])
    payload = {"title": "t", "text": "words"}
    statuses = [post_json(auth_client, payload).status_code for _ in range(limit + 1)]
    assert statuses == [202] * limit + [429]
