"""deploy/deploy against a real SSH server: Debian's sshd on a loopback port, keys made for the
test, root's login limited to that key. The container engine on the far side is a stand-in
(engine_standin.py, installed as `docker`) that records each command with the files it saw:
Docker cannot run here, and Podman's compose cannot run this stack without a registry for the
postgres, redis and caddy images (see the README's note on the tests)."""

import json
import os
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from topology import DEPLOY_DIR, stop_process

from backend.core.tests.throwaway import free_port
from backend.tests_production.harness import REPO_DIR, wait_until

SSHD = "/usr/sbin/sshd"
STANDIN = Path(__file__).with_name("engine_standin.py")
PROJECT = "webapp-deploy-test"
TIMEOUT = 120
ENV = {
    "APP_IMAGE": "registry.example.com/group/project-django",
    "APP_TAG": "1.2.3",
    "DOMAIN": "app.example.com",
    "ACME_EMAIL": "ops@example.com",
    "DJANGO_SECRET_KEY": "a-secret-for-the-test",
    "POSTGRES_PASSWORD": "a-password-for-the-test",
}


@dataclass
class Host:
    alias: str
    ssh_config: Path
    home: Path
    record: Path

    def commands(self) -> list[dict]:
        if not self.record.exists():
            return []
        return [json.loads(line) for line in self.record.read_text().splitlines()]


