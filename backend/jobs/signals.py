"""Every delete of a job or a result, whatever deleted it (the API's job_delete, the admin, a
queryset, a user's deletion cascading to their jobs), goes on in the one service function for
it. Connected in JobsConfig.ready()."""

from django.db.models.signals import post_delete

from backend.jobs.models import Job, JobResult
from backend.jobs.services import job_after_delete, job_result_after_delete


def connect() -> None:
    post_delete.connect(_job_deleted, sender=Job, dispatch_uid="jobs.job_deleted")
    post_delete.connect(_result_deleted, sender=JobResult, dispatch_uid="jobs.result_deleted")


def _job_deleted(sender, instance: Job, using: str, **kwargs) -> None:
    job_after_delete(job=instance, using=using)


def _result_deleted(sender, instance: JobResult, using: str, **kwargs) -> None:
    job_result_after_delete(result=instance, using=using)
