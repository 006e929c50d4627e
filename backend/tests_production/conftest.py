"""The image's start sequence, run here without Nix.

The start program runs as a subprocess with the production settings, against a PostgreSQL
database of its own on the test stack's server, with the built frontend collected into a static
root the way nix/static.nix does it. The connection comes from the test settings (so from
DATABASE_URL / PG* of whichever stack runs the tests), never from a fixed path.
"""

import getpass
import hashlib
import json
import os
import secrets
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
import redis
from django.conf import settings

from backend.core.tests.throwaway import free_port
from backend.tests_production.harness import (
    REPO_DIR,
    Started,
    redis_url_with_db,
    request,
    responds,
    run,
    start,
    wait_until,
)

# Under pytest-xdist each worker (gw0, gw1, ...) has a production database and a Redis database
# of its own on the shared servers (tests/deploy has 6).
XDIST_WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))
REDIS_DB = 5 if XDIST_WORKER == 0 else 6 + XDIST_WORKER
assert REDIS_DB < 16, "Redis has 16 databases: run at most 10 pytest-xdist workers"
AUTH_THROTTLE_RATE = 5  # per minute: low enough to reach in a test
ALLOWED_ORIGIN = "https://app.example.com"
FIRST_PASSWORD = "first superuser pass 1"
SECOND_PASSWORD = "second superuser pass 2"
SUPERUSER_EMAIL = "admin@example.com"
FRONTEND_BUILD_TIMEOUT = 600


@dataclass
class Postgres:
    host: str
    port: str
    user: str
    password: str

    def connect(self, dbname: str):
        return psycopg.connect(
            host=self.host, port=self.port, user=self.user, password=self.password,
            dbname=dbname, autocommit=True, connect_timeout=10,
        )  # fmt: skip

    def query(self, dbname: str, sql: str, params=()) -> list[tuple]:
        with self.connect(dbname) as connection:
            return connection.execute(sql, params).fetchall()


@pytest.fixture(scope="session")
def postgres() -> Postgres:
    """The test stack's PostgreSQL server, as the test settings reach it."""
    db = settings.DATABASES["default"]
    options = db.get("OPTIONS") or {}
    return Postgres(
        host=str(options.get("host") or db.get("HOST") or os.environ.get("PGHOST", "localhost")),
        port=str(options.get("port") or db.get("PORT") or os.environ.get("PGPORT", "5432")),
        user=db.get("USER") or os.environ.get("PGUSER") or getpass.getuser(),
        password=db.get("PASSWORD") or os.environ.get("PGPASSWORD", ""),
    )


@pytest.fixture(scope="session")
def production_db_name() -> str:
    return f"{settings.APP_NAME}_prod" + (f"_{XDIST_WORKER}" if XDIST_WORKER else "")


def _drop_database(postgres: Postgres, name: str) -> None:
    with postgres.connect("postgres") as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def frontend_dist() -> Path:
    """The Vite build; built here when missing (`npm ci` only when node_modules is missing)."""
    dist = Path(settings.FRONTEND_DIST_DIR)
    if not (dist / "manifest.json").is_file():
        frontend = REPO_DIR / "frontend"
        steps = [["npm", "--prefix", str(frontend), "run", "build"]]
        if not (frontend / "node_modules").is_dir():
            steps.insert(0, ["npm", "--prefix", str(frontend), "ci"])
        for step in steps:
            done = subprocess.run(  # noqa: S603
                step, capture_output=True, text=True, timeout=FRONTEND_BUILD_TIMEOUT, check=False
            )
            assert done.returncode == 0, f"{' '.join(step)} failed:\n{done.stdout}{done.stderr}"
    assert (dist / "manifest.json").is_file(), f"no Vite manifest in {dist}"
    return dist


