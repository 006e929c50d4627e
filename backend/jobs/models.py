import uuid

from django.conf import settings
from django.db import models
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from backend.jobs.outputs import OUTPUTS, Output


def job_directory(job: "Job") -> str:
    """Where a job's files live, below MEDIA_ROOT. Built from ids only: no user input steers it."""
    return f"jobs/{job.owner_id}/{job.id}"


def _input_path(job: "Job", filename: str) -> str:
    # `filename` is chosen by the service ("input.csv"), never the client's name.
    return f"{job_directory(job)}/{filename}"


def _output_path(result: "JobResult", filename: str) -> str:
    return f"{job_directory(result.job)}/{filename}"


class Job(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PROCESSING = "processing", "Processing"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"

    # UUIDs, so a client cannot count or guess other users' jobs.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="jobs",
        # The composite indexes below start with owner and serve its lookups too.
        db_index=False,
    )
    title = models.CharField(max_length=200)
    # Exactly one of input_text and input_file is set.
    input_text = models.TextField(blank=True)
    input_file = models.FileField(upload_to=_input_path, blank=True, max_length=255)
    # The client's file name, only to show it; the stored file has a fixed name.
    input_filename = models.CharField(max_length=255, blank=True)
    options = models.JSONField(default=dict, blank=True)

    class Phase(models.TextChoices):
        # The four phases of a run (processing.job_process); cleanup follows completion.
        PREPARE = "prepare", "Validate and prepare"
        ANALYSE = "analyse", "Analyse"
        SAVE = "save", "Save the results"
        CLEANUP = "cleanup", "Clean up"

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    # Where a processing job's run is; meaningful only while processing.
    phase = models.CharField(max_length=10, choices=Phase.choices, blank=True)
    error_message = models.TextField(blank=True)
    # The id of the message that should run this job: any other message for it is stale.
    celery_task_id = models.CharField(max_length=36, blank=True)
    # The outbox: when that message reached the broker. A pending job without it has a message
    # still to send (the broker was down at submit time); the workers' dispatch loop sends it.
    dispatched_at = models.DateTimeField(null=True, blank=True)
    # The run in progress: which worker process ("host:pid") and when it last said it is alive.
    worker = models.CharField(max_length=255, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # Runs started so far; bounded by limits.MAX_ATTEMPTS.
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    queued_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [
            # The list endpoint, with and without ?status=, newest first.
            models.Index(fields=["owner", "-created_at", "-id"], name="jobs_owner_created_idx"),
            models.Index(
                fields=["owner", "status", "-created_at", "-id"], name="jobs_owner_status_idx"
            ),
            # The workers' maintenance loop looks at the few unfinished jobs only.
            models.Index(
                fields=["status", "heartbeat_at"],
                name="jobs_unfinished_idx",
                condition=models.Q(status__in=["pending", "processing"]),
            ),
            models.Index(
                fields=["queued_at"],
                name="jobs_undispatched_idx",
                condition=models.Q(status="pending", dispatched_at__isnull=True),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~(models.Q(input_text="") & models.Q(input_file="")),
                name="jobs_has_input",
            ),
        ]

    def __str__(self):
        return f"{self.title} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.COMPLETED, self.Status.FAILED)


class JobResult(models.Model):
    job = models.OneToOneField(
        Job, on_delete=models.CASCADE, primary_key=True, related_name="result"
    )
    data = models.JSONField()
    # One field for each of outputs.OUTPUTS, by its `field`.
    terms_csv = models.FileField(upload_to=_output_path, max_length=255)
    report_md = models.FileField(upload_to=_output_path, max_length=255)
    archive_zip = models.FileField(upload_to=_output_path, max_length=255)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"Result of {self.job_id}"

    def file(self, output: Output) -> FieldFile:
        return getattr(self, output.field)

    def stored_files(self) -> list[str]:
        return [self.file(output).name for output in OUTPUTS if self.file(output)]
