"""deploy/backup: backup, drop the database and the media, restore; every user, job and file is
back. The scripts run as the backup container runs them, with libpq's variables pointing at the
test stack's PostgreSQL; users and jobs are made through gunicorn and a real worker."""

import hashlib
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from topology import DEPLOY_DIR, WebInstance, drop_database, migrated_env

from backend.core.tests.throwaway import free_port
from backend.tests_production.conftest import SECOND_PASSWORD, SUPERUSER_EMAIL
from backend.tests_production.harness import START, request, start, wait_until

SCRIPTS = DEPLOY_DIR / "backup"
EXTRA_USERS = 3
JOBS = 3


def script_env(app_env, backup_dir: Path) -> dict[str, str]:
    return {
        "PATH": os.environ["PATH"],
        "PGHOST": app_env["POSTGRES_HOST"],
        "PGPORT": app_env["POSTGRES_PORT"],
        "PGUSER": app_env["POSTGRES_USER"],
        "PGPASSWORD": app_env["POSTGRES_PASSWORD"],
        "PGDATABASE": app_env["POSTGRES_DB"],
        "BACKUP_DIR": str(backup_dir),
        "MEDIA_DIR": app_env["MEDIA_ROOT"],
    }


def maintenance(command: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603
        [str(SCRIPTS / command), *args], env=env, capture_output=True, text=True,
        timeout=300, check=False, stdin=subprocess.DEVNULL,
    )  # fmt: skip


@dataclass(frozen=True)
class Contents:
    users: int
    jobs: int
    completed_jobs: int
    media: dict[str, str]

    def describe(self) -> str:
        return (
            f"{self.users} users, {self.jobs} jobs ({self.completed_jobs} completed), "
            f"{len(self.media)} media files"
        )


