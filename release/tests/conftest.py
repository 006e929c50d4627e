"""Real registries (distribution's registry), real OCI images (umoci, skopeo), real git repos;
for `release e2c`: moto's EC2 server and OpenSSH's sshd, each a real process on loopback."""

import base64
import getpass
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

REQUIRED_TOOLS = ("umoci", "skopeo", "regctl", "git", "nix-instantiate")
# The distribution registry: docker-registry in Debian, registry in nixpkgs (`distribution`).
REGISTRY_BINARY = shutil.which("docker-registry") or shutil.which("registry")
# The protected registry's account. The bcrypt hash (cost 4, to keep requests fast) was made once
# with the bcrypt package; distribution's htpasswd auth accepts bcrypt only.
AUTH_USER = "release"
AUTH_PASSWORD = "release-test-password"
AUTH_HTPASSWD = "release:$2b$04$rLXn6/QyNWL1anHv9BBUxeCnM6hfm93F9AR41XMNB9vs0/tElOuuG\n"
# Variables the CLI reads as defaults: a developer's or CI's own values must not leak in.
CLEARED_ENV = (
    "CI_COMMIT_TAG",
    "CI_API_V4_URL",
    "CI_PROJECT_ID",
    "CI_JOB_TOKEN",
    "GITLAB_TOKEN",
    "UPDATE_LATEST_STRATEGY",
    "TAG_TYPE_OVERRIDE",
    "BUILD_ARM64",
    "BUILD_ARMV7",
    "RELEASE_INSECURE_REGISTRIES",
    "REGISTRY_AUTH_FILE",
    "DOCKER_CONFIG",
    "NIX_SSHOPTS",
)
# Whole families the CLI reads: AWS credentials and endpoints, E2C settings, GitLab job variables.
CLEARED_PREFIXES = ("AWS_", "E2C_", "CI_")


def pytest_sessionstart(session):
    missing = [tool for tool in REQUIRED_TOOLS if shutil.which(tool) is None]
    if REGISTRY_BINARY is None:
        missing.append("docker-registry (or registry)")
    if missing:
        raise pytest.UsageError(
            f"release tests need {', '.join(missing)} on PATH "
            "(apt: docker-registry umoci skopeo git nix-bin; regctl: see scripts/test-release)"
        )


@dataclass
class RunningRegistry:
    host: str
    process: subprocess.Popen
    log_path: Path

    def repository(self, name: str = "webapp-django") -> str:
        """A fresh repository per test: tests sharing the registry never see each other's tags."""
        return f"{self.host}/t{uuid.uuid4().hex[:10]}/{name}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_registry(root: Path, *, with_auth: bool) -> RunningRegistry:
    port = _free_port()
    root.mkdir(parents=True)
    auth = ""
    if with_auth:
        (root / "htpasswd").write_text(AUTH_HTPASSWD)
        auth = f"auth:\n  htpasswd:\n    realm: test\n    path: {root}/htpasswd\n"
    config = root / "config.yml"
    config.write_text(
        "version: 0.1\n"
        "log:\n  level: info\n"
        f"storage:\n  filesystem:\n    rootdirectory: {root}/data\n  delete:\n    enabled: true\n"
        f"http:\n  addr: 127.0.0.1:{port}\n  secret: release-tool-tests\n"
        f"{auth}"
    )
    log_path = root / "registry.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [REGISTRY_BINARY, "serve", str(config)], stdout=log, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/", timeout=1)
            break
        except urllib.error.HTTPError:
            break  # 401 from the protected one: it is up
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(f"docker-registry exited: {log_path.read_text()}") from None
            time.sleep(0.05)
    else:
        process.kill()
        raise RuntimeError(f"docker-registry did not start: {log_path.read_text()}")
    return RunningRegistry(f"127.0.0.1:{port}", process, log_path)


def _stop(registry: RunningRegistry) -> None:
    registry.process.terminate()
    try:
        registry.process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        registry.process.kill()
        registry.process.wait()


