"""Everything that changes jobs. The API and the Celery tasks only call these.

A job's life: job_create (pending, message sent after commit) -> job_process (processing, four
phases, completed or failed) -> job_delete (the files go after the commit, whatever deleted
the job: backend/jobs/signals.py). jobs_recover re-sends the messages of jobs whose worker died
or whose message was lost.
"""

import contextlib
import logging
import shutil
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from backend.jobs import limits
from backend.jobs.analysis import CsvFormatError, analyze
from backend.jobs.models import ProcessingRequest, ProcessingResult, job_directory
from backend.jobs.outputs import ARCHIVE_ZIP, REPORT_MD, TERMS_CSV, write_outputs

logger = logging.getLogger(__name__)
Status = ProcessingRequest.Status
OUTPUT_NAMES = (TERMS_CSV, REPORT_MD, ARCHIVE_ZIP)


class ProcessingError(Exception):
    """The job cannot be done; the message is stored on the job for its owner to read."""


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
) -> ProcessingRequest:
    """Store a validated request and send its message once the row is committed.

    The worker could otherwise receive the message before the row exists (the seed's race).
    If storing fails, the input file written so far is removed again.
    """
    job = ProcessingRequest(
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
        _remove_files(job)
        raise
    return job


def _dispatch_on_commit(job: ProcessingRequest) -> None:
    from backend.jobs.tasks import process_job

    # robust: the row is committed whatever the broker does; a message that could not be sent is
    # sent again by jobs_recover, so the client still gets its 202.
    transaction.on_commit(
        partial(process_job.apply_async, args=(str(job.id),), task_id=job.celery_task_id),
        robust=True,
    )


# Processing (the task's four phases)
# ------------------------------------------------------------------------------


def job_process(*, job_id: str, task_id: str | None = None) -> None:
    """Run a job: 1 validate and prepare, 2 analyse, 3 save results, 4 clean up.

    Safe to run again for the same message: a finished job is left alone, a job still marked
    processing (its worker died) runs again from the start. A message that is not the job's
    current one (the job was requeued since) does nothing.
    """
    job = _job_start(job_id=job_id, task_id=task_id)
    if job is None:
        return
    workdir = None
    try:
        workdir = _prepare_workdir(job)
        text, source = _phase_prepare(job)
        if not _is_current(job):
            return
        data, stats = _phase_analyse(job, text)
        outputs = write_outputs(workdir, title=job.title, source=source, data=data, stats=stats)
        _phase_save(job, data=data, outputs=outputs)
    except ProcessingError as exc:
        _job_fail(job, str(exc))
    except SoftTimeLimitExceeded:
        # Fail with a message now rather than stay "processing" until the hard limit kills us.
        _job_fail(job, "Processing took longer than its time limit and was stopped.")
    except Exception as exc:
        logger.exception("job %s failed", job.id)
        _job_fail(job, f"Processing failed unexpectedly ({type(exc).__name__}).")
        raise
    finally:
        if workdir is not None:
            _phase_cleanup(workdir)


def _job_start(*, job_id: str, task_id: str | None) -> ProcessingRequest | None:
    with transaction.atomic():
        job = ProcessingRequest.objects.select_for_update().filter(pk=job_id).first()
        if job is None:
            return None  # deleted before a worker got to it
        if task_id is not None and task_id != job.celery_task_id:
            logger.info("job %s: message %s is stale, skipped", job.id, task_id)
            return None
        if job.is_finished:
            return None  # a redelivered message for a job that already ended
        if job.attempts >= limits.MAX_ATTEMPTS:
            _finish_failed(job, _gave_up_message(job.attempts))
            return None
        job.status = Status.PROCESSING
        job.attempts += 1
        job.started_at = timezone.now()
        job.error_message = ""
        job.save(update_fields=["status", "attempts", "started_at", "error_message"])
    return job


def _prepare_workdir(job: ProcessingRequest) -> Path:
    """The run's working directory (phase 1), in this machine's temporary directory.

    Named after the job, so a run that was killed mid-job (no phase 4) has its leftovers
    removed when the job runs again; a directory older than any run can be (the hard time
    limit) belongs to a killed run that never came back, and goes too.
    """
    root = Path(tempfile.gettempdir()) / f"{settings.APP_NAME}-jobs-work"
    root.mkdir(exist_ok=True)
    oldest = time.time() - settings.CELERY_TASK_TIME_LIMIT - limits.STUCK_MARGIN.total_seconds()
    for entry in root.iterdir():
        with contextlib.suppress(FileNotFoundError):
            if entry.stat().st_mtime < oldest:
                shutil.rmtree(entry, ignore_errors=True)
    workdir = root / str(job.id)
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir()
    return workdir


def _phase_prepare(job: ProcessingRequest) -> tuple[str, str]:
    """Phase 1: the input as text (checked again: the file is read here for the first time by
    this process), and a description of where it came from."""
    if not job.input_file:
        return job.input_text, "pasted text"
    try:
        with job.input_file.open("rb") as handle:
            content = handle.read()
    except FileNotFoundError as exc:
        raise ProcessingError("The input file is missing.") from exc
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ProcessingError("The input file is not UTF-8 text.") from exc
    return text, f"file {job.input_filename}"


def _phase_analyse(job: ProcessingRequest, text: str):
    """Phase 2."""
    options = job.options
    try:
        return analyze(
            text,
            language=options.get("language", "en"),
            top_n=options.get("top_n", limits.TOP_N_DEFAULT),
            is_csv=job.input_file.name.endswith(".csv"),
        )
    except CsvFormatError as exc:
        raise ProcessingError(f"Not a CSV file: {exc}.") from exc


def _phase_save(job: ProcessingRequest, *, data: dict, outputs: dict[str, Path]) -> None:
    """Phase 3: results and files, under the job's row lock.

    The lock orders this against job_delete: either the files land before the delete (which
    then removes them) or the job is gone and nothing is stored.
    """
    with transaction.atomic():
        locked = (
            ProcessingRequest.objects.select_for_update()
            .filter(pk=job.pk, status=Status.PROCESSING, celery_task_id=job.celery_task_id)
            .first()
        )
        if locked is None:
            logger.info("job %s was deleted or requeued while running; results dropped", job.pk)
            return
        result = ProcessingResult.objects.filter(request=locked).first() or ProcessingResult(
            request=locked
        )
        # An earlier run that died before its commit may have left files under these names.
        stored_files_delete([f"{job_directory(locked)}/{name}" for name in OUTPUT_NAMES])
        result.data = data
        with outputs["csv"].open("rb") as terms:
            result.terms_csv.save(TERMS_CSV, File(terms), save=False)
        with outputs["report"].open("rb") as report:
            result.report_md.save(REPORT_MD, File(report), save=False)
        with outputs["archive"].open("rb") as archive:
            result.archive_zip.save(ARCHIVE_ZIP, File(archive), save=False)
        result.created_at = timezone.now()
        result.save()
        locked.status = Status.COMPLETED
        locked.finished_at = timezone.now()
        locked.save(update_fields=["status", "finished_at"])


def _phase_cleanup(workdir: Path) -> None:
    """Phase 4."""
    shutil.rmtree(workdir, ignore_errors=True)


def _is_current(job: ProcessingRequest) -> bool:
    """Still this run's job? A deleted or requeued job stops between phases."""
    return ProcessingRequest.objects.filter(
        pk=job.pk, status=Status.PROCESSING, celery_task_id=job.celery_task_id
    ).exists()


def _job_fail(job: ProcessingRequest, message: str) -> None:
    ProcessingRequest.objects.filter(
        pk=job.pk, status=Status.PROCESSING, celery_task_id=job.celery_task_id
    ).update(status=Status.FAILED, error_message=message, finished_at=timezone.now())


def _finish_failed(job: ProcessingRequest, message: str) -> None:
    job.status = Status.FAILED
    job.error_message = message
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "error_message", "finished_at"])


