"""Helpers of the jobs tests."""

import json
import random
import time
from pathlib import Path

from backend.jobs.models import Job
from backend.jobs.processing import job_process

BOUNDARY = "jobs-test-boundary-7MA4YWxkTrZu0gW"
CREATE = "/api/v1/jobs/create/"


def post_json(client, payload):
    """POST JSON as a browser does: UTF-8, non-ASCII unescaped (but a lone surrogate, which
    only escaped JSON can carry)."""
    try:
        body = json.dumps(payload, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        body = json.dumps(payload).encode()
    return client.post(CREATE, body, content_type="application/json")


def post_upload(client, file_name: bytes, content: bytes, **fields):
    return client.post(
        CREATE, **multipart({"title": "Upload", **fields}, [("file", file_name, content)])
    )


def get_list(client, query=""):
    return client.get(f"/api/v1/jobs/list/{query}")


def multipart(
    fields: dict[str, str] | list[tuple[str, str | bytes]],
    files: list[tuple[str, bytes, bytes]] = (),
):
    """A multipart/form-data body built by hand: fields are a dict or (name, value) pairs (a
    name may repeat; a bytes value is sent as is), files are (field, raw file name, content).

    Django's test client would clean the file name first; the API must see what a client sent.
    Returns the keyword arguments for APIClient.post.
    """
    pairs = fields.items() if isinstance(fields, dict) else fields
    parts = []
    for name, value in pairs:
        parts.append(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + (value if isinstance(value, bytes) else value.encode())
            + b"\r\n"
        )
    for field, file_name, content in files:
        parts.append(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{field}"; filename="'.encode()
            + file_name
            + b'"\r\nContent-Type: application/octet-stream\r\n\r\n'
            + content
            + b"\r\n"
        )
    parts.append(f"--{BOUNDARY}--\r\n".encode())
    return {"data": b"".join(parts), "content_type": f"multipart/form-data; boundary={BOUNDARY}"}


def stored_files(root: Path) -> set[str]:
    return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}


def wait_for_status(job_id, statuses, timeout: float = 30) -> Job:
    """Poll the database until the job reaches one of `statuses`."""
    deadline = time.monotonic() + timeout
    while True:
        job = Job.objects.filter(pk=job_id).first()
        if job is not None and job.status in statuses:
            return job
        if time.monotonic() > deadline:
            state = job.status if job else "deleted"
            raise AssertionError(f"job {job_id} is {state}, not {statuses}, after {timeout}s")
        time.sleep(0.02)


def big_text(megabytes: float, seed: int = 7) -> str:
    """Prose-like text of random words: a job that keeps a worker busy for a second or two."""
    rng = random.Random(seed)  # noqa: S311 (test data, not secrets)
    letters = "abcdefghijklmnopqrstuvwxyz"
    vocabulary = ["".join(rng.choices(letters, k=rng.randint(3, 10))) for _ in range(20_000)]
    words, size, limit = [], 0, int(megabytes * 1024 * 1024)
    while size < limit:
        word = rng.choice(vocabulary) + ("." if rng.random() < 0.07 else "")
        words.append(word)
        size += len(word) + 1
    return " ".join(words)


def process_here(job: Job, task_id: str | None = None) -> Job:
    """Run the job in this process, as its message `task_id` (by default its current one)."""
    job_process(job_id=str(job.pk), task_id=task_id or job.celery_task_id)
    job.refresh_from_db()
    return job
