"""Everything that changes jobs, but their run (processing.py). The API, the admin, the
Celery tasks and the workers' maintenance loop only call these.

A job's life: job_create (pending; its message is sent after the commit and the send recorded,
an outbox) -> processing.job_process (four phases; completed or failed) -> job_delete (its files
go after the commit, and an unfinished job's message is revoked: job_after_delete, whatever
deleted the job). jobs_maintain, run by every worker every few seconds, sends what the broker
could not take and requeues the jobs of workers that died.
"""

import logging
import shutil
import time
import uuid
from datetime import datetime
from functools import partial
from pathlib import Path

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from backend.jobs import limits
from backend.jobs.models import Job, JobResult, job_directory
from backend.jobs.outputs import stored_names

logger = logging.getLogger(__name__)
Status = Job.Status
Phase = Job.Phase


# Creating and dispatching
# ------------------------------------------------------------------------------


def job_create(
    *,
    owner,
    title: str,
    options: dict,
    text: str = "",
    upload=None,
    upload_name: str = "",
    upload_extension: str = "",
) -> Job:
    """Store a validated request and send its message once the row is committed.

    Sent after the commit, or a worker could receive the message before the row exists. If
    storing fails, the input file written so far is removed again. If the broker cannot take
    the message, the job is stored all the same (still undispatched) and sent later.
    """
    job = Job(
        owner=owner,
        title=title,
        options=options,
        input_text=text if upload is None else "",
        input_filename=upload_name if upload is not None else "",
        celery_task_id=str(uuid.uuid4()),
    )
    try:
        with transaction.atomic():
            if upload is not None:
                job.input_file.save(f"input{upload_extension}", upload, save=False)
            job.save(force_insert=True)
            _dispatch_on_commit(job)
    except BaseException:
        # The row was never stored: no signal follows, so its input file goes here.
        job_files_delete(
            names=[job.input_file.name] if job.input_file else [], directory=job_directory(job)
        )
        raise
    return job


def _dispatch_on_commit(job: Job) -> None:
    # robust: the row is committed whatever happens next, and the client gets its 202.
    transaction.on_commit(partial(_dispatch_unless_broker_down, job), robust=True)


# After a failed send, requests leave the broker alone this long (the dispatch loop does not):
# a frozen broker costs one REDIS_TIMEOUT per process, not one per submission.
_SKIP_SENDS_AFTER_FAILURE_SECONDS = 5.0
_skip_sends_until = 0.0


def _dispatch_unless_broker_down(job: Job) -> None:
    global _skip_sends_until
    if time.monotonic() < _skip_sends_until:
        return
    if not job_dispatch(job=job):
        _skip_sends_until = time.monotonic() + _SKIP_SENDS_AFTER_FAILURE_SECONDS


def job_dispatch(*, job: Job) -> bool:
    """Send the job's current message and record that the broker has it (the outbox's mark).

    False when the broker could not take it: the job stays undispatched, and
    jobs_dispatch_pending sends it later. A send whose mark is lost (the database went away
    right after it) is sent again; the worker recognises the second copy and skips it.
    """
    from backend.jobs.tasks import process_job

    try:
        process_job.apply_async(args=(str(job.pk),), task_id=job.celery_task_id)
    except Exception as exc:  # kombu's and redis-py's errors alike: the broker did not take it
        logger.warning("job %s: message not sent, to be sent again later: %s", job.pk, exc)
        return False
    Job.objects.filter(
        pk=job.pk, celery_task_id=job.celery_task_id, dispatched_at__isnull=True
    ).update(dispatched_at=timezone.now())
    return True


# Sending what the broker missed, and recovering from dead workers
# ------------------------------------------------------------------------------

# At most this many messages per dispatch round: a long outage's backlog goes out in rounds.
DISPATCH_BATCH = 500


def jobs_maintain(*, now: datetime | None = None) -> dict[str, list[str]]:
    """What every worker runs every JOBS_MAINTENANCE_INTERVAL (backend/jobs/maintenance.py)."""
    report = jobs_recover(now=now)
    report["dispatched"] = jobs_dispatch_pending(now=now)
    if any(report.values()):
        logger.warning("jobs_maintain: %s", report)
    return report


def jobs_dispatch_pending(*, now: datetime | None = None) -> list[str]:
    """Send the messages the broker could not take (the outbox's relay), oldest first.

    Only jobs marked undispatched: a job whose message reached the broker is never sent again,
    however long the queue, so waiting jobs keep their place.
    """
    now = now or timezone.now()
    sent = []
    with transaction.atomic():
        # skip_locked: another worker's round has it.
        waiting = (
            Job.objects.select_for_update(skip_locked=True)
            .filter(
                status=Status.PENDING,
                dispatched_at__isnull=True,
                queued_at__lt=now - limits.DISPATCH_GRACE,
            )
            .only("pk", "celery_task_id")
            .order_by("queued_at")[:DISPATCH_BATCH]
        )
        for job in waiting:
            if not job_dispatch(job=job):
                break  # the broker is still down: the next round goes on
            sent.append(str(job.pk))
    return sent