@pytest.fixture(scope="session")
def registry(tmp_path_factory):
    running = _start_registry(tmp_path_factory.mktemp("registry") / "open", with_auth=False)
    yield running
    _stop(running)


@pytest.fixture(scope="session")
def auth_registry(tmp_path_factory):
    """A registry that wants AUTH_USER's password (htpasswd auth)."""
    running = _start_registry(tmp_path_factory.mktemp("registry") / "auth", with_auth=True)
    yield running
    _stop(running)


class ImageFactory:
    """Tiny single-layer OCI images per arch; `label` makes each version's digest distinct."""

    def __init__(self, layout: Path, work: Path):
        self.layout = layout
        self.work = work
        self._built: set[str] = set()
        subprocess.run(["umoci", "init", "--layout", str(layout)], check=True)

    def build(self, arch: str, label: str) -> str:
        name = f"{arch}-{label}"
        if name not in self._built:
            image = f"{self.layout}:{name}"
            payload = self.work / f"{name}.txt"
            payload.write_text(f"{label} for {arch}\n")
            subprocess.run(["umoci", "new", "--image", image], check=True)
            subprocess.run(
                [
                    "umoci",
                    "config",
                    "--image",
                    image,
                    "--os",
                    "linux",
                    "--architecture",
                    arch,
                    "--config.label",
                    f"version={label}",
                ],
                check=True,
            )
            subprocess.run(
                ["umoci", "insert", "--image", image, str(payload), "/version.txt"], check=True
            )
            self._built.add(name)
        return name

    def push(self, arch: str, label: str, destination: str, *, docker_format: bool = False) -> None:
        name = self.build(arch, label)
        command = ["skopeo", "copy", "--quiet", "--dest-tls-verify=false"]
        if docker_format:
            command += ["--format", "v2s2"]
        subprocess.run(
            command + [f"oci:{self.layout}:{name}", f"docker://{destination}"], check=True
        )


@pytest.fixture(scope="session")
def images(tmp_path_factory):
    work = tmp_path_factory.mktemp("images")
    return ImageFactory(work / "layout", work)


@pytest.fixture
def home(tmp_path):
    """An empty HOME: no registry logins or tool config from the machine running the tests."""
    path = tmp_path / "home"
    path.mkdir()
    return path


def release_environment(home: Path, env: dict[str, str] | None) -> dict[str, str]:
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in CLEARED_ENV and not k.startswith(CLEARED_PREFIXES)
    }
    environment.update(HOME=str(home), XDG_RUNTIME_DIR=str(home))
    environment.update(env or {})
    return environment


RELEASE_COMMAND = (sys.executable, "-m", "release_tool.cli")


@pytest.fixture
def run_release(home):
    def run(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None):
        return subprocess.run(
            [*RELEASE_COMMAND, *args],
            capture_output=True,
            text=True,
            env=release_environment(home, env),
            cwd=cwd,
            timeout=60,
        )

    return run


def regctl(registry_host: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["regctl", "-v", "error", "--host", f"reg={registry_host},tls=disabled", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "HOME": os.environ.get("HOME", "/")},
    )


def digest(registry_host: str, reference: str) -> str | None:
    result = regctl(registry_host, "image", "digest", reference)
    return result.stdout.strip() if result.returncode == 0 else None


def git(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Release Test",
        "GIT_AUTHOR_EMAIL": "release@example.com",
        "GIT_COMMITTER_NAME": "Release Test",
        "GIT_COMMITTER_EMAIL": "release@example.com",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=env
    ).stdout


