"""Celery entry points. They hold no rules: each calls a service (processing.py)."""

from celery import shared_task

from backend.jobs.processing import job_process


@shared_task(bind=True)
def process_job(self, job_id: str) -> None:
    # acks_late and reject_on_worker_lost (settings) make a killed run come back; job_process
    # is written to be run again, and skips a second copy of a message whose run is alive.
    job_process(job_id=job_id, task_id=self.request.id)
