"""Real servers for tests that must stop and start them: a PostgreSQL cluster and a WSGI server."""

import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

# PostgreSQL refuses to run as root; CI runs as root, so the cluster then belongs to this user.
UNPRIVILEGED_USER = os.environ.get("PG_RUN_AS", "postgres")


def _as_postgres_user(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    return ["runuser", "-u", UNPRIVILEGED_USER, "--", *cmd]


class ThrowawayPostgres:
    """A PostgreSQL cluster in a temp dir, listening only on a unix socket there."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="pg-"))
        self.data = self.dir / "data"
        if os.geteuid() == 0:
            self.dir.chmod(0o755)
            owner = pwd.getpwnam(UNPRIVILEGED_USER)
            os.chown(self.dir, owner.pw_uid, owner.pw_gid)
        subprocess.run(
            _as_postgres_user(
                # UTF-8 whatever the locale: in the C locale initdb would pick SQL_ASCII, and
                # psycopg then hands back bytes for text read outside Django.
                [
                    "initdb",
                    "-D",
                    str(self.data),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--no-locale",
                ]  # fmt: skip
            ),
            check=True,
            capture_output=True,
        )

    @property
    def url(self) -> str:
        return f"postgres://postgres@/postgres?host={self.dir}"

    def start(self) -> None:
        subprocess.run(
            _as_postgres_user(
                [
                    "pg_ctl",
                    "-D",
                    str(self.data),
                    "-w",
                    "-l",
                    str(self.dir / "log"),
                    "-o",
                    f"-k {self.dir} -c listen_addresses=''",
                    "start",
                ]
            ),
            check=True,
            capture_output=True,
        )

    def stop(self) -> None:
        subprocess.run(
            _as_postgres_user(["pg_ctl", "-D", str(self.data), "-w", "-m", "fast", "stop"]),
            check=True,
            capture_output=True,
        )

    def remove(self) -> None:
        subprocess.run(
            _as_postgres_user(["pg_ctl", "-D", str(self.data), "-m", "immediate", "stop"]),
            capture_output=True,
        )
        shutil.rmtree(self.dir, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class WsgiServer:
    """gunicorn serving this project in a child process, with the given environment."""

    def __init__(self, env: dict[str, str]):
        self.port = free_port()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "backend.config.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "1",
                "--timeout",
                "30",
            ],
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self.wait_until_up()

    def get(self, path: str, timeout: float = 10) -> tuple[int, bytes]:
        status, _headers, body = self.request("GET", path, timeout=timeout)
        return status, body

    def request(
        self, method: str, path: str, *, json_body=None, headers=None, timeout: float = 10
    ) -> tuple[int, dict[str, str], bytes]:
        data = None if json_body is None else json.dumps(json_body).encode()
        headers = {**(headers or {}), **({"Content-Type": "application/json"} if data else {})}
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", data=data, method=method, headers=headers
        )
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def wait_until_up(self, deadline: float = 30) -> None:
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            if self.process.poll() is not None:
                raise RuntimeError(self.process.stderr.read().decode())
            try:
                self.get("/healthz", timeout=2)
                return
            except OSError:
                time.sleep(0.2)
        raise TimeoutError("gunicorn did not answer /healthz")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


class ThrowawayRedis:
    """A Redis server on a unix socket in a temp dir, to freeze (SIGSTOP) and thaw at will:
    a frozen server still accepts connections, and then never answers."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="redis-"))
        self.socket = self.dir / "redis.sock"
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                "0",
                "--unixsocket",
                str(self.socket),
                "--dir",
                str(self.dir),
                "--save",
                "",
                "--appendonly",
                "no",
            ],  # fmt: skip
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while not self.socket.exists():
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)

    @property
    def url(self) -> str:
        return f"unix://{self.socket}?db=0"

    @property
    def broker_url(self) -> str:
        return f"redis+socket://{self.socket}?virtual_host=0"

    def freeze(self) -> None:
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self.process.send_signal(signal.SIGCONT)

    def remove(self) -> None:
        self.thaw()
        self.process.kill()
        self.process.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)
