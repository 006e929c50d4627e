"""Run the start program as the image would, and talk to what it serves.

Processes get a session of their own, so teardown can stop gunicorn or celery together with the
workers they forked; every wait has a deadline.
"""

import base64
import contextlib
import http.client
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

REPO_DIR = Path(__file__).resolve().parents[2]
START = [sys.executable, "-m", "backend.start"]


def wait_until(predicate, *, timeout: float, what: str, process: "Started | None" = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.popen.poll() is not None:
            raise AssertionError(
                f"{what}: the process exited ({process.popen.returncode}):\n{process.output()}"
            )
        result = predicate()
        if result:
            return result
        time.sleep(0.2)
    detail = f"\n{process.output()}" if process is not None else ""
    raise AssertionError(f"{what}: not within {timeout}s{detail}")


@dataclass
class Started:
    """One run of the start program; its output goes to a file the tests read."""

    popen: subprocess.Popen
    log: Path
    exit_code: int | None = field(default=None)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for_output(self, text: str, timeout: float) -> None:
        wait_until(lambda: text in self.output(), timeout=timeout, what=f"output {text!r}",
                   process=self)  # fmt: skip

    def cmdline(self) -> list[str]:
        raw = Path(f"/proc/{self.popen.pid}/cmdline").read_bytes()
        return [part.decode() for part in raw.split(b"\0") if part]

    def stop(self, timeout: float = 20) -> int:
        """SIGTERM, as a container runtime sends it; SIGKILL to the group after `timeout`."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(10)
        self.exit_code = self.popen.returncode
        return self.exit_code

    def kill_leftovers(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)


def start(args: list[str], env: dict[str, str], log: Path) -> Started:
    with log.open("wb") as out:
        popen = subprocess.Popen(  # noqa: S603 (our own interpreter and module)
            [*START, *args],
            cwd=REPO_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    return Started(popen=popen, log=log)


def run(args: list[str], env: dict[str, str], timeout: float = 120):
    return subprocess.run(  # noqa: S603
        [*START, *args], cwd=REPO_DIR, env=env, capture_output=True, text=True,
        timeout=timeout, stdin=subprocess.DEVNULL, check=False,
    )  # fmt: skip


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode()


def request(
    port: int,
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    json_body=None,
    https: bool = True,
    client_ip: str | None = None,
    basic_auth: tuple[str, str] | None = None,
) -> Response:
    """One HTTP request to 127.0.0.1:port, redirects not followed.

    https=True adds the header the TLS-terminating proxy sets; client_ip the X-Forwarded-For
    entry it appends.
    """
    sent = dict(headers or {})
    if https:
        sent.setdefault("X-Forwarded-Proto", "https")
    if client_ip:
        sent["X-Forwarded-For"] = (
            f"{sent['X-Forwarded-For']}, {client_ip}" if "X-Forwarded-For" in sent else client_ip
        )
    if basic_auth:
        token = base64.b64encode(":".join(basic_auth).encode()).decode()
        sent["Authorization"] = f"Basic {token}"
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    return exchange(connection, method, path, headers=sent, json_body=json_body)


def exchange(
    connection: http.client.HTTPConnection,
    method: str,
    path: str,
    *,
    headers: dict[str, str],
    json_body=None,
) -> Response:
    """Send one request on `connection` (plain or TLS), read the response, close it."""
    sent = dict(headers)
    body = None
    if json_body is not None:
        body = json.dumps(json_body).encode()
        sent["Content-Type"] = "application/json"
    try:
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        return Response(
            status=response.status,
            headers={name.lower(): value for name, value in response.getheaders()},
            body=response.read(),
        )
    finally:
        connection.close()


def responds(port: int, path: str, status: int = 200):
    def check():
        try:
            return request(port, "GET", path, https=False).status == status
        except OSError:
            return False

    return check


def redis_url_with_db(url: str, db: int) -> str:
    """The same Redis server, another database number (redis:// path or unix:// ?db=)."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        query = dict(parse_qsl(parts.query))
        query["db"] = str(db)
        # urlunsplit would drop the empty authority: unix:/path instead of unix:///path.
        return f"unix://{parts.path}?{urlencode(query)}"
    return urlunsplit(parts._replace(path=f"/{db}"))
