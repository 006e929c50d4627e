"""What the jobs benchmarks share: a separate database, a real server and a real worker.

The benchmarks talk HTTP to gunicorn on 127.0.0.1 (production settings), and a `celery worker`
process does the jobs, as in the deployed stack: what they time includes the network stack,
the WSGI server, the broker and the worker, not just the view. (jobs_list.py also counts SQL
queries per request, which needs Django's test client in this process.)

Environment:
  BENCH_DATABASE_URL  default postgres:///<project>_bench (created and migrated if missing;
                      libpq finds the server through PGHOST, as for the dev stack)
  REDIS_URL           the broker; use a Redis database no running worker consumes
"""

import atexit
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

REPO_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_DIR))


def setup_django() -> dict[str, str]:
    """Point this process at the bench database and settings; returns the env for children."""
    from backend.core.project import project_name

    database_url = os.environ.get("BENCH_DATABASE_URL", f"postgres:///{project_name()}_bench")
    env = {
        "DJANGO_SETTINGS_MODULE": "backend.config.settings.production",
        "DATABASE_URL": database_url,
        "DJANGO_SECRET_KEY": "bench-only-" + uuid.uuid4().hex,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_LOG_LEVEL": "WARNING",
        # The benches submit hundreds of jobs a minute as one user.
        "DJANGO_JOBS_CREATE_THROTTLE_RATE": "1000000/minute",
        "MEDIA_ROOT": _temporary_directory("jobs-bench-media-"),
    }
    os.environ.update(env)
    _create_database(database_url)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return env


def _temporary_directory(prefix: str) -> str:
    path = tempfile.mkdtemp(prefix=prefix)
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def _create_database(database_url: str) -> None:
    import psycopg

    name = urlsplit(database_url).path.lstrip("/")
    admin_url = database_url.replace(f"/{name}", "/postgres", 1)
    with psycopg.connect(admin_url, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')


def bench_user(email: str):
    """A user with a token, its earlier jobs removed."""
    from rest_framework.authtoken.models import Token

    from backend.accounts.models import User

    user, _ = User.objects.get_or_create(email=email)
    token, _ = Token.objects.get_or_create(user=user)
    return user, token.key


@contextmanager
def running_stack(env: dict[str, str], *, worker_concurrency: int, web_workers: int = 2):
    """gunicorn and a celery worker, started as subprocesses and stopped afterwards."""
    with stack_processes(env, worker_concurrency=worker_concurrency, web_workers=web_workers) as s:
        yield s.base_url


@contextmanager
def stack_processes(
    env: dict[str, str], *, worker_concurrency: int, web_workers: int = 2, workers: int = 1
):
    """gunicorn and `workers` celery workers; yields the Stack, to kill and restart them."""
    stack = Stack(env, worker_concurrency=worker_concurrency, web_workers=web_workers)
    try:
        stack.start_web()
        for index in range(workers):
            stack.start_worker(index)
        yield stack
    finally:
        stack.stop()


class Stack:
    def __init__(self, env: dict[str, str], *, worker_concurrency: int, web_workers: int):
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_dir = Path(_temporary_directory("jobs-bench-logs-"))
        self.env = {**os.environ, **env}
        self.worker_concurrency = worker_concurrency
        self.web_workers = web_workers
        self.processes: dict[str, subprocess.Popen] = {}
        self._starts = 0

    def start_web(self) -> None:
        command = [
            sys.executable, "-m", "gunicorn", "backend.config.wsgi:application",
            "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.web_workers),
            "--worker-class", "gthread", "--threads", "8",
        ]  # fmt: skip
        log = self._spawn("web", command)
        _wait_for_http(self.port, self.processes["web"], log)

    def start_worker(self, index: int = 0) -> None:
        self._starts += 1
        name = f"bench-{index}-{self._starts}-{uuid.uuid4().hex[:6]}@localhost"
        command = [
            sys.executable, "-m", "celery", "-A", "backend.config", "worker",
            "-l", "warning", "-P", "prefork", "-c", str(self.worker_concurrency),
            "--without-mingle", "--without-gossip", "-n", name,
        ]  # fmt: skip
        log = self._spawn(f"worker-{index}", command)
        _wait_for_worker(name, self.processes[f"worker-{index}"], log)

    def kill(self, name: str) -> None:
        """SIGKILL a process with its children (a worker's pool), as a crashed host would."""
        process = self.processes.pop(name)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    def rss_mib(self, name: str) -> float:
        """Resident memory of a process and its children (gunicorn's or celery's pool)."""
        group = os.getpgid(self.processes[name].pid)
        total_kib = 0
        for status in Path("/proc").glob("[0-9]*/status"):
            try:
                pid = int(status.parent.name)
                if os.getpgid(pid) != group:
                    continue
                for line in status.read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total_kib += int(line.split()[1])
            except (OSError, ValueError):
                continue  # a process that ended meanwhile
        return total_kib / 1024

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        self.processes.clear()

    def _spawn(self, name: str, command: list[str]) -> Path:
        log_path = self.log_dir / f"{name}-{self._starts}.log"
        with log_path.open("wb") as log:
            self.processes[name] = subprocess.Popen(
                command, cwd=REPO_DIR, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        return log_path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_http(port: int, process, log: Path, path: str = "/healthz") -> None:
    import http.client

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{log.read_text()[-3000:]}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", path)
            if connection.getresponse().status < 500:
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not answer {path} within 60s")


def _wait_for_worker(name: str, process, log: Path) -> None:
    from backend.config.celery import app

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"worker exited:\n{log.read_text()[-3000:]}")
        if app.control.ping(destination=[name], timeout=2):
            return
    raise RuntimeError("worker did not answer a ping within 60s")


class Client:
    """One keep-alive HTTP connection with the user's token (one per thread)."""

    def __init__(self, base_url: str, token: str):
        import http.client

        parts = urlsplit(base_url)
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        self.headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        self.connection.request(method, path, body=body, headers=self.headers)
        response = self.connection.getresponse()
        return response.status, response.read()


def sample_text(size: int, seed: int = 1) -> str:
    """English-like text of about `size` bytes."""
    import random

    rng = random.Random(seed)  # noqa: S311 (test data)
    vocabulary = (
        "the of and to in is that it was for on are as with his they at be this from have or "
        "by one had not but what all were when we there can an your which their said if do will "
        "each about how up out them then she many some so these would other into has more her "
        "two like him see time could no make than first been its who now people my made over "
        "analysis worker queue message database result report archive column summary term"
    )
    words = vocabulary.split(" ")
    out, length = [], 0
    while length < size:
        word = rng.choice(words)
        if rng.random() < 0.08:
            word += "."
        out.append(word)
        length += len(word) + 1
    return " ".join(out)[:size]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def describe_ms(values_s: list[float]) -> str:
    ms = [v * 1000 for v in values_s]
    return (
        f"median {statistics.median(ms):7.1f} ms   p95 {percentile(ms, 95):7.1f} ms   "
        f"p99 {percentile(ms, 99):7.1f} ms   min {min(ms):6.1f}   max {max(ms):7.1f}   n={len(ms)}"
    )
