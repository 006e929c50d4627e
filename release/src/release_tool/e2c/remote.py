"""Reaching the builder: SSH files pinned to its known host key, and the readiness waits.

The host key comes from E2C_SSH_HOST_KEY only: trusting whatever key answers first
(ssh-keyscan) would hand the build, and the registry credentials it pushes with, to anyone on
the path. Nix reaches the builder through the same files: `NIX_SSHOPTS=-F <config>` (read by
Nix's SSH stores) and the host alias in `ssh-ng://<alias>`.
"""

import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from release_tool.e2c.config import Ssh
from release_tool.errors import ReleaseError

ALIAS = "e2c-builder"
# Each attempt is bounded twice: ssh's own connect timeout, and a hard limit on the process.
CONNECT_TIMEOUT_SECONDS = 10
ATTEMPT_TIMEOUT_SECONDS = 60
_HOST_KEY_MISMATCH = ("Host key verification failed", "REMOTE HOST IDENTIFICATION HAS CHANGED")


@dataclass(frozen=True)
class Builder:
    ssh_config: Path
    store_uri: str  # ssh-ng://e2c-builder[?options]
    builders_line: str  # one entry of Nix's `builders` setting


def write_ssh_files(directory: Path, *, host: str, ssh: Ssh) -> Builder:
    directory.mkdir(mode=0o700, exist_ok=True)
    key = directory / "key"
    key.touch(mode=0o600)
    key.write_bytes(ssh.private_key)
    known_hosts = directory / "known_hosts"
    name = host if ssh.port == 22 else f"[{host}]:{ssh.port}"
    known_hosts.write_text("".join(f"{name} {host_key}\n" for host_key in ssh.host_keys))
    config = directory / "config"
    config.write_text(
        f"Host {ALIAS}\n"
        f"  HostName {host}\n"
        f"  Port {ssh.port}\n"
        f"  User {ssh.user}\n"
        f"  IdentityFile {key.resolve()}\n"
        "  IdentitiesOnly yes\n"
        f"  UserKnownHostsFile {known_hosts.resolve()}\n"
        "  GlobalKnownHostsFile /dev/null\n"
        "  StrictHostKeyChecking yes\n"
        "  BatchMode yes\n"
        f"  ConnectTimeout {CONNECT_TIMEOUT_SECONDS}\n"
        "  ServerAliveInterval 15\n"
        "  ServerAliveCountMax 4\n"
    )
    store_uri = f"ssh-ng://{ALIAS}" + (f"?{ssh.nix_store_options}" if ssh.nix_store_options else "")
    # builders format: URI, systems, key file ("-": the ssh config's), max jobs, speed factor.
    builders_line = f"{store_uri} {','.join(ssh.builder_systems)} - 4 1"
    return Builder(config.resolve(), store_uri, builders_line)


def wait_for_ssh(builder: Builder, *, address: str, timeout: float, poll: float) -> None:
    _retry(
        ["ssh", "-F", str(builder.ssh_config), ALIAS, "true"],
        env=dict(os.environ),
        what=f"SSH on {address}",
        timeout=timeout,
        poll=poll,
    )


def wait_for_nix(builder: Builder, *, address: str, timeout: float, poll: float) -> None:
    # `nix store ping` is the name in every Nix since 2.4; 2.19 renamed it `store info` and kept
    # this one as an alias (NixOS/nix src/nix/store.cc).
    command = [
        "nix",
        "--extra-experimental-features",
        "nix-command",
        "store",
        "ping",
        "--store",
        builder.store_uri,
    ]
    env = {**os.environ, "NIX_SSHOPTS": f"-F {builder.ssh_config}"}
    _retry(
        command, env=env, what=f"Nix on {address} ({builder.store_uri})", timeout=timeout, poll=poll
    )


def _retry(command: list[str], *, env: dict, what: str, timeout: float, poll: float) -> None:
    if shutil.which(command[0]) is None:
        raise ReleaseError(f"{command[0]} not found on PATH (needed to wait for {what})")
    deadline = time.monotonic() + timeout
    last = "no attempt finished"
    while True:
        remaining = deadline - time.monotonic()
        try:
            result = subprocess.run(
                command,
                capture_output=True,
                text=True,
                env=env,
                stdin=subprocess.DEVNULL,
                timeout=max(1.0, min(ATTEMPT_TIMEOUT_SECONDS, remaining)),
                check=False,
            )
            if result.returncode == 0:
                return
            last = _last_line(result.stderr) or f"exit code {result.returncode}"
            if any(marker in result.stderr for marker in _HOST_KEY_MISMATCH):
                raise ReleaseError(
                    f"{what}: the host key does not match E2C_SSH_HOST_KEY; refusing to connect "
                    f"({last})"
                )
        except subprocess.TimeoutExpired:
            last = "the attempt itself timed out"
        if time.monotonic() >= deadline:
            raise ReleaseError(f"timed out after {timeout:g} s waiting for {what}: {last}")
        time.sleep(min(poll, max(0.0, deadline - time.monotonic())))


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    # Nix prints the ssh error above its own summary; both help, the last is the summary.
    return lines[-1] if lines else ""
