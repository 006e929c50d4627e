from django.db.models import QuerySet
from django.http import Http404

from backend.jobs.models import Job


def job_get(*, owner, job_id, with_result: bool = False) -> Job:
    """The owner's job, else Http404: another user's job is indistinguishable from none."""
    jobs = Job.objects.filter(owner=owner).defer("input_text")
    if with_result:
        jobs = jobs.select_related("result")
    job = jobs.filter(pk=job_id).first()
    if job is None:
        raise Http404("No such job.")
    return job


def job_list(*, owner, columns: tuple[str, ...], status: str | None = None) -> QuerySet:
    """The owner's jobs, newest first, loading only `columns` (the input text can be 1 MB)."""
    jobs = Job.objects.filter(owner=owner).only(*columns)
    if status:
        jobs = jobs.filter(status=status)
    return jobs.order_by("-created_at", "-id")
