"""A real Celery worker process for the flow tests: started, killed and restarted at will.

It runs `celery -A backend.config worker` with the test settings, the test database and the
test MEDIA_ROOT, and consumes only this session's queue, so parallel sessions and the dev
stack's worker on the same Redis never take each other's messages.
"""

import contextlib
import itertools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from celery import Celery

from backend.config.celery import app

START_TIMEOUT = 60


class CeleryWorker:
    _numbers = itertools.count(1)

    def __init__(
        self, *, queue: str, env: dict[str, str], log_dir: Path, cwd: Path, broker_url: str = ""
    ):
        self.queue = queue
        # Asked through its own broker: an app of its own when that is not this process's
        # (control's replies come back over the app's broker whatever connection sent them).
        self.control = (
            Celery(broker=broker_url, set_as_current=False).control if broker_url else app.control
        )
        self.base_env = env
        self.log_dir = log_dir
        self.cwd = cwd
        self.process: subprocess.Popen | None = None
        self.extra_env: dict[str, str] = {}
        self.name = ""
        self.log_path: Path | None = None

    # Lifecycle
    # --------------------------------------------------------------------------

    def start(self, **extra_env: str) -> "CeleryWorker":
        number = next(self._numbers)
        self.name = f"{self.queue}-{number}@localhost"
        self.extra_env = extra_env
        self.log_path = self.log_dir / f"worker-{number}.log"
        command = [
            sys.executable, "-m", "celery", "-A", "backend.config", "worker",
            "-l", "info", "-P", "prefork", "-c", "2",
            "--without-mingle", "--without-gossip",
            "-Q", self.queue, "-n", self.name,
        ]  # fmt: skip
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command,
                cwd=self.cwd,
                env={**os.environ, **self.base_env, **extra_env},
                stdout=log,
                stderr=subprocess.STDOUT,
                # Its own process group, so kill() reaches the pool children too.
                start_new_session=True,
            )
        self._wait_until_ready()
        return self

    def ensure_running(self, **extra_env: str) -> "CeleryWorker":
        if self.process is None or self.process.poll() is not None or self.extra_env != extra_env:
            self.stop()
            self.start(**extra_env)
        return self

    def kill(self) -> None:
        """SIGKILL the whole worker (main process and pool), as a crashed host would."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self._wait_for_group_gone()
        self.process = None

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self._wait_for_group_gone()
        self.process = None

    # Looking inside
    # --------------------------------------------------------------------------

    def active_tasks(self) -> list[dict]:
        replies = app.control.inspect(destination=[self.name], timeout=2).active() or {}
        return replies.get(self.name, [])

    def revoked_ids(self) -> set[str]:
        """The ids of the messages this worker was told to drop (app.control.revoke)."""
        replies = app.control.inspect(destination=[self.name], timeout=2).revoked() or {}
        return set(replies.get(self.name, []))

    def pool_pid_running(self, task_id: str, timeout: float = 10) -> int:
        """The pid of the pool process running `task_id`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for task in self.active_tasks():
                if task["id"] == task_id and task.get("worker_pid"):
                    return task["worker_pid"]
            time.sleep(0.05)
        raise AssertionError(f"task {task_id} is not running in {self.name}\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited at start:\n{self.log_tail()}")
            if self.control.ping(destination=[self.name], timeout=2):
                return
        self.kill()
        raise RuntimeError(f"worker not ready within {START_TIMEOUT}s:\n{self.log_tail()}")

    def _wait_for_group_gone(self) -> None:
        # Pool children may outlive the main process for a moment; a dead group has no members.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.killpg(self.process.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)
        os.killpg(self.process.pid, signal.SIGKILL)


def purge_queue(queue: str) -> None:
    """Remove every trace of a test queue from the broker: pending and unacknowledged messages
    (a killed worker's), and the queue's bindings."""
    with app.connection_for_write() as connection:
        client = connection.default_channel.client
        for tag, payload in client.hgetall("unacked").items():
            _message, _exchange, routing_key = json.loads(payload)
            if routing_key == queue:
                client.hdel("unacked", tag)
                client.zrem("unacked_index", tag)
        for key in client.scan_iter(match=f"*{queue}*"):
            client.delete(key)
