"""Throwaway copies of this checkout that run real process-compose stacks (PostgreSQL,
Redis, ...) through the scripts in scripts/.

Each copy has its own path, so its own socket directory and state: the tests never touch the
developer's stack or another copy's.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

# Values scripts/env.sh derives for ONE checkout: a copy must derive its own, never inherit them.
STACK_VARIABLES = (
    "REPO_ROOT",
    "STATE_DIR",
    "RUN_DIR",
    "PGDATA",
    "PGHOST",
    "PGPORT",
    "PGUSER",
    "PGDATABASE",
    "DATABASE_URL",
    "REDIS_URL",
    "REDIS_SOCKET",
    "CELERY_BROKER_URL",
    "MEDIA_ROOT",
    "VIRTUAL_ENV",
    "DJANGO_SETTINGS_MODULE",
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def source_files() -> list[str]:
    """The files of this checkout that git would commit (tracked or new, not ignored)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return [name for name in listed.split("\0") if name and (REPO_ROOT / name).exists()]


@dataclass
class Checkout:
    root: Path
    env: dict

    def run(self, *args: str, timeout: float = 120, check: bool = True, env=None, **kwargs):
        """Runs a command (e.g. "scripts/up", "-D") in this checkout's stack environment."""
        return subprocess.run(
            ["scripts/with-env", *args],
            cwd=self.root,
            env=env or self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=check,
            **kwargs,
        )

    def stack_env(self) -> dict:
        """The variables scripts/env.sh computes for this checkout."""
        out = self.run("env").stdout
        return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)

    def up(self, *processes: str, timeout: int = 180) -> None:
        self.run("scripts/up", "--detached", *processes)
        status = self.run(
            "scripts/status", "--wait", "--timeout", str(timeout), check=False, timeout=timeout + 30
        )
        assert status.returncode == 0, status.stdout + status.stderr + self.logs()

    def down(self) -> None:
        self.run("scripts/down", timeout=90)

    def logs(self) -> str:
        log_dir = self.root / ".state" / "logs"
        if not log_dir.is_dir():
            return ""
        tails = (f"\n--- {log.name}\n{log.read_text()[-3000:]}" for log in log_dir.glob("*.log"))
        return "".join(tails)

    def psql(self, sql: str) -> str:
        return self.run("psql", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql).stdout.strip()

    def redis(self, *args: str) -> str:
        return self.run("redis-cli", "-s", self.stack_env()["REDIS_SOCKET"], *args).stdout.strip()

    def sync(self) -> None:
        """Its own venv, from uv.lock (the packages come from uv's cache), as scripts/update
        makes it, so that `make up` finds it in sync. No bytecode: a copy lives for one test."""
        self.link_frontend()
        self.run(
            "scripts/update",
            timeout=600,
            env={
                **self.env,
                "UV_PYTHON": sys.executable,
                "UV_PYTHON_DOWNLOADS": "never",
                "UV_COMPILE_BYTECODE": "0",
            },
        )

    def pytest(self, *args: str, timeout: float = 900):
        """The copy's own pytest (its venv, its stack), as scripts/test runs it."""
        return self.run(
            ".venv/bin/pytest", "-p", "no:cacheprovider", *args, timeout=timeout, check=False
        )

    def link_frontend(self) -> None:
        """The frontend as scripts/test leaves it (installed, built), shared with this checkout."""
        frontend = REPO_ROOT / "frontend"
        if (frontend / "dist").is_dir() and not (self.root / "frontend" / "dist").exists():
            shutil.copytree(frontend / "dist", self.root / "frontend" / "dist")
        if (frontend / "node_modules").is_dir():
            (self.root / "frontend" / "node_modules").symlink_to(frontend / "node_modules")

    def process_list(self) -> dict[str, dict]:
        """process-compose's own view of each process (state, pid, restarts, readiness)."""
        out = self.run("process-compose", "--use-uds", "process", "list", "--output", "json")
        return {process["name"]: process for process in json.loads(out.stdout)}

    def processes(self) -> list[str]:
        """Processes that belong to this checkout's stack: their working directory is inside
        the checkout or their command line names its socket directory (postgres, redis and
        process-compose do)."""
        run_dir = self.stack_env()["RUN_DIR"]
        found = []
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit() or int(proc.name) == os.getpid():
                continue
            try:
                cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
                cwd = os.readlink(proc / "cwd")
            except OSError:
                continue  # gone, or not ours to look at
            if not cmdline:
                continue  # a zombie, already dead
            if cwd == str(self.root) or cwd.startswith(f"{self.root}/") or run_dir in cmdline:
                found.append(f"{proc.name}: {cmdline} (cwd {cwd})")
        return found

    def wait_until_no_processes(self, timeout: float = 30) -> list[str]:
        deadline = time.monotonic() + timeout
        while (left := self.processes()) and time.monotonic() < deadline:
            time.sleep(0.2)
        return left


# What scripts/lib/ports.sh derives from the ports: a copy that chooses its own must not
# inherit the developer's.
PORT_VARIABLES = (
    "DJANGO_PORT",
    "VITE_PORT",
    "FLOWER_PORT",
    "MAILPIT_SMTP_PORT",
    "MAILPIT_UI_PORT",
    "FRONTEND_URL",
    "DJANGO_VITE_DEV_SERVER_PORT",
    "DJANGO_CORS_ALLOWED_ORIGINS",
    "EMAIL_HOST",
    "EMAIL_PORT",
    "E2E_BASE_URL",
    "MAILPIT_URL",
    "DJANGO_BIND_PORT",
    "VITE_BIND_PORT",
    "DJANGO_VITE_DEV_SERVER_PROTOCOL",
    # The developer's choice of https for their own stack; a test that wants it says so.
    "DEV_HTTPS",
)


def clean_environment(*, explicit_ports: bool = True, **extra: str) -> dict:
    """The developer's environment without the stack's variables. With explicit_ports, free
    ephemeral ports exported as overrides (a copy then never meets another stack's ports);
    without, the copy derives its own block (scripts/lib/ports.sh)."""
    hidden = STACK_VARIABLES + PORT_VARIABLES
    env = {key: value for key, value in os.environ.items() if key not in hidden}
    # PYTEST_XDIST_*: a copy's own pytest is not a worker of this run.
    env = {
        key: value
        for key, value in env.items()
        if not key.startswith(("PC_", "STACK_", "PYTEST_XDIST_"))
    }
    # The copies have no venv of their own unless a test makes one: tools come from this one.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    if explicit_ports:
        env.update(
            MAILPIT_SMTP_PORT=str(free_port()),
            MAILPIT_UI_PORT=str(free_port()),
            DJANGO_PORT=str(free_port()),
            VITE_PORT=str(free_port()),
            FLOWER_PORT=str(free_port()),
        )
    env.update(extra)
    return env