@pytest.fixture(scope="session")
def git_repo(tmp_path_factory):
    """A clone: annotated 0.9.0 1.0.0 2.0.0 2.5.0 3.0.0rc1; lightweight 2.1.0 2.2.0alpha 9.0.0.

    Shared by all tests: they only read it.
    """
    repo = tmp_path_factory.mktemp("repo")
    git(repo, "init", "-q", "-b", "main")
    (repo / "README.md").write_text("webapp\n")
    git(repo, "add", "README.md")
    git(repo, "commit", "-q", "-m", "feat: first")
    for tag in ("1.0.0", "2.0.0", "3.0.0rc1", "0.9.0", "2.5.0"):
        git(repo, "tag", "-a", tag, "-m", f"Release {tag}")
    for tag in ("2.1.0", "2.2.0alpha", "9.0.0"):
        git(repo, "tag", tag)
    return repo


# --- release e2c: moto's EC2 server, a spot-refusing proxy in front of it, OpenSSH's sshd -------

MOTO_SERVER = shutil.which("moto_server", path=str(Path(sys.executable).parent)) or shutil.which(
    "moto_server"
)
SSHD = shutil.which("sshd", path=f"/usr/sbin:/usr/local/sbin:{os.environ.get('PATH', '')}")
REGION = "eu-north-1"
# An AMI id from moto's built-in catalogue (moto/ec2/resources/amis.json).
AMI = "ami-12c6146b"
PROJECT = "group/webapp"


def _wait_until_listening(port: int, process: subprocess.Popen, log_path: Path, name: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited: {log_path.read_text()}")
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"{name} did not listen on {port} within 30 s: {log_path.read_text()}")


def _terminate(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class JsonHandler(BaseHTTPRequestHandler):
    """Base of the stand-ins for GitLab's API: JSON replies, no request log."""

    def reply(self, status: int, body: object) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """An HTTP server on a free loopback port, in a thread, for the block; yields its URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def moto(tmp_path_factory):
    """moto's server mode: a local process answering the EC2 API over HTTP."""
    if MOTO_SERVER is None:
        raise pytest.UsageError("moto_server is missing (uv sync: release-tool[test])")
    port = _free_port()
    log_path = tmp_path_factory.mktemp("moto") / "moto.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [MOTO_SERVER, "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=subprocess.STDOUT
        )
    _wait_until_listening(port, process, log_path, "moto_server")
    yield f"http://127.0.0.1:{port}"
    _terminate(process)


@pytest.fixture
def ec2(moto):
    """moto emptied (its /moto-api/reset), and a boto3 client for the test's arrangements."""
    import boto3

    reset = urllib.request.Request(f"{moto}/moto-api/reset", method="POST")
    urllib.request.urlopen(reset, timeout=10).close()
    return boto3.client(
        "ec2",
        endpoint_url=moto,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


SPOT_REFUSAL = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>'
    b"<Code>InsufficientInstanceCapacity</Code><Message>There is no Spot capacity available "
    b"that matches your request.</Message></Error></Errors><RequestID>e2c-test</RequestID>"
    b"</Response>"
)


class SpotRefusingProxy:
    """Forwards every EC2 call to moto, except a RunInstances asking for spot, which gets EC2's
    no-capacity answer (HTTP 500, InsufficientInstanceCapacity). moto always has capacity, so
    this one call is made to fail on the wire; the CLI and its botocore stay untouched."""

    def __init__(self, target: str):
        self.target = target
        self.refused = 0

    def handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if b"Action=RunInstances" in body and b"MarketType=spot" in body:
                    proxy.refused += 1
                    return self._reply(500, {"Content-Type": "text/xml"}, SPOT_REFUSAL)
                headers = {
                    k: v
                    for k, v in self.headers.items()
                    if k.lower() not in ("host", "content-length", "connection")
                }
                request = urllib.request.Request(
                    proxy.target + self.path, data=body, headers=headers, method="POST"
                )
                try:
                    with urllib.request.urlopen(request, timeout=30) as response:
                        self._reply(response.status, response.headers, response.read())
                except urllib.error.HTTPError as error:
                    self._reply(error.code, error.headers, error.read())

            def _reply(self, status, headers, payload):
                self.send_response(status)
                self.send_header("Content-Type", headers.get("Content-Type", "text/xml"))
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        return Handler


