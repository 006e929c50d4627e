import time

import pytest
from django.urls import reverse

from backend.accounts.models import User
from backend.accounts.tests.factories import UserFactory
from backend.jobs.models import Job, JobResult
from backend.jobs.tests.factories import JobFactory, file_job_create
from backend.jobs.tests.helpers import stored_files

pytestmark = pytest.mark.django_db
Status = Job.Status


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_job_pages_render(admin_client, completed_job):
    changelist = admin_client.get(reverse("admin:jobs_job_changelist"))
    assert changelist.status_code == 200
    assert completed_job.title in changelist.text
    filtered = admin_client.get(
        reverse("admin:jobs_job_changelist") + "?status__exact=completed&q=Job"
    )
    assert completed_job.title in filtered.text
    change = admin_client.get(reverse("admin:jobs_job_change", args=[completed_job.pk]))
    assert change.status_code == 200
    assert "terms.csv" in change.text  # the result inline


def test_result_pages_render(admin_client, completed_job):
    changelist = admin_client.get(reverse("admin:jobs_jobresult_changelist"))
    assert changelist.status_code == 200
    change = admin_client.get(reverse("admin:jobs_jobresult_change", args=[completed_job.pk]))
    assert change.status_code == 200


def test_the_job_changelist_does_not_load_input_texts(admin_client, django_assert_max_num_queries):
    JobFactory.create_batch(5, input_text="big " * 10_000)
    with django_assert_max_num_queries(12) as queries:
        admin_client.get(reverse("admin:jobs_job_changelist"))
    listing = [q["sql"] for q in queries.captured_queries if "jobs_job" in q["sql"]]
    assert listing
    assert not any('"input_text"' in sql for sql in listing)


# Deleting: the files go and unfinished jobs' messages are revoked, as through the API
# ------------------------------------------------------------------------------


def _wait_for_revoked(worker, task_ids: set[str], timeout: float = 10) -> set[str]:
    deadline = time.monotonic() + timeout
    while True:
        revoked = worker.revoked_ids()
        if task_ids <= revoked or time.monotonic() > deadline:
            return revoked & task_ids
        time.sleep(0.1)


@pytest.fixture
def pending_file_job(user):
    """Pending with its input stored; its message was never sent, so only a revoke can make
    the worker know its id."""
    return file_job_create(owner=user, content=b"some words", name="notes.txt")


def test_deleting_a_job_in_the_admin_removes_its_files_and_revokes_its_message(
    admin_client, pending_file_job, media_root, celery_worker, django_capture_on_commit_callbacks
):
    job = pending_file_job
    assert stored_files(media_root) == {job.input_file.name}
    url = reverse("admin:jobs_job_delete", args=[job.pk])

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, {"post": "yes"})

    assert response.status_code == 302
    assert not Job.objects.exists()
    assert stored_files(media_root) == set()
    assert not (media_root / "jobs" / str(job.owner_id) / str(job.pk)).exists()
    assert _wait_for_revoked(celery_worker, {job.celery_task_id}) == {job.celery_task_id}


def test_the_admins_delete_action_removes_files_and_revokes_unfinished_jobs(
    admin_client,
    completed_job,
    pending_file_job,
    media_root,
    celery_worker,
    django_capture_on_commit_callbacks,
):
    assert len(stored_files(media_root)) == 4  # 3 outputs and 1 input
    selected = [str(completed_job.pk), str(pending_file_job.pk)]

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:jobs_job_changelist"),
            {"action": "delete_selected", "_selected_action": selected, "post": "yes"},
        )

    assert response.status_code == 302
    assert not Job.objects.exists()
    assert not JobResult.objects.exists()
    assert stored_files(media_root) == set()
    unfinished = pending_file_job.celery_task_id
    assert _wait_for_revoked(celery_worker, {unfinished}) == {unfinished}
    # A finished job has no message left to drop.
    assert completed_job.celery_task_id not in celery_worker.revoked_ids()


def test_deleting_a_user_in_the_admin_removes_their_jobs_files_and_revokes_their_messages(
    admin_client,
    user,
    completed_job,
    pending_file_job,
    media_root,
    celery_worker,
    django_capture_on_commit_callbacks,
):
    assert (media_root / "jobs" / str(user.pk)).exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:accounts_user_delete", args=[user.pk]), {"post": "yes"}
        )

    assert response.status_code == 302
    assert not User.objects.filter(pk=user.pk).exists()
    assert not Job.objects.exists()
    assert stored_files(media_root) == set()
    for job in (completed_job, pending_file_job):
        assert not (media_root / "jobs" / str(user.pk) / str(job.pk)).exists()
    unfinished = pending_file_job.celery_task_id
    assert _wait_for_revoked(celery_worker, {unfinished}) == {unfinished}


def test_a_job_deleted_in_the_admin_keeps_its_files_until_the_commit(
    admin_client, completed_job, media_root, django_capture_on_commit_callbacks
):
    files = stored_files(media_root)
    url = reverse("admin:jobs_job_delete", args=[completed_job.pk])
    with django_capture_on_commit_callbacks() as callbacks:
        admin_client.post(url, {"post": "yes"})
    assert callbacks
    assert stored_files(media_root) == files  # a rolled back delete would lose nothing


def test_results_cannot_be_deleted_in_the_admin(admin_client, completed_job):
    # A completed job without its result would have nothing to show or download.
    url = reverse("admin:jobs_jobresult_delete", args=[completed_job.pk])
    assert admin_client.get(url).status_code == 403
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    changelist = admin_client.get(reverse("admin:jobs_jobresult_changelist"))
    assert "delete_selected" not in changelist.text
    assert JobResult.objects.filter(pk=completed_job.pk).exists()
