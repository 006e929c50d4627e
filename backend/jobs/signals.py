"""What follows every delete of a job or a result, whatever deleted it: the API's job_delete,
the admin, or a user's deletion cascading to their jobs.

Once the delete is committed, the files go and an unfinished job's message is revoked; a
delete that is rolled back loses nothing. Connected in JobsConfig.ready().
"""

from functools import partial

from django.db import transaction
from django.db.models.signals import post_delete

from backend.jobs.models import ProcessingRequest, ProcessingResult, job_directory
from backend.jobs.services import (
    OUTPUT_NAMES,
    job_files_remove,
    job_message_revoke,
    stored_files_delete,
)


def connect() -> None:
    post_delete.connect(_job_deleted, sender=ProcessingRequest, dispatch_uid="jobs.job_deleted")
    post_delete.connect(
        _result_deleted, sender=ProcessingResult, dispatch_uid="jobs.result_deleted"
    )


def _job_deleted(sender, instance: ProcessingRequest, using: str, **kwargs) -> None:
    directory = job_directory(instance)
    # The outputs by their fixed names too: a result the database removed along with its job
    # (its foreign key cascades) sends no signal of its own.
    names = [f"{directory}/{name}" for name in OUTPUT_NAMES]
    if instance.input_file:
        names.append(instance.input_file.name)
    remove = partial(job_files_remove, names, directory)
    # robust: the delete is committed already; a file left behind must not turn it into a 500.
    transaction.on_commit(remove, using=using, robust=True)
    if not instance.is_finished and instance.celery_task_id:
        revoke = partial(job_message_revoke, instance.celery_task_id)
        transaction.on_commit(revoke, using=using, robust=True)


def _result_deleted(sender, instance: ProcessingResult, using: str, **kwargs) -> None:
    # By name, for storages without directories; on the local disk _job_deleted's directory
    # removal would catch them too, but a result can be deleted without its job.
    delete = partial(stored_files_delete, instance.stored_files())
    transaction.on_commit(delete, using=using, robust=True)
