"""The parts of deploy/compose.yaml's topology, run as plain processes: web instances (the start
program under gunicorn), Caddy with deploy/Caddyfile, a CA of the test's own, HTTPS requests from
chosen loopback addresses."""

import http.client
import os
import shutil
import signal
import socket
import ssl
import subprocess
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from backend.tests_production.conftest import SECOND_PASSWORD, SUPERUSER_EMAIL, Postgres
from backend.tests_production.harness import (
    REPO_DIR,
    Response,
    Started,
    exchange,
    redis_url_with_db,
    responds,
    run,
    start,
    wait_until,
)

DEPLOY_DIR = REPO_DIR / "deploy"
DOMAIN = "app.test"
OPENSSL_TIMEOUT = 30
# A start migrates, then boots gunicorn's workers: seconds on an idle machine, minutes on a
# shared, busy one.
START_TIMEOUT = 300
# Not the one of tests_production: both suites may use one Redis server.
REDIS_DB = 6


def tool_version(name: str) -> str:
    """A pin from scripts/lib/tool-versions.sh, where install-deps reads it too."""
    for line in (REPO_DIR / "scripts/lib/tool-versions.sh").read_text().splitlines():
        if line.startswith(f"{name}="):
            return line.split("=", 1)[1].strip()
    raise AssertionError(f"{name} is not pinned in scripts/lib/tool-versions.sh")


def drop_database(postgres: Postgres, name: str) -> None:
    with postgres.connect("postgres") as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def migrated_env(
    base: dict[str, str], postgres: Postgres, dbname: str, media_root: str
) -> dict[str, str]:
    """The environment of every app container, on a new database `app-start setup` set up."""
    env = dict(
        base,
        DJANGO_ALLOWED_HOSTS=f"{DOMAIN},127.0.0.1,localhost",
        POSTGRES_DB=dbname,
        REDIS_URL=redis_url_with_db(settings.REDIS_URL, REDIS_DB),
        MEDIA_ROOT=media_root,
        DJANGO_SUPERUSER_EMAIL=SUPERUSER_EMAIL,
        DJANGO_SUPERUSER_PASSWORD=SECOND_PASSWORD,
        # Gunicorn's 30s worker timeout also bounds a worker's boot, which a busy CI machine
        # can exceed; the image's own settings are not what these tests are about.
        GUNICORN_CMD_ARGS="--timeout 120",
    )
    drop_database(postgres, dbname)
    with postgres.connect("postgres") as connection:
        connection.execute(f'CREATE DATABASE "{dbname}"')
    done = run(["setup"], env, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return env


@dataclass
class WebInstance:
    """One web container: `app-start web` on a port of its own."""

    name: str
    port: int
    env: dict[str, str]
    logs: Path
    process: Started | None = None
    starts: int = 0

    def start(self) -> None:
        self.starts += 1
        env = dict(self.env, PORT=str(self.port))
        self.process = start(["web"], env, self.logs / f"{self.name}-{self.starts}.log")
        wait_until(responds(self.port, "/readyz"), timeout=START_TIMEOUT,
                   what=f"{self.name}: /readyz", process=self.process)  # fmt: skip

    def stop(self) -> int:
        """SIGTERM, as the container engine sends it to the container it replaces."""
        assert self.process is not None
        return self.process.stop(timeout=40)

    def close(self) -> None:
        if self.process:
            self.process.stop()
            self.process.kill_leftovers()

    def output(self) -> str:
        return self.process.output() if self.process else ""


@dataclass
class Certificates:
    ca: Path
    cert: Path
    key: Path


def _openssl(*args: str, cwd: Path) -> None:
    done = subprocess.run(  # noqa: S603
        ["openssl", *args], cwd=cwd, capture_output=True, text=True,
        timeout=OPENSSL_TIMEOUT, check=False,
    )  # fmt: skip
    assert done.returncode == 0, f"openssl {' '.join(args)}: {done.stderr}"


def make_certificates(work: Path) -> Certificates:
    """A CA made for this run, and a certificate it signed for DOMAIN."""
    key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    _openssl("req", "-x509", *key, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
             "-subj", "/CN=deploy tests CA", "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=work)  # fmt: skip
    _openssl("req", *key, "-keyout", "site.key", "-out", "site.csr", "-subj", f"/CN={DOMAIN}",
             cwd=work)  # fmt: skip
    # What Python's VERIFY_X509_STRICT (its default since 3.13) asks of a leaf certificate.
    (work / "site.ext").write_text(
        f"subjectAltName=DNS:{DOMAIN}\nextendedKeyUsage=serverAuth\n"
        "keyUsage=critical,digitalSignature\nsubjectKeyIdentifier=hash\n"
        "authorityKeyIdentifier=keyid,issuer\n"
    )
    _openssl("x509", "-req", "-in", "site.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
             "-CAcreateserial", "-out", "site.pem", "-days", "2", "-extfile", "site.ext",
             cwd=work)  # fmt: skip
    return Certificates(ca=work / "ca.pem", cert=work / "site.pem", key=work / "site.key")


def caddy_binary() -> str:
    """Caddy at the version compose.yaml pins; install-deps builds it (go install)."""
    path = shutil.which("caddy")
    assert path, "caddy is not installed: run scripts/install-deps"
    # `caddy version` says "unknown" for a `go install` build; Go's build info has the module.
    done = subprocess.run(  # noqa: S603
        [shutil.which("go") or "go", "version", "-m", path], capture_output=True, text=True,
        timeout=30, check=False,
    )  # fmt: skip
    found = [line.split()[2] for line in done.stdout.splitlines()
             if line.split()[:2] == ["mod", "github.com/caddyserver/caddy/v2"]]  # fmt: skip
    pinned = tool_version("CADDY_VERSION")
    assert found == [pinned], (
        f"{path} is Caddy {found}, the pin is {pinned}: run scripts/install-deps"
    )
    return path


@dataclass
class Proxy:
    http_port: int
    https_port: int
    ca: Path
    process: subprocess.Popen
    log: Path

    def request(self, method: str, path: str, *, source: str = "127.0.0.1",
                headers: dict[str, str] | None = None, json_body=None) -> Response:  # fmt: skip
        """One HTTPS request for DOMAIN, verified against the test CA, from the loopback address
        `source`, so the proxy sees a client of that address."""
        context = ssl.create_default_context(cafile=str(self.ca))
        raw = socket.create_connection(("127.0.0.1", self.https_port), timeout=30,
                                       source_address=(source, 0))  # fmt: skip
        connection = http.client.HTTPConnection(DOMAIN, self.https_port, timeout=30)
        connection.sock = context.wrap_socket(raw, server_hostname=DOMAIN)
        return exchange(connection, method, path, headers=headers or {}, json_body=json_body)


def stop_process(process: subprocess.Popen, timeout: float = 15) -> None:
    """SIGTERM, then SIGKILL to its whole session after `timeout` seconds."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