def jobs_recover(*, now: datetime | None = None) -> dict[str, list[str]]:
    """Requeue or fail the jobs whose worker died: processing, and silent for HEARTBEAT_TIMEOUT.

    A requeued job gets a new message (and id), so the dead run's message, should the broker
    hand it out again, is stale and does nothing. A job tried limits.MAX_ATTEMPTS times fails.
    `now` lets a caller judge as of another time.
    """
    now = now or timezone.now()
    report = {"requeued": [], "failed": []}
    with transaction.atomic():
        # skip_locked: a job a worker is saving right now is alive.
        silent = (
            Job.objects.select_for_update(skip_locked=True)
            .defer("input_text")
            .alias(last_sign=Coalesce("heartbeat_at", "started_at"))
            .filter(Q(last_sign__lt=now - limits.HEARTBEAT_TIMEOUT) | Q(last_sign__isnull=True))
            .filter(status=Status.PROCESSING)
        )
        for job in silent:
            if job.attempts >= limits.MAX_ATTEMPTS:
                job_give_up(job=job)
                report["failed"].append(str(job.pk))
            else:
                _requeue(job, now)
                report["requeued"].append(str(job.pk))
    return report


def _requeue(job: Job, now: datetime) -> None:
    job.status = Status.PENDING
    job.started_at = job.heartbeat_at = None
    job.worker = ""
    job.queued_at = now
    job.dispatched_at = None
    job.celery_task_id = str(uuid.uuid4())
    job.save(
        update_fields=[
            "status", "started_at", "heartbeat_at", "worker", "queued_at", "dispatched_at",
            "celery_task_id",
        ]
    )  # fmt: skip
    _dispatch_on_commit(job)


def job_give_up(*, job: Job) -> None:
    """Fail a job whose runs all stopped without an end (limits.MAX_ATTEMPTS of them)."""
    job.status = Status.FAILED
    job.error_message = (
        f"The job was started {job.attempts} times and its worker stopped each time "
        "(killed or timed out); it was given up."
    )
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "error_message", "finished_at"])


# Deleting
# ------------------------------------------------------------------------------


def job_delete(*, job: Job) -> bool:
    """Delete a job; False if it was gone already. job_after_delete follows, after the commit.

    The row lock orders the delete against a worker saving the job's results
    (processing._phase_save): either the results land first and go with the job, or the worker
    finds the job gone and stores nothing.
    """
    with transaction.atomic():
        locked = Job.objects.select_for_update().defer("input_text").filter(pk=job.pk).first()
        if locked is None:
            return False  # deleted by a concurrent request
        locked.delete()
    return True


def job_after_delete(*, job: Job, using: str) -> None:
    """What follows every delete of a job, once it is committed: its files go, and an
    unfinished job's message is revoked. A delete that is rolled back loses nothing.

    Run by the post_delete signal (signals.py), so job_delete, the admin's bulk delete, a
    queryset's delete and a user's deletion cascading to their jobs all get it.
    """
    directory = job_directory(job)
    # The outputs by their stored names too: a result the database removed along with its job
    # (its foreign key cascades) sends no signal of its own.
    names = stored_names(directory)
    if job.input_file:
        names.append(job.input_file.name)
    # robust: the delete is committed already; a file left behind must not turn it into a 500.
    remove = partial(job_files_delete, names=names, directory=directory)
    transaction.on_commit(remove, using=using, robust=True)
    if not job.is_finished and job.celery_task_id:
        revoke = partial(job_message_revoke, task_id=job.celery_task_id)
        transaction.on_commit(revoke, using=using, robust=True)


def job_result_after_delete(*, result: JobResult, using: str) -> None:
    """A result deleted without its job (from the shell: the admin does not allow it) takes its
    files along, by name, for storages without directories."""
    remove = partial(job_files_delete, names=result.stored_files())
    transaction.on_commit(remove, using=using, robust=True)


def job_message_revoke(*, task_id: str) -> None:
    """Ask the workers to drop a job's message.

    A request, not a kill (terminate=False): with the prefork pool, terminating signals a pool
    process that may already run another task by the time the signal lands (Celery's docs warn
    against it). A job already running finds its row gone at its next phase and stores nothing.
    """
    from backend.config.celery import app

    app.control.revoke(task_id)


def job_files_delete(*, names: list[str], directory: str | None = None) -> None:
    """Delete stored files, and the job's `directory` below MEDIA_ROOT if given."""
    for name in names:
        default_storage.delete(name)
    if directory is None:
        return
    # The storage API has no directories; on the local file system the emptied one goes too.
    try:
        path = Path(default_storage.path(directory))
    except NotImplementedError:
        return
    shutil.rmtree(path, ignore_errors=True)
