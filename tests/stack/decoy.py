"""A PostgreSQL cluster and a Redis server that belong to someone else (a Homebrew or system
install, say) and that the caller's environment points at: the stack must never touch them."""

import hashlib
import os
import pwd
import shutil
import signal
import stat
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

DECOY_PORT = "5433"  # names the socket file only: both servers listen on unix sockets alone


def _as_cluster_owner() -> list[str]:
    """PostgreSQL refuses to run as root: as root, run it as `postgres` (as the stack does)."""
    if os.getuid() != 0:
        return []
    user = pwd.getpwnam("postgres")
    return ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--init-groups", "--"]


def _pg_bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    assert candidates, f"{name} not found"
    return str(candidates[-1])


def tree_digest(root: Path) -> str:
    """Every path under root with its type, mode and (for files) content."""
    digest = hashlib.sha256()
    for path in sorted([root, *root.rglob("*")]):
        info = path.lstat()
        digest.update(f"{path.relative_to(root)}\0{stat.filemode(info.st_mode)}\0".encode())
        if stat.S_ISREG(info.st_mode):
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        elif stat.S_ISLNK(info.st_mode):
            digest.update(os.readlink(path).encode())
    return digest.hexdigest()


@dataclass
class Decoy:
    root: Path
    pgdata: Path
    socket_dir: Path
    redis_socket: Path
    postgres: subprocess.Popen
    redis: subprocess.Popen

    def environment(self) -> dict[str, str]:
        """What a shell set up for these servers exports."""
        return {
            "PGDATA": str(self.pgdata),
            "PGHOST": str(self.socket_dir),
            "PGPORT": DECOY_PORT,
            "PGUSER": "decoy",
            "PGDATABASE": "decoy",
            "DATABASE_URL": f"postgres://decoy@/decoy?host={self.socket_dir}&port={DECOY_PORT}",
            "REDIS_URL": f"unix://{self.redis_socket}?db=0",
        }

    def psql(self, sql: str) -> str:
        return subprocess.run(
            [_pg_bin("psql"), "-X", "-A", "-t", "-h", str(self.socket_dir), "-p", DECOY_PORT,
             "-U", "decoy", "-d", "decoy", "-v", "ON_ERROR_STOP=1", "-c", sql],
            capture_output=True, text=True, check=True, timeout=30,
        ).stdout.strip()  # fmt: skip

    def redis_cli(self, *args: str) -> str:
        return subprocess.run(
            ["redis-cli", "-s", str(self.redis_socket), *args],
            capture_output=True, text=True, check=True, timeout=30,
        ).stdout.strip()  # fmt: skip

    def digest(self) -> str:
        return tree_digest(self.root)


def start_decoy() -> Decoy:
    root = Path(tempfile.mkdtemp(prefix="stack-decoy-"))
    root.chmod(0o755)
    pgdata, socket_dir, redis_dir = root / "pgdata", root / "socket", root / "redis"
    for directory in (pgdata, socket_dir, redis_dir):
        directory.mkdir()
    pgdata.chmod(0o700)
    owner = _as_cluster_owner()
    if owner:
        for directory in (pgdata, socket_dir):
            shutil.chown(directory, "postgres", "postgres")
    subprocess.run(
        [*owner, _pg_bin("initdb"), f"--pgdata={pgdata}", "--username=decoy", "--auth=trust",
         "--encoding=UTF8", "--no-locale", "--no-instructions"],
        check=True, capture_output=True, timeout=120, cwd=root,
    )  # fmt: skip
    # Nothing of its own to write while nobody talks to it, so its files stay as they are.
    postgres = subprocess.Popen(
        [*owner, _pg_bin("postgres"), "-D", str(pgdata), "-k", str(socket_dir), "-p", DECOY_PORT,
         "-c", "listen_addresses=", "-c", "autovacuum=off", "-c", "checkpoint_timeout=1d",
         # No WAL of its own while idle: at wal_level replica the background writer logs a
         # snapshot of running transactions every 15 s, which would change the digest.
         "-c", "wal_level=minimal", "-c", "max_wal_senders=0"],
        cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    redis_socket = redis_dir / "redis.sock"
    redis = subprocess.Popen(
        ["redis-server", "--port", "0", "--unixsocket", str(redis_socket), "--save", "",
         "--appendonly", "no", "--dir", str(redis_dir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    decoy = Decoy(root, pgdata, socket_dir, redis_socket, postgres, redis)
    deadline = time.monotonic() + 60
    while True:
        ready = subprocess.run(
            [_pg_bin("pg_isready"), "-q", "-h", str(socket_dir), "-p", DECOY_PORT], timeout=30
        )
        if ready.returncode == 0 and redis_socket.exists():
            break
        assert time.monotonic() < deadline, "the decoy servers did not start"
        time.sleep(0.2)
    subprocess.run(
        [_pg_bin("createdb"), "-h", str(socket_dir), "-p", DECOY_PORT, "-U", "decoy", "decoy"],
        check=True, timeout=60,
    )  # fmt: skip
    decoy.psql("CREATE TABLE precious (id int); INSERT INTO precious VALUES (1); CHECKPOINT")
    decoy.redis_cli("set", "precious", "1")
    return decoy


def stop_decoy(decoy: Decoy) -> None:
    for server in (decoy.postgres, decoy.redis):
        if server.poll() is None:
            server.send_signal(signal.SIGINT if server is decoy.postgres else signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    shutil.rmtree(decoy.root, ignore_errors=True)