def _gave_up_message(attempts: int) -> str:
    return (
        f"The job was started {attempts} times and its worker stopped each time "
        "(killed or timed out); it was given up."
    )


# Recovering from lost workers and lost messages
# ------------------------------------------------------------------------------


def jobs_recover(*, now: datetime | None = None) -> dict[str, list[str]]:
    """Requeue or fail jobs whose worker died, and re-send messages that were lost.

    - processing for longer than the hard time limit plus a margin: the worker is gone (the
      limit would have ended the task). Requeued with a new message, or failed once it has
      been tried limits.MAX_ATTEMPTS times.
    - pending long after its message was sent: the message is sent again.
    The old message, should Redis still redeliver it, is stale and does nothing.
    Runs periodically from Celery beat; `now` lets a caller judge as of another time.
    """
    now = now or timezone.now()
    stuck_since = now - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT) - limits.STUCK_MARGIN
    report = {"requeued": [], "failed": [], "redispatched": []}
    with transaction.atomic():
        # skip_locked: a job a worker is saving right now is not stuck.
        unfinished = ProcessingRequest.objects.select_for_update(skip_locked=True).defer(
            "input_text"
        )
        stuck = unfinished.filter(status=Status.PROCESSING, started_at__lt=stuck_since)
        for job in stuck:
            if job.attempts >= limits.MAX_ATTEMPTS:
                _finish_failed(job, _gave_up_message(job.attempts))
                report["failed"].append(str(job.pk))
            else:
                _requeue(job, now)
                report["requeued"].append(str(job.pk))
        lost = unfinished.filter(
            status=Status.PENDING, queued_at__lt=now - limits.PENDING_REDISPATCH_AFTER
        )
        for job in lost:
            _requeue(job, now)
            report["redispatched"].append(str(job.pk))
    if any(report.values()):
        logger.warning("jobs_recover: %s", report)
    return report