@pytest.fixture
def spot_refusing_proxy(moto):
    proxy = SpotRefusingProxy(moto)
    with serving(proxy.handler()) as url:
        proxy.url = url
        yield proxy


@dataclass
class SshServer:
    port: int
    user: str
    host_key: str  # the server's public host key, "ssh-ed25519 AAAA..."
    other_host_key: str  # a valid key the server does not hold
    client_key_base64: str  # the private key sshd accepts, as E2C_SSH_PRIVATE_KEY holds it


def _keygen(path: Path) -> None:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "e2c-test", "-f", str(path)],
        check=True,
        timeout=30,
    )


def _public_key(path: Path) -> str:
    return " ".join(Path(f"{path}.pub").read_text().split()[:2])


@pytest.fixture(scope="session")
def sshd(tmp_path_factory):
    """OpenSSH's sshd in the foreground on a free loopback port, with throwaway host and client
    keys, accepting only that client key for the user running the tests."""
    if SSHD is None or shutil.which("ssh-keygen") is None:
        raise pytest.UsageError("sshd and ssh-keygen are missing (apt-get install openssh-server)")
    root = tmp_path_factory.mktemp("sshd")
    for name in ("host_key", "client_key", "other_key"):
        _keygen(root / name)
    shutil.copy(f"{root}/client_key.pub", root / "authorized_keys")
    port = _free_port()
    config = root / "sshd_config"
    config.write_text(
        f"ListenAddress 127.0.0.1:{port}\n"
        f"HostKey {root}/host_key\n"
        f"AuthorizedKeysFile {root}/authorized_keys\n"
        "PidFile none\n"
        "UsePAM no\n"
        # The pytest temp dirs are not root-owned all the way up, which StrictModes refuses.
        "StrictModes no\n"
        "PasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\n"
        "PermitRootLogin prohibit-password\n"
    )
    if os.geteuid() == 0:
        # sshd started as root insists on its privilege separation directory, which the
        # package's service creates at boot; nothing is started there.
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    log_path = root / "sshd.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [SSHD, "-D", "-e", "-f", str(config)], stdout=log, stderr=subprocess.STDOUT
        )
    _wait_until_listening(port, process, log_path, "sshd")
    yield SshServer(
        port=port,
        user=getpass.getuser(),
        host_key=_public_key(root / "host_key"),
        other_host_key=_public_key(root / "other_key"),
        client_key_base64=base64.b64encode((root / "client_key").read_bytes()).decode(),
    )
    _terminate(process)


@pytest.fixture(scope="session")
def nix_remote_store(tmp_path_factory):
    """The store the builder's `nix-daemon --stdio` serves: a chroot store in a temp dir, so
    readiness checks reach a real Nix over SSH without touching /nix on this machine."""
    return tmp_path_factory.mktemp("nix-remote")


@pytest.fixture
def e2c_env(ec2, moto, sshd, nix_remote_store):
    """A job's variables: AWS pointed at moto, SSH at the loopback sshd, short waits."""
    return {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ENDPOINT_URL_EC2": moto,
        "CI_JOB_ID": "101",
        "CI_PIPELINE_ID": "55",
        "CI_PROJECT_PATH": PROJECT,
        "E2C_SSH_USER": sshd.user,
        "E2C_SSH_PRIVATE_KEY": sshd.client_key_base64,
        "E2C_SSH_HOST_KEY": sshd.host_key,
        "E2C_SSH_PORT": str(sshd.port),
        # moto reports public IPs nobody answers on; the builder is reached on loopback instead.
        "E2C_SSH_HOST_OVERRIDE": "127.0.0.1",
        "E2C_NIX_STORE_OPTIONS": f"remote-store=local?root={nix_remote_store}",
        "E2C_POLL_INTERVAL": "0.2",
        "E2C_RUNNING_TIMEOUT": "20",
        "E2C_SSH_TIMEOUT": "20",
        "E2C_NIX_TIMEOUT": "30",
        "E2C_STOP_TIMEOUT": "20",
    }
