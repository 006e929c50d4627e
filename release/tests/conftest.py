"""Real registries (distribution's registry), real OCI images (umoci, skopeo), real git repos."""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
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
    "RELEASE_INSECURE_REGISTRIES",
    "REGISTRY_AUTH_FILE",
    "DOCKER_CONFIG",
)


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


@pytest.fixture
def run_release(home):
    def run(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None):
        environment = {k: v for k, v in os.environ.items() if k not in CLEARED_ENV}
        environment.update(HOME=str(home), XDG_RUNTIME_DIR=str(home))
        environment.update(env or {})
        return subprocess.run(
            [sys.executable, "-m", "release_tool.cli", *args],
            capture_output=True,
            text=True,
            env=environment,
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
