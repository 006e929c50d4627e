"""E2C settings, read from the environment (the CI/CD variables listed in the README).

Each command reads only what it needs, and every value is checked before anything touches the
cloud, so bad configuration exits 2 with nothing started.
"""

import base64
import binascii
import re
import struct
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from release_tool.errors import UsageError

STRATEGIES = ("existing", "template")
# OpenSSH's host key algorithms (ssh-keygen -t: ed25519, ecdsa, rsa; -sk for security keys).
HOST_KEY_TYPES = (
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "ssh-rsa",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
)
_INSTANCE_ID = re.compile(r"i-[0-9a-f]{8,17}")
_LAUNCH_TEMPLATE_ID = re.compile(r"lt-[0-9a-f]{8,17}")
_NIX_SYSTEM = re.compile(r"[a-z0-9_]+-[a-z]+")


@dataclass(frozen=True)
class Job:
    """The GitLab job this run belongs to: names the state file, the lease and the tags."""

    job_id: str
    pipeline_id: str
    project: str


@dataclass(frozen=True)
class Instance:
    strategy: str
    instance_id: str | None  # existing
    launch_template_id: str | None  # template
    launch_template_version: str
    use_spot: bool
    spot_max_price: str | None
    spot_fallback: bool


@dataclass(frozen=True)
class Ssh:
    user: str
    private_key: bytes
    host_keys: tuple[str, ...]  # "<type> <base64>", one per key
    port: int
    host_override: str | None
    nix_store_options: str  # query string added to the builder's ssh-ng:// URI
    builder_systems: tuple[str, ...]


@dataclass(frozen=True)
class Timeouts:
    running: float  # until the instance runs and has its public IP
    ssh: float
    nix: float
    stop: float
    poll: float


def read_job(env: dict[str, str], *, need_project: bool = True) -> Job:
    job_id = env.get("CI_JOB_ID", "")
    if not job_id.isdigit():
        raise UsageError(
            f"CI_JOB_ID must be the GitLab job id (digits), not {job_id!r}: it names the state file"
        )
    pipeline_id = env.get("CI_PIPELINE_ID", "")
    if pipeline_id and not pipeline_id.isdigit():
        raise UsageError(f"CI_PIPELINE_ID must be digits, not {pipeline_id!r}")
    return Job(job_id, pipeline_id, read_project(env) if need_project else "")


def read_project(env: dict[str, str]) -> str:
    project = env.get("CI_PROJECT_PATH", "")
    if not project:
        raise UsageError("CI_PROJECT_PATH is not set: instances are tagged with the project")
    return project


def read_instance(env: dict[str, str]) -> Instance:
    strategy = env.get("E2C_INSTANCE_STRATEGY") or "template"
    if strategy not in STRATEGIES:
        raise UsageError(f"E2C_INSTANCE_STRATEGY must be existing or template, not {strategy!r}")
    instance_id = env.get("E2C_INSTANCE_ID") or None
    template_id = env.get("E2C_LAUNCH_TEMPLATE_ID") or None
    if strategy == "existing":
        if not instance_id or not _INSTANCE_ID.fullmatch(instance_id):
            raise UsageError(
                "E2C_INSTANCE_STRATEGY=existing needs E2C_INSTANCE_ID (i-0123456789abcdef0), "
                f"not {instance_id!r}"
            )
    elif not template_id or not _LAUNCH_TEMPLATE_ID.fullmatch(template_id):
        raise UsageError(
            "E2C_INSTANCE_STRATEGY=template needs E2C_LAUNCH_TEMPLATE_ID (lt-0123456789abcdef0), "
            f"not {template_id!r}"
        )
    use_spot = read_bool(env, "E2C_USE_SPOT")
    max_price = env.get("E2C_SPOT_MAX_PRICE") or None
    if max_price is not None:
        try:
            valid = Decimal(max_price) > 0
        except InvalidOperation:
            valid = False
        if not valid:
            raise UsageError(f"E2C_SPOT_MAX_PRICE must be a price in USD/hour, not {max_price!r}")
    return Instance(
        strategy=strategy,
        instance_id=instance_id if strategy == "existing" else None,
        launch_template_id=template_id if strategy == "template" else None,
        launch_template_version=env.get("E2C_LAUNCH_TEMPLATE_VERSION") or "$Default",
        use_spot=use_spot,
        spot_max_price=max_price,
        spot_fallback=read_bool(env, "E2C_SPOT_FALLBACK"),
    )


