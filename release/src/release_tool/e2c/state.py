"""The job's state file, `.e2c_instance_state_<CI_JOB_ID>`: KEY=VALUE lines a shell can source.

Written as soon as an instance is started or created, before any wait, so the after_script's
teardown finds it even when setup failed or timed out. Replaced atomically (write, then rename).
"""

import os
import shlex
import shutil
import tempfile
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from release_tool.errors import ReleaseError

PREFIX = ".e2c_instance_state_"
SSH_DIR_PREFIX = ".e2c_ssh_"


@dataclass
class State:
    # These three keys first, under the names CI scripts written for the Docker template read
    # (TARGET_INSTANCE_ID, E2C_PUBLIC_IP, E2C_INSTANCE_STRATEGY).
    TARGET_INSTANCE_ID: str
    E2C_INSTANCE_STRATEGY: str
    E2C_PUBLIC_IP: str = ""
    E2C_REGION: str = ""
    # existing: the tag that leases the instance to this job.
    E2C_LEASE_TAG: str = ""
    # Set once the address is known: `NIX_SSHOPTS="-F $E2C_SSH_CONFIG"` and
    # `--builders "$E2C_BUILDER"` reach the builder with its pinned host key.
    E2C_SSH_CONFIG: str = ""
    E2C_NIX_STORE: str = ""
    E2C_BUILDER: str = ""


def state_path(state_dir: Path, job_id: str) -> Path:
    return state_dir / f"{PREFIX}{job_id}"


def ssh_dir(state_dir: Path, job_id: str) -> Path:
    return state_dir / f"{SSH_DIR_PREFIX}{job_id}"


def write(path: Path, state: State) -> None:
    text = "".join(f"{key}={shlex.quote(value)}\n" for key, value in asdict(state).items())
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".")
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)
    os.replace(temporary, path)


def read(path: Path) -> State:
    known = {field.name for field in fields(State)}
    values = {}
    try:
        lines = path.read_text().splitlines()
    except OSError as error:
        raise ReleaseError(f"cannot read the state file {path}: {error.strerror}") from error
    for line in lines:
        key, _, value = line.partition("=")
        if key in known:
            values[key] = shlex.split(value)[0] if value else ""
    if not values.get("TARGET_INSTANCE_ID") or not values.get("E2C_INSTANCE_STRATEGY"):
        raise ReleaseError(f"the state file {path} names no instance or strategy")
    return State(**values)


def remove(state_dir: Path, job_id: str) -> None:
    """Remove what setup wrote for this job (state file, SSH files), and nothing else."""
    shutil.rmtree(ssh_dir(state_dir, job_id), ignore_errors=True)
    state_path(state_dir, job_id).unlink(missing_ok=True)