def _requeue(job: ProcessingRequest, now: datetime) -> None:
    job.status = Status.PENDING
    job.started_at = None
    job.queued_at = now
    job.celery_task_id = str(uuid.uuid4())
    job.save(update_fields=["status", "started_at", "queued_at", "celery_task_id"])
    _dispatch_on_commit(job)


# Deleting
# ------------------------------------------------------------------------------


def job_delete(*, job: ProcessingRequest) -> bool:
    """Delete a job; False if it was gone already.

    The row lock orders the delete against a worker saving the job's results (_phase_save):
    either the results land first and go with the job, or the worker finds the job gone and
    stores nothing. What follows any delete (files removed, an unfinished job's message
    revoked, after the commit) is in backend/jobs/signals.py, so the admin and cascades get
    it too.
    """
    with transaction.atomic():
        locked = (
            ProcessingRequest.objects.select_for_update()
            .defer("input_text")
            .filter(pk=job.pk)
            .first()
        )
        if locked is None:
            return False  # deleted by a concurrent request
        locked.delete()
    return True


def job_message_revoke(task_id: str) -> None:
    """Ask the workers to drop a job's message.

    A request, not a kill (terminate=False): with the prefork pool, terminating signals a pool
    process that may already run another task by the time the signal lands (Celery's docs warn
    against it). A job already running finds its row gone at the next phase and stores nothing
    (see _phase_save).
    """
    from backend.config.celery import app

    app.control.revoke(task_id)


def job_files_remove(names: list[str], directory: str) -> None:
    """Delete a job's stored files and its directory below MEDIA_ROOT."""
    stored_files_delete(names)
    # The storage API has no directories; on the local file system the emptied one goes too.
    try:
        path = Path(default_storage.path(directory))
    except NotImplementedError:
        return
    shutil.rmtree(path, ignore_errors=True)


def stored_files_delete(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)


def _remove_files(job: ProcessingRequest) -> None:
    """The files of a job whose row was never stored (job_create failed)."""
    job_files_remove([job.input_file.name] if job.input_file else [], job_directory(job))
