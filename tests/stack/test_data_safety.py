"""The stack touches only its own data: never a cluster, socket or directory that the caller's
environment (PGDATA, PGHOST, PGPORT, DATABASE_URL, REDIS_URL) points at, and never a directory
it did not create itself."""

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from app_client import run_job
from decoy import start_decoy, stop_decoy, tree_digest


@pytest.fixture
def decoy():
    started = start_decoy()
    yield started
    stop_decoy(started)


def test_a_decoy_cluster_in_the_environment_is_left_untouched_by_up_test_and_reset_db(
    make_checkout, decoy
):
    checkout = make_checkout()
    checkout.sync()
    env = {**checkout.env, **decoy.environment()}
    before = decoy.digest()
    own_pgdata = str(checkout.root / ".state" / "postgres")

    # `make up` as a developer runs it (attached; without a terminal the TUI is off).
    attached = subprocess.Popen(
        ["make", "up"], cwd=checkout.root, env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        status = checkout.run(
            "scripts/status", "--wait", "--timeout", "600", check=False, env=env, timeout=620
        )
        assert status.returncode == 0, status.stdout + status.stderr + checkout.logs()
        assert checkout.run("psql", "-Atc", "SHOW data_directory", env=env).stdout.strip() == (
            own_pgdata
        )
        # Django and the worker: a job goes through the stack's own database and broker.
        job = run_job(int(checkout.stack_env()["DJANGO_PORT"]), "through the stack's own")
        assert job["status"] == "completed", job
        assert checkout.psql("SELECT count(*) FROM jobs_job") == "1"
    finally:
        os.killpg(attached.pid, signal.SIGINT)
        attached.wait(timeout=90)
    assert decoy.digest() == before

    # `make test`'s stack steps, as CI runs them.
    tested = checkout.run(
        "scripts/test", "stack: postgres redis mailpit", "stack down", env=env, timeout=400,
        check=False,
    )  # fmt: skip
    assert tested.returncode == 0, tested.stdout[-4000:] + tested.stderr[-2000:]
    assert "2 passed, 0 failed" in tested.stdout
    assert decoy.digest() == before

    reset = checkout.run("scripts/reset-db", "--yes", env=env, timeout=700, check=False)
    assert reset.returncode == 0, reset.stdout + reset.stderr + checkout.logs()
    assert f"removing {own_pgdata}" in reset.stdout
    assert decoy.digest() == before

    # The decoy servers ran all along, with their data as it was.
    assert decoy.postgres.poll() is None and decoy.redis.poll() is None
    assert decoy.psql("SELECT datname FROM pg_database ORDER BY 1").split() == [
        "decoy", "postgres", "template0", "template1",
    ]  # fmt: skip
    assert decoy.psql("SELECT id FROM precious") == "1"
    assert decoy.redis_cli("dbsize") == "1"
    # And the stack's own database was rebuilt: the job is gone, the dev user is back.
    checkout.up("postgres")
    assert checkout.psql("SELECT count(*) FROM jobs_job") == "0"
    assert checkout.psql("SELECT email FROM accounts_user") == "dev@example.com"


def test_a_data_directory_the_stack_did_not_make_is_refused_and_kept(make_checkout):
    checkout = make_checkout()
    # Beside the copy: PostgreSQL's user must be able to reach it (pytest's tmp_path is 0700).
    foreign = checkout.root.parent / "someone-elses-data"
    foreign.mkdir()
    (foreign / "PG_VERSION").write_text("15\n")
    (foreign / "notes.txt").write_text("not the stack's\n")
    before = tree_digest(foreign)
    env = {**checkout.env, "STACK_PGDATA": str(foreign)}

    checkout.run("scripts/up", "--detached", "postgres", env=env)
    status = checkout.run("scripts/status", "--wait", "--timeout", "10", check=False, env=env)
    reset = checkout.run("scripts/reset-db", "--yes", check=False, env=env)

    assert status.returncode == 1
    assert "the dev stack did not make it" in status.stderr  # the log's reason, shown
    assert reset.returncode == 1
    assert "the dev stack did not make it" in reset.stderr
    assert tree_digest(foreign) == before


def test_an_interrupted_init_leaves_only_its_own_temporary_directory(make_checkout):
    checkout = make_checkout()
    stack_env = checkout.stack_env()
    pgdata = Path(stack_env["PGDATA"])
    parent = pgdata.parent
    # Killed during initdb: the fault an init must survive (a crash, a power cut, Ctrl-C).
    init = subprocess.Popen(
        ["scripts/with-env", "scripts/postgres-start"], cwd=checkout.root, env=checkout.env,
        start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while not list(parent.glob(".postgres.stack-tmp.*/data/PG_VERSION")):
        assert time.monotonic() < deadline and init.poll() is None, "initdb did not start"
        time.sleep(0.02)
    os.killpg(init.pid, signal.SIGKILL)
    init.wait(timeout=30)

    leftovers = list(parent.glob(".postgres.stack-tmp.*"))
    assert not pgdata.exists()
    assert len(leftovers) == 1 and (leftovers[0] / ".stack-temporary").is_file()

    checkout.up("postgres")

    assert "removing " + str(leftovers[0]) in checkout.logs()
    assert list(parent.glob(".postgres.stack-tmp.*")) == []
    assert (pgdata / ".stack-init-complete").is_file()
    assert checkout.psql("SELECT current_database()") == stack_env["PGDATABASE"]