def contents(postgres, dbname: str, media_root: Path) -> Contents:
    def count(sql: str) -> int:
        return postgres.query(dbname, sql)[0][0]

    media = {
        str(path.relative_to(media_root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(media_root.rglob("*"))
        if path.is_file()
    }
    return Contents(
        users=count("SELECT count(*) FROM accounts_user"),
        jobs=count("SELECT count(*) FROM jobs_job"),
        completed_jobs=count("SELECT count(*) FROM jobs_job WHERE status = 'completed'"),
        media=media,
    )


CREATE_USERS = f"""
from django.contrib.auth import get_user_model
for n in range({EXTRA_USERS}):
    get_user_model().objects.create_user(email=f"backup{{n}}@example.com", password="pw")
"""


@pytest.fixture(scope="module")
def filled(base_env, static_root, postgres, production_db_name, tmp_path_factory):
    """A database and media of their own with users and finished jobs (their files in
    MEDIA_ROOT), made through web and a worker, which are stopped again: a restore needs the
    database to itself."""
    dbname = f"{production_db_name}_backup"
    media = str(tmp_path_factory.mktemp("backup-media"))
    app_env = migrated_env(base_env, postgres, dbname, media)
    logs = tmp_path_factory.mktemp("backup-logs")
    web = WebInstance("web-backup", free_port(), app_env, logs)
    worker = start(["worker", "--concurrency", "1"], app_env, logs / "worker.log")
    try:
        web.start()
        done = subprocess.run(  # noqa: S603
            [*START, "manage", "shell", "-c", CREATE_USERS], env=app_env,
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        credentials = {"email": SUPERUSER_EMAIL, "password": SECOND_PASSWORD}
        signed_in = request(web.port, "POST", "/api/v1/auth/login/", json_body=credentials,
                            client_ip="198.51.100.70")  # fmt: skip
        auth = {"Authorization": f"Token {signed_in.json()['key']}"}
        ids = []
        for n in range(JOBS):
            job = {"title": f"backup {n}", "text": f"Rivers run {n}. Rivers bend."}
            created = request(web.port, "POST", "/api/v1/jobs/create/", headers=auth, json_body=job)
            assert created.status == 202, created.text
            ids.append(created.json()["id"])

        def status(job_id):
            return request(web.port, "GET", f"/api/v1/jobs/status/{job_id}/", headers=auth)

        wait_until(lambda: all(status(i).json()["status"] == "completed" for i in ids),
                   timeout=120, what="jobs completed", process=worker)  # fmt: skip
    finally:
        worker.stop()
        worker.kill_leftovers()
        web.close()
    yield app_env
    drop_database(postgres, dbname)


@pytest.fixture(scope="module")
def backups(filled, tmp_path_factory):
    return tmp_path_factory.mktemp("backups")


@pytest.fixture(scope="module")
def env(filled, backups):
    return script_env(filled, backups)


@pytest.fixture(scope="module")
def backed_up(filled, env, postgres):
    """One backup of the filled database, and what it held."""
    before = contents(postgres, filled["POSTGRES_DB"], Path(filled["MEDIA_ROOT"]))
    done = maintenance("backup", env=env)
    assert done.returncode == 0, done.stderr
    name = done.stdout.split(":", 1)[1].split()[0]
    return name, before


def test_backup_restore_brings_back_every_user_job_and_file(
    backed_up, filled, env, postgres, capsys
):
    name, before = backed_up
    assert before.users == 1 + EXTRA_USERS and before.jobs == JOBS
    assert before.completed_jobs == JOBS and len(before.media) >= 3 * JOBS
    listed = maintenance("list-backups", env=env)
    assert listed.returncode == 0 and listed.stdout.split()[0] == name, listed.stdout

    dbname, media_root = filled["POSTGRES_DB"], Path(filled["MEDIA_ROOT"])
    drop_database(postgres, dbname)
    for entry in media_root.iterdir():
        shutil.rmtree(entry) if entry.is_dir() else entry.unlink()

    done = maintenance("restore", name, env=env)
    assert done.returncode == 0, done.stderr
    after = contents(postgres, dbname, media_root)
    with capsys.disabled():
        print(f"\nrestore counts: before {before.describe()}; after {after.describe()}")
    assert after == before
    assert not _databases_like(postgres, f"{dbname}_re%")


def test_an_unknown_backup_name_is_refused(backed_up, env):
    done = maintenance("restore", "20000101T000000Z", env=env)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"restore: no backup named '20000101T000000Z' in {env['BACKUP_DIR']} "
        "(list-backups shows them)"
    ]


def test_a_restore_into_a_database_in_use_is_refused_and_changes_nothing(
    backed_up, filled, env, postgres
):
    name, _ = backed_up
    dbname, media_root = filled["POSTGRES_DB"], Path(filled["MEDIA_ROOT"])
    postgres.query(dbname, "UPDATE accounts_user SET first_name = 'after the backup' RETURNING id")
    (media_root / "after-the-backup.txt").write_text("new\n")
    before = contents(postgres, dbname, media_root)
    with postgres.connect(dbname):
        done = maintenance("restore", name, env=env)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"restore: database {dbname} is in use by 1 session(s): stop web-1, web-2, worker and "
        "beat first; nothing was restored"
    ]
    assert contents(postgres, dbname, media_root) == before
    assert postgres.query(dbname, "SELECT DISTINCT first_name FROM accounts_user") == [
        ("after the backup",)
    ]
    assert not _databases_like(postgres, f"{dbname}_re%")


def test_a_damaged_backup_is_refused_and_changes_nothing(backed_up, filled, env, postgres):
    name, _ = backed_up
    damaged = "20000101T000001Z"
    source, copy = Path(env["BACKUP_DIR"]) / name, Path(env["BACKUP_DIR"]) / damaged
    shutil.copytree(source, copy)
    dump = copy / "database.dump"
    dump.write_bytes(dump.read_bytes()[: dump.stat().st_size // 2])
    dbname, media_root = filled["POSTGRES_DB"], Path(filled["MEDIA_ROOT"])
    before = contents(postgres, dbname, media_root)
    done = maintenance("restore", damaged, env=env)
    assert done.returncode == 1
    assert "nothing was restored" in done.stderr.strip().splitlines()[-1], done.stderr
    assert contents(postgres, dbname, media_root) == before
    assert not _databases_like(postgres, f"{dbname}_re%")


def test_a_backup_while_the_database_is_unreachable_writes_nothing(env, tmp_path):
    unreachable = dict(env, PGHOST="127.0.0.1", PGPORT=str(free_port()), BACKUP_DIR=str(tmp_path))
    done = maintenance("backup", env=unreachable)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1].startswith("backup: pg_dump of database")
    assert list(tmp_path.iterdir()) == []


def _databases_like(postgres, pattern: str) -> list:
    return postgres.query("postgres", "SELECT datname FROM pg_database WHERE datname LIKE %s",
                          (pattern,))  # fmt: skip