def read_ssh(env: dict[str, str]) -> Ssh:
    user = env.get("E2C_SSH_USER", "")
    if not re.fullmatch(r"[a-z_][a-z0-9_.-]*", user):
        raise UsageError(f"E2C_SSH_USER must be the builder's login name, not {user!r}")
    return Ssh(
        user=user,
        private_key=_private_key(env.get("E2C_SSH_PRIVATE_KEY", "")),
        host_keys=parse_host_keys(env.get("E2C_SSH_HOST_KEY", "")),
        port=_port(env.get("E2C_SSH_PORT") or "22"),
        host_override=env.get("E2C_SSH_HOST_OVERRIDE") or None,
        nix_store_options=_store_options(env.get("E2C_NIX_STORE_OPTIONS", "")),
        builder_systems=_systems(env.get("E2C_BUILDER_SYSTEMS") or "aarch64-linux"),
    )


def read_timeouts(env: dict[str, str]) -> Timeouts:
    return Timeouts(
        running=read_seconds(env, "E2C_RUNNING_TIMEOUT", 300),
        ssh=read_seconds(env, "E2C_SSH_TIMEOUT", 300),
        nix=read_seconds(env, "E2C_NIX_TIMEOUT", 120),
        stop=read_seconds(env, "E2C_STOP_TIMEOUT", 180),
        poll=read_seconds(env, "E2C_POLL_INTERVAL", 5),
    )


def read_bool(env: dict[str, str], name: str) -> bool:
    value = env.get(name, "").strip().lower()
    if value not in ("true", "false", "1", "0", ""):
        raise UsageError(f"{name} must be true or false, not {value!r}")
    return value in ("true", "1")


def read_seconds(env: dict[str, str], name: str, default: float) -> float:
    value = env.get(name) or str(default)
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1
    if not 0 < seconds < 86400:
        raise UsageError(f"{name} must be a number of seconds (0 < s < 86400), not {value!r}")
    return seconds


def parse_host_keys(text: str) -> tuple[str, ...]:
    """`<type> <base64> [comment]` lines; a known_hosts line (host first) is accepted too.

    The key's own wire format names its type, so a truncated or mislabelled paste is refused
    here, not by a failing SSH handshake later.
    """
    keys = []
    for line in text.strip().splitlines():
        fields = line.split()
        if not fields or fields[0].startswith("#"):
            continue
        if fields[0] not in HOST_KEY_TYPES and len(fields) >= 3:
            fields = fields[1:]
        if len(fields) < 2 or fields[0] not in HOST_KEY_TYPES:
            raise UsageError(
                f"E2C_SSH_HOST_KEY line {line[:40]!r} is not '<type> <base64>' with a type of "
                f"{', '.join(HOST_KEY_TYPES[:3])}, ..."
            )
        if _wire_type(fields[1]) != fields[0]:
            raise UsageError(f"E2C_SSH_HOST_KEY: the {fields[0]} key is not valid base64 key data")
        keys.append(f"{fields[0]} {fields[1]}")
    if not keys:
        raise UsageError(
            "E2C_SSH_HOST_KEY is required: the builder's public host key ('ssh-ed25519 AAAA...'); "
            "it is never learned from the network (no ssh-keyscan)"
        )
    return tuple(keys)


def _wire_type(blob: str) -> str | None:
    try:
        data = base64.b64decode(blob, validate=True)
        (length,) = struct.unpack(">I", data[:4])
        return data[4 : 4 + length].decode("ascii")
    except (binascii.Error, struct.error, UnicodeDecodeError):
        return None


def _private_key(encoded: str) -> bytes:
    if not encoded:
        raise UsageError("E2C_SSH_PRIVATE_KEY is not set (the builder's SSH key, base64-encoded)")
    try:
        key = base64.b64decode(encoded.strip(), validate=False)
    except binascii.Error:
        key = b""
    if b"PRIVATE KEY-----" not in key:
        raise UsageError(
            "E2C_SSH_PRIVATE_KEY must be a base64-encoded private key (base64 -w0 < key)"
        )
    return key if key.endswith(b"\n") else key + b"\n"


def _port(value: str) -> int:
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise UsageError(f"E2C_SSH_PORT must be a TCP port, not {value!r}")
    return int(value)


def _store_options(value: str) -> str:
    # Settings of Nix's ssh-ng store (remote-program, remote-store, ...), as a URI query.
    if value and not re.fullmatch(r"[A-Za-z0-9-]+=[^&\s]*(&[A-Za-z0-9-]+=[^&\s]*)*", value):
        raise UsageError(f"E2C_NIX_STORE_OPTIONS must look like name=value&name=value: {value!r}")
    return value


def _systems(value: str) -> tuple[str, ...]:
    systems = tuple(value.replace(",", " ").split())
    for system in systems:
        if not _NIX_SYSTEM.fullmatch(system):
            raise UsageError(f"E2C_BUILDER_SYSTEMS: {system!r} is not a Nix system (aarch64-linux)")
    return systems
