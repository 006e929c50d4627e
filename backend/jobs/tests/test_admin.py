import pytest
from django.urls import reverse

from backend.accounts.tests.factories import UserFactory
from backend.jobs.tests.factories import ProcessingRequestFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_job_pages_render(admin_client, completed_job):
    changelist = admin_client.get(reverse("admin:jobs_processingrequest_changelist"))
    assert changelist.status_code == 200
    assert completed_job.title in changelist.text
    filtered = admin_client.get(
        reverse("admin:jobs_processingrequest_changelist") + "?status__exact=completed&q=Job"
    )
    assert completed_job.title in filtered.text
    change = admin_client.get(
        reverse("admin:jobs_processingrequest_change", args=[completed_job.pk])
    )
    assert change.status_code == 200
    assert "terms.csv" in change.text  # the result inline


def test_result_pages_render(admin_client, completed_job):
    changelist = admin_client.get(reverse("admin:jobs_processingresult_changelist"))
    assert changelist.status_code == 200
    change = admin_client.get(
        reverse("admin:jobs_processingresult_change", args=[completed_job.pk])
    )
    assert change.status_code == 200


def test_the_job_changelist_does_not_load_input_texts(admin_client, django_assert_max_num_queries):
    ProcessingRequestFactory.create_batch(5, input_text="big " * 10_000)
    with django_assert_max_num_queries(12) as queries:
        admin_client.get(reverse("admin:jobs_processingrequest_changelist"))
    listing = [q["sql"] for q in queries.captured_queries if "jobs_processingrequest" in q["sql"]]
    assert listing
    assert not any('"input_text"' in sql for sql in listing)