def _keygen(path: Path, kind: str = "ed25519") -> None:
    subprocess.run(  # noqa: S603
        ["ssh-keygen", "-q", "-t", kind, "-N", "", "-f", str(path)],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip


@pytest.fixture
def host(tmp_path):
    """sshd on 127.0.0.1 with the stand-in engine first on the session's PATH and a home of its
    own (the deploy's ~ is `cd`ed into by the remote commands)."""
    for tool in (SSHD, "ssh", "ssh-keygen"):
        assert shutil.which(tool), (
            f"{tool} is missing: apt-get install openssh-server openssh-client"
        )
    work = tmp_path / "sshd"
    bin_dir, home = work / "bin", work / "home"
    for directory in (work, bin_dir, home):
        directory.mkdir(parents=True)
    _keygen(work / "host_key")
    _keygen(work / "client_key")
    (work / "authorized_keys").write_text((work / "client_key.pub").read_text())
    record = work / "engine.jsonl"
    docker = bin_dir / "docker"
    # Quoted: the checkout's path may hold spaces (CI clones anywhere).
    docker.write_text(
        f'#!/bin/sh\nexec {shlex.quote(sys.executable)} {shlex.quote(str(STANDIN))} "$@"\n'
    )
    docker.chmod(0o755)
    port = free_port()
    user = os.environ.get("USER") or "root"
    path = f"{bin_dir}:/usr/local/bin:/usr/bin:/bin"
    (work / "sshd_config").write_text(
        f"ListenAddress 127.0.0.1:{port}\n"
        f"HostKey {work / 'host_key'}\n"
        f"PidFile {work / 'sshd.pid'}\n"
        f"AuthorizedKeysFile {work / 'authorized_keys'}\n"
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n"
        "PermitRootLogin prohibit-password\nStrictModes no\n"
        # The far side's session: the stand-in first on PATH, a HOME to deploy into.
        f"SetEnv PATH={path} HOME={home} ENGINE_RECORD={record}\n"
    )
    # Debian's sshd wants its privilege separation directory, which its service unit makes.
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    log = work / "sshd.log"
    with log.open("wb") as out:
        sshd = subprocess.Popen(  # noqa: S603
            [SSHD, "-D", "-e", "-f", str(work / "sshd_config")],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
    host_key = (work / "host_key.pub").read_text().split()
    (work / "known_hosts").write_text(f"[127.0.0.1]:{port} {host_key[0]} {host_key[1]}\n")
    ssh_config = work / "ssh_config"
    ssh_config.write_text(
        "Host far-side\n"
        f"  HostName 127.0.0.1\n  Port {port}\n  User {user}\n"
        f"  IdentityFile {work / 'client_key'}\n  IdentitiesOnly yes\n"
        f"  UserKnownHostsFile {work / 'known_hosts'}\n  StrictHostKeyChecking yes\n"
    )
    target = Host("far-side", ssh_config, home, record)

    def answers():
        if sshd.poll() is not None:
            raise AssertionError(f"sshd exited ({sshd.returncode}):\n{log.read_text()}")
        done = subprocess.run(  # noqa: S603
            ["ssh", "-F", str(ssh_config), "-o", "BatchMode=yes", "far-side", "true"],
            capture_output=True, timeout=30, check=False,
        )  # fmt: skip
        return done.returncode == 0

    try:
        wait_until(answers, timeout=30, what="sshd accepts the test key")
        yield target
    finally:
        stop_process(sshd)


@pytest.fixture
def checkout(tmp_path):
    """deploy/ and pyproject.toml in a directory of their own, with a filled-in env file: the
    project's name there is the test's, so nothing of a real deployment's is touched."""
    root = tmp_path / "checkout"
    shutil.copytree(DEPLOY_DIR, root / "deploy", ignore=shutil.ignore_patterns(".env"))
    pyproject = (REPO_DIR / "pyproject.toml").read_text()
    (root / "pyproject.toml").write_text(
        pyproject.replace('[project]\nname = "', f'[project]\nname = "{PROJECT}"\n# "', 1)
    )
    (root / "deploy/.env").write_text("".join(f"{k}={v}\n" for k, v in ENV.items()))
    return root


def deploy(checkout: Path, host: Host, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603
        [str(checkout / "deploy/deploy"), "-F", str(host.ssh_config), *args],
        capture_output=True, text=True, timeout=TIMEOUT, check=False, stdin=subprocess.DEVNULL,
        env={"PATH": os.environ["PATH"], "HOME": str(checkout)},
    )  # fmt: skip


def compose_calls(host: Host) -> list[list[str]]:
    """The compose subcommands the engine was asked for, without the `compose -p NAME` prefix."""
    calls = []
    for command in host.commands():
        args = command["args"]
        if args[:3] == ["compose", "--project-name", PROJECT]:
            calls.append(args[3:])
    return calls


def test_deploy_copies_pulls_migrates_once_then_replaces_one_at_a_time(checkout, host):
    done = deploy(checkout, host, "--tag", "1.2.4", "far-side")
    assert done.returncode == 0, done.stdout + done.stderr
    project_dir = host.home / PROJECT

    # Copied before the engine was first asked for anything of the project, the tag replaced.
    for name in ("compose.yaml", "Caddyfile", "backup/restore", "backup/backup"):
        assert (project_dir / name).read_bytes() == (checkout / "deploy" / name).read_bytes()
    assert (project_dir / "backup/restore").stat().st_mode & 0o111
    deployed_env = (project_dir / ".env").read_text()
    assert "APP_TAG=1.2.4\n" in deployed_env and "APP_TAG=1.2.3" not in deployed_env
    assert (project_dir / ".env").stat().st_mode & 0o077 == 0
    project_commands = [
        c for c in host.commands() if c["args"][:1] == ["compose"] and c["args"][1:2] != ["version"]
    ]
    assert project_commands, host.commands()
    assert all(
        c["cwd"] == str(project_dir) and c["saw_env_tag"] == "1.2.4" for c in project_commands
    )

    calls = [call for call in compose_calls(host) if call[:1] != ["exec"]]
    assert calls == [
        ["pull", "web-1", "web-2", "worker", "beat"],
        ["run", "--rm", "web-1", "setup"],
        ["up", "-d", "--no-deps", "web-1"],
        ["up", "-d", "--no-deps", "web-2"],
        ["up", "-d", "--no-deps", "worker"],
        ["up", "-d", "--remove-orphans"],
    ]
    # Each replaced container was waited for (its health check) before the next was replaced.
    sequence = [call[:4] if call[0] == "up" else call[:1] for call in compose_calls(host)]
    for service, kind in (("web-1", "web"), ("web-2", "web"), ("worker", "worker")):
        replaced = sequence.index(["up", "-d", "--no-deps", service])
        assert compose_calls(host)[replaced + 1] == [
            "exec",
            "-T",
            service,
            "app-start",
            "healthcheck",
            kind,
        ]
    assert done.stdout.strip().splitlines()[-1] == "deployed 1.2.4 to far-side"


def test_a_container_that_never_gets_healthy_stops_the_rollout(checkout, host, monkeypatch):
    (host.home / "unhealthy").write_text("web-2\n")
    done = subprocess.run(  # noqa: S603
        [str(checkout / "deploy/deploy"), "-F", str(host.ssh_config), "far-side"],
        capture_output=True, text=True, timeout=TIMEOUT + 400, check=False,
        stdin=subprocess.DEVNULL,
        env={"PATH": os.environ["PATH"], "HOME": str(checkout), "DEPLOY_HEALTHY_TIMEOUT": "6"},
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        "deploy: web-2 did not become healthy within 6s; the other containers still run the "
        "previous release"
    )
    assert ["up", "-d", "--no-deps", "worker"] not in compose_calls(host)


def test_a_missing_secret_fails_before_the_host_is_touched(checkout, host):
    env_file = checkout / "deploy/.env"
    env_file.write_text(
        env_file.read_text().replace("DJANGO_SECRET_KEY=a-secret-for-the-test\n", "")
    )
    done = deploy(checkout, host, "far-side")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"deploy: DJANGO_SECRET_KEY is not set in {env_file} (deploy/env.example says what it is)"
    ]
    assert host.commands() == []
    assert not (host.home / PROJECT).exists()


def test_an_unreachable_host_is_named(checkout, tmp_path):
    config = tmp_path / "ssh_config"
    config.write_text(f"Host nowhere\n  HostName 127.0.0.1\n  Port {free_port()}\n")
    done = subprocess.run(  # noqa: S603
        [str(checkout / "deploy/deploy"), "-F", str(config), "nowhere"],
        capture_output=True, text=True, timeout=TIMEOUT, check=False, stdin=subprocess.DEVNULL,
        env={"PATH": os.environ["PATH"], "HOME": str(tmp_path)},
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == "deploy: cannot reach nowhere over ssh (above)"
