"""Everything that changes jobs. The API and the Celery tasks only call these.

A job's life: job_create (pending; its message is sent after the commit and the send recorded,
an outbox) -> job_process (processing, four phases, a heartbeat while it runs; completed or
failed) -> job_delete (the files go after the commit, whatever deleted the job:
backend/jobs/signals.py). jobs_maintain, run by every worker every few seconds, sends what the
broker could not take and requeues the jobs of workers that died.
"""

import contextlib
import logging
import os
import shutil
import socket
import tempfile
import threading
import time
import uuid
from datetime import datetime
from functools import partial
from pathlib import Path

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from backend.jobs import limits
from backend.jobs.analysis import CsvFormatError, analyze
from backend.jobs.models import ProcessingRequest, ProcessingResult, job_directory
from backend.jobs.outputs import ARCHIVE_ZIP, REPORT_MD, TERMS_CSV, write_outputs

logger = logging.getLogger(__name__)
Status = ProcessingRequest.Status
Phase = ProcessingRequest.Phase
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

    Sent after the commit, or a worker could receive the message before the row exists. If
    storing fails, the input file written so far is removed again. If the broker cannot take
    the message, the job is stored all the same (still undispatched) and sent later.
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
    # robust: the row is committed whatever happens next, and the client gets its 202.
    transaction.on_commit(partial(_dispatch_unless_broker_down, job), robust=True)


# After a failed send, requests leave the broker alone this long (the dispatch loop does not):
# a frozen broker costs one REDIS_TIMEOUT per process, not one per submission.
_SKIP_SENDS_AFTER_FAILURE_SECONDS = 5.0
_skip_sends_until = 0.0


def _dispatch_unless_broker_down(job: ProcessingRequest) -> None:
    global _skip_sends_until
    if time.monotonic() < _skip_sends_until:
        return
    if not job_dispatch(job=job):
        _skip_sends_until = time.monotonic() + _SKIP_SENDS_AFTER_FAILURE_SECONDS


def job_dispatch(*, job: ProcessingRequest) -> bool:
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
    ProcessingRequest.objects.filter(
        pk=job.pk, celery_task_id=job.celery_task_id, dispatched_at__isnull=True
    ).update(dispatched_at=timezone.now())
    return True


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
    with _heartbeat(job):
        _job_run(job)


def _job_run(job: ProcessingRequest) -> None:
    workdir = None
    try:
        workdir = _prepare_workdir(job)
        text, source = _phase_prepare(job)
        if not _enter_phase(job, Phase.ANALYSE):
            return
        data, stats = _phase_analyse(job, text)
        if not _enter_phase(job, Phase.SAVE):
            return
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
        now = timezone.now()
        if job.status == Status.PROCESSING and _run_is_alive(job, now):
            # A second copy of the message of a run still going on (sent twice, or handed out
            # again by the broker): the run in progress finishes the job.
            logger.info("job %s: message %s is already being run, skipped", job.id, task_id)
            return None
        if job.attempts >= limits.MAX_ATTEMPTS:
            _finish_failed(job, _gave_up_message(job.attempts))
            return None
        job.status = Status.PROCESSING
        job.phase = Phase.PREPARE
        job.attempts += 1
        job.started_at = job.heartbeat_at = now
        job.worker = _this_worker()
        job.dispatched_at = job.dispatched_at or now  # it arrived before its send was marked
        job.error_message = ""
        job.save(
            update_fields=[
                "status", "phase", "attempts", "started_at", "heartbeat_at", "worker",
                "dispatched_at", "error_message",
            ]
        )  # fmt: skip
    return job


def _this_worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _run_is_alive(job: ProcessingRequest, now: datetime) -> bool:
    """Is the job's run still going on somewhere? A run whose heartbeat stopped is not, nor one
    whose process on this host is gone (a pool process killed, its message given back)."""
    if job.heartbeat_at is None or job.heartbeat_at < now - limits.HEARTBEAT_TIMEOUT:
        return False
    host, _, pid = job.worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True
    if int(pid) == os.getpid():
        return False  # this very process, which runs one task at a time, is free again
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # a process of another user: alive
    return True


@contextlib.contextmanager
def _heartbeat(job: ProcessingRequest):
    """While the block runs, a thread marks the job alive every HEARTBEAT_INTERVAL."""
    stop = threading.Event()

    def beat():
        try:
            while not stop.wait(limits.HEARTBEAT_INTERVAL.total_seconds()):
                try:
                    ProcessingRequest.objects.filter(
                        pk=job.pk, status=Status.PROCESSING, celery_task_id=job.celery_task_id
                    ).update(heartbeat_at=timezone.now())
                except Exception as exc:  # the database is away: try again next time
                    logger.warning("job %s: heartbeat not stored: %s", job.pk, exc)
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=beat, name=f"heartbeat-{job.pk}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=10)


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


def _enter_phase(job: ProcessingRequest, phase: str) -> bool:
    """Record the phase the run starts (the status endpoint shows it); False if the job is no
    longer this run's: a deleted or requeued job stops between phases."""
    return bool(
        ProcessingRequest.objects.filter(
            pk=job.pk, status=Status.PROCESSING, celery_task_id=job.celery_task_id
        ).update(phase=phase)
    )


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
            ProcessingRequest.objects.select_for_update(skip_locked=True)
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
            ProcessingRequest.objects.select_for_update(skip_locked=True)
            .defer("input_text")
            .alias(last_sign=Coalesce("heartbeat_at", "started_at"))
            .filter(Q(last_sign__lt=now - limits.HEARTBEAT_TIMEOUT) | Q(last_sign__isnull=True))
            .filter(status=Status.PROCESSING)
        )
        for job in silent:
            if job.attempts >= limits.MAX_ATTEMPTS:
                _finish_failed(job, _gave_up_message(job.attempts))
                report["failed"].append(str(job.pk))
            else:
                _requeue(job, now)
                report["requeued"].append(str(job.pk))
    return report


def _requeue(job: ProcessingRequest, now: datetime) -> None:
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