def tree_digest(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


@dataclass
class StaticRoot:
    path: Path
    digest_before: dict[str, str]


# Variables the image's environment sets itself; the developer's values must not leak in.
IMAGE_SETS = ("DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL", "STATIC_ROOT", "MEDIA_ROOT", "PORT")


@pytest.fixture(scope="session")
def base_env(postgres, production_db_name, tmp_path_factory) -> dict[str, str]:
    """What the image's environment would hold; each test takes a copy."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "POSTGRES_", "FLOWER_", "GUNICORN_"))
        and name
        not in (
            "DATABASE_URL",
            "CELERY_BROKER_URL",
            "REDIS_URL",
            "STATIC_ROOT",
            "MEDIA_ROOT",
            "PORT",
        )
    }
    env.update(
        DJANGO_SETTINGS_MODULE="backend.config.settings.production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_CORS_ALLOWED_ORIGINS=ALLOWED_ORIGIN,
        DJANGO_AUTH_THROTTLE_RATE=f"{AUTH_THROTTLE_RATE}/minute",
        POSTGRES_HOST=postgres.host,
        POSTGRES_PORT=postgres.port,
        POSTGRES_USER=postgres.user,
        POSTGRES_PASSWORD=postgres.password,
        POSTGRES_DB=production_db_name,
        REDIS_URL=redis_url_with_db(settings.REDIS_URL, REDIS_DB),
        STATIC_ROOT=str(tmp_path_factory.mktemp("static-root")),
        MEDIA_ROOT=str(tmp_path_factory.mktemp("media-root")),
        GUNICORN_WORKERS="2",
        DB_WAIT_TIMEOUT="60",
        PYTHONUNBUFFERED="1",
    )
    redis.Redis.from_url(env["REDIS_URL"]).flushdb()
    return env


@pytest.fixture(scope="session")
def static_root(base_env, frontend_dist) -> StaticRoot:
    """collectstatic with the production settings, as nix/static.nix runs it at build time."""
    done = run(["manage", "collectstatic", "--noinput", "--verbosity", "0"], base_env)
    assert done.returncode == 0, done.stdout + done.stderr
    path = Path(base_env["STATIC_ROOT"])
    assert (path / "manifest.json").is_file()
    return StaticRoot(path=path, digest_before=tree_digest(path))


def login(port: int, password: str, client_ip: str):
    return request(
        port, "POST", "/api/v1/auth/login/",
        json_body={"email": SUPERUSER_EMAIL, "password": password}, client_ip=client_ip,
    )  # fmt: skip


@dataclass
class Deployment:
    """Two starts of `web` on one database, with what was seen in between."""

    env: dict[str, str]
    first: Started
    second: Started
    port: int
    first_cmdline: list[str]
    flags_after_first: list[str]
    flags_after_second: list[str] = field(default_factory=list)
    site_after_second: tuple = ()
    first_password_login_status: int = 0
    first_password_login_status_later: int = 0


@pytest.fixture(scope="session")
def deployment(base_env, static_root, postgres, production_db_name, tmp_path_factory):
    """Start 1 finds no database, waits, migrates, loads fixtures and creates the superuser.
    Start 2 (new superuser password) runs on the migrated database and stays up for the tests.
    """
    logs = tmp_path_factory.mktemp("start-logs")
    _drop_database(postgres, production_db_name)
    started: list[Started] = []
    try:
        env = dict(base_env, DJANGO_SUPERUSER_EMAIL=SUPERUSER_EMAIL,
                   DJANGO_SUPERUSER_PASSWORD=FIRST_PASSWORD, PORT=str(free_port()))  # fmt: skip
        first = start(["web"], env, logs / "first.log")
        started.append(first)
        first.wait_for_output("waiting for PostgreSQL", timeout=60)
        with postgres.connect("postgres") as connection:
            connection.execute(
                f"CREATE DATABASE \"{production_db_name}\" ENCODING 'UTF8' TEMPLATE template0"
            )
        port = int(env["PORT"])
        wait_until(responds(port, "/readyz"), timeout=180, what="first start: /readyz",
                   process=first)  # fmt: skip
        first_cmdline = first.cmdline()
        first_login = login(port, FIRST_PASSWORD, "198.51.100.1").status
        flags_after_first = _setup_flags(postgres, production_db_name)
        # What an admin might do between restarts: a fixture loaded once must not undo it.
        postgres.query(
            production_db_name,
            "UPDATE django_site SET name = 'edited by an admin' WHERE id = 1 RETURNING id",
        )
        first.stop()

        env = dict(env, DJANGO_SUPERUSER_PASSWORD=SECOND_PASSWORD, PORT=str(free_port()))
        port = int(env["PORT"])
        second = start(["web"], env, logs / "second.log")
        started.append(second)
        wait_until(responds(port, "/readyz"), timeout=120, what="second start: /readyz",
                   process=second)  # fmt: skip
        deployment = Deployment(
            env=env,
            first=first,
            second=second,
            port=port,
            first_cmdline=first_cmdline,
            flags_after_first=flags_after_first,
            flags_after_second=_setup_flags(postgres, production_db_name),
            site_after_second=postgres.query(
                production_db_name, "SELECT domain, name FROM django_site WHERE id = 1"
            )[0],
            first_password_login_status=first_login,
            first_password_login_status_later=login(port, FIRST_PASSWORD, "198.51.100.2").status,
        )
        yield deployment
    finally:
        for process in started:
            process.stop()
            process.kill_leftovers()
        _drop_database(postgres, production_db_name)


def _setup_flags(postgres: Postgres, dbname: str) -> list[str]:
    rows = postgres.query(dbname, "SELECT name FROM core_setupflag ORDER BY name")
    return [name for (name,) in rows]


@pytest.fixture(scope="session")
def manifest(frontend_dist) -> dict:
    return json.loads((frontend_dist / "manifest.json").read_text())
