"""A job's run, as the Celery task calls it: four phases in a working directory of its own.

1 prepare (the input as text), 2 analyse, 3 save the results under the job's row lock, 4 clean
up the working directory. A heartbeat thread marks the run alive meanwhile; a run whose
heartbeat stops is requeued by services.jobs_recover. A job deleted or requeued while it runs
stops at its next phase and stores nothing.
"""

import contextlib
import enum
import logging
import os
import shutil
import socket
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files import File
from django.db import connection, transaction
from django.db.models import Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from backend.jobs import limits
from backend.jobs.analysis import analyze
from backend.jobs.inputs import InputError, NotTextError, input_text
from backend.jobs.models import Job, JobResult, job_directory
from backend.jobs.outputs import OUTPUTS, Output, stored_names, write_outputs
from backend.jobs.services import job_files_delete, job_give_up

logger = logging.getLogger(__name__)
Status = Job.Status
Phase = Job.Phase


class ProcessingError(Exception):
    """The job cannot be done; the message is stored on the job for its owner to read."""


def job_process(*, job_id: str, task_id: str | None = None) -> None:
    """Run a job through its four phases.

    Safe to run again for the same message: a finished job is left alone, a job still marked
    processing (its worker died) runs again from the start. A message that is not the job's
    current one (the job was requeued since) does nothing.
    """
    job = _job_start(job_id=job_id, task_id=task_id)
    if job is None:
        return
    with _heartbeat(job):
        _job_run(job)


def _job_run(job: Job) -> None:
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


def _job_start(*, job_id: str, task_id: str | None) -> Job | None:
    """The job, claimed for this run; None if this message is not to run it.

    Read without a lock, then claimed by an UPDATE that matches only the row as it was read:
    two round trips and no transaction held open. If the row changed in between (a second copy
    of the message, a requeue, a delete), the claim matches nothing and the job is judged
    again under its row lock, as is a job to give up.
    """
    job = Job.objects.filter(pk=job_id).first()
    verdict = _verdict(job, task_id)
    if verdict is _Verdict.SKIP:
        return None  # final whatever happens next: a stale id or an ended job stays so
    if verdict is _Verdict.RUN and _claim(job):
        return job
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        verdict = _verdict(job, task_id)
        if verdict is _Verdict.GIVE_UP:
            job_give_up(job=job)
        if verdict is not _Verdict.RUN or not _claim(job):
            return None
    return job


class _Verdict(enum.Enum):
    RUN = "run"
    SKIP = "skip"
    GIVE_UP = "give up"


def _verdict(job: Job | None, task_id: str | None) -> _Verdict:
    if job is None:
        return _Verdict.SKIP  # deleted before a worker got to it
    if task_id is not None and task_id != job.celery_task_id:
        logger.info("job %s: message %s is stale, skipped", job.id, task_id)
        return _Verdict.SKIP
    if job.is_finished:
        return _Verdict.SKIP  # a redelivered message for a job that already ended
    if job.status == Status.PROCESSING and _run_is_alive(job, timezone.now()):
        # A second copy of the message of a run still going on (sent twice, or handed out
        # again by the broker): the run in progress finishes the job.
        logger.info("job %s: message %s is already being run, skipped", job.id, task_id)
        return _Verdict.SKIP
    if job.attempts >= limits.MAX_ATTEMPTS:
        return _Verdict.GIVE_UP
    return _Verdict.RUN


def _claim(job: Job) -> bool:
    """Mark the job processing for this run, if its row is still as `job` read it."""
    now, worker = timezone.now(), _this_worker()
    claimed = Job.objects.filter(
        pk=job.pk,
        status=job.status,
        attempts=job.attempts,
        celery_task_id=job.celery_task_id,
        heartbeat_at=job.heartbeat_at,
        worker=job.worker,
    ).update(
        status=Status.PROCESSING,
        phase=Phase.PREPARE,
        attempts=job.attempts + 1,
        started_at=now,
        heartbeat_at=now,
        worker=worker,
        # It may arrive before its sender recorded the send.
        dispatched_at=Coalesce("dispatched_at", Value(now)),
        error_message="",
    )
    if claimed:
        job.status, job.phase, job.attempts = Status.PROCESSING, Phase.PREPARE, job.attempts + 1
        job.started_at = job.heartbeat_at = now
        job.worker, job.error_message = worker, ""
    return bool(claimed)


def _this_worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _run_is_alive(job: Job, now: datetime) -> bool:
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
def _heartbeat(job: Job):
    """While the block runs, a thread marks the job alive every HEARTBEAT_INTERVAL."""
    stop = threading.Event()

    def beat():
        try:
            while not stop.wait(limits.HEARTBEAT_INTERVAL.total_seconds()):
                try:
                    Job.objects.filter(
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


def _prepare_workdir(job: Job) -> Path:
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


def _phase_prepare(job: Job) -> tuple[str, str]:
    """Phase 1: the input as text, and a description of where it came from."""
    if not job.input_file:
        return job.input_text, "pasted text"
    try:
        with job.input_file.open("rb") as handle:
            content = handle.read()
    except FileNotFoundError as exc:
        raise ProcessingError("The input file is missing.") from exc
    try:
        text = input_text(content, is_csv=_is_csv(job))
    except NotTextError as exc:
        raise ProcessingError("The input file is not UTF-8 text.") from exc
    except InputError as exc:
        raise ProcessingError(str(exc)) from exc
    return text, f"file {job.input_filename}"


def _is_csv(job: Job) -> bool:
    return job.input_file.name.endswith(".csv")


def _phase_analyse(job: Job, text: str):
    """Phase 2: the text's statistics, and for a CSV file its columns."""
    options = job.options
    return analyze(
        text,
        language=options.get("language", "en"),
        top_n=options.get("top_n", limits.TOP_N_DEFAULT),
        is_csv=_is_csv(job),
    )


def _phase_save(job: Job, *, data: dict, outputs: dict[Output, Path]) -> None:
    """Phase 3: results and files, under the job's row lock.

    The lock orders this against job_delete: either the files land before the delete (which
    then removes them) or the job is gone and nothing is stored.
    """
    with transaction.atomic():
        # Completed only if the job is still this run's; the UPDATE takes the row lock too.
        finished = Job.objects.filter(
            pk=job.pk, status=Status.PROCESSING, celery_task_id=job.celery_task_id
        ).update(status=Status.COMPLETED, finished_at=timezone.now())
        if not finished:
            logger.info("job %s was deleted or requeued while running; results dropped", job.pk)
            return
        # An earlier run that died before its commit may have left files under these names.
        job_files_delete(names=stored_names(job_directory(job)))
        result = JobResult(job=job, data=data, created_at=timezone.now())
        for output in OUTPUTS:
            with outputs[output].open("rb") as handle:
                result.file(output).save(output.file_name, File(handle), save=False)
        # A job gets its result in the transaction that completes it: a running one has none.
        result.save(force_insert=True)


def _phase_cleanup(workdir: Path) -> None:
    shutil.rmtree(workdir, ignore_errors=True)


def _enter_phase(job: Job, phase: str) -> bool:
    """Record the phase the run starts (the status endpoint shows it); False if the job is no
    longer this run's: a deleted or requeued job stops between phases."""
    return bool(
        Job.objects.filter(
            pk=job.pk, status=Status.PROCESSING, celery_task_id=job.celery_task_id
        ).update(phase=phase)
    )


def _job_fail(job: Job, message: str) -> None:
    Job.objects.filter(
        pk=job.pk, status=Status.PROCESSING, celery_task_id=job.celery_task_id
    ).update(status=Status.FAILED, error_message=message, finished_at=timezone.now())
