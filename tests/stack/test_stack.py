"""The dev stack's known traps, each reproduced with real processes in a copy of the checkout.

Each test starts only what it needs (postgres, redis; mailpit where a TCP service matters) and
is bounded by the timeouts of the scripts it calls.
"""

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

from checkout import Checkout


def initialised(checkout: Checkout) -> bool:
    """Whether postgres-start initialised a cluster in its latest run (the log is per run)."""
    log = checkout.root / ".state" / "logs" / "postgres.log"
    return "initialising PostgreSQL" in log.read_text()


def shut_down_cleanly(checkout: Checkout) -> bool:
    """PostgreSQL logs this last only after an orderly (not a killed) shutdown."""
    log = checkout.root / ".state" / "logs" / "postgres.log"
    return "database system is shut down" in log.read_text()


def test_postgres_is_initialised_on_first_start_only(make_checkout):
    checkout = make_checkout()
    checkout.up("postgres", "redis")
    assert initialised(checkout)
    marker = Path(checkout.stack_env()["PGDATA"]) / ".stack-init-complete"
    first_init = marker.read_text()
    checkout.psql("CREATE TABLE kept (id int); INSERT INTO kept VALUES (42)")
    assert checkout.redis("ping") == "PONG"
    checkout.down()

    checkout.up("postgres", "redis")

    assert not initialised(checkout), checkout.logs()
    assert marker.read_text() == first_init
    assert checkout.psql("SELECT id FROM kept") == "42"


def test_stale_postmaster_pid_whose_pid_was_reused_does_not_block_the_start(make_checkout):
    checkout = make_checkout()
    checkout.up("postgres")
    checkout.down()
    pgdata = checkout.stack_env()["PGDATA"]
    pid_file = os.path.join(pgdata, "postmaster.pid")
    # After a crash and a reboot (or in a container) the PID in the leftover file often
    # belongs to some other live process: PostgreSQL alone would refuse to start.
    unrelated = subprocess.Popen(["sleep", "120"])
    try:
        with open(pid_file, "w") as stale:
            stale.write(f"{unrelated.pid}\n{pgdata}\n1700000000\n5432\n\n\n")
        checkout.up("postgres")
        assert checkout.psql("SELECT 1") == "1"
        assert "removing stale" in checkout.logs()
        assert unrelated.poll() is None  # the unrelated process was left alone
    finally:
        unrelated.kill()
        unrelated.wait()


def test_stale_postmaster_pid_naming_another_clusters_server_does_not_block(make_checkout):
    checkout, other = make_checkout(), make_checkout()
    checkout.up("postgres")
    checkout.down()
    other.up("postgres")
    other_pgdata = other.stack_env()["PGDATA"]
    other_server = Path(other_pgdata, "postmaster.pid").read_text().splitlines()[0]
    pgdata = checkout.stack_env()["PGDATA"]
    # The crashed server's PID now belongs to the postmaster of another cluster.
    Path(pgdata, "postmaster.pid").write_text(f"{other_server}\n{pgdata}\n1700000000\n5432\n")

    checkout.up("postgres")

    assert checkout.psql("SELECT 1") == "1"
    assert other.psql("SELECT 1") == "1"  # and that server was left alone


def test_a_running_server_is_not_mistaken_for_a_stale_pid_file(make_checkout):
    checkout = make_checkout()
    checkout.up("postgres")
    # A second postgres-start on the same data directory must refuse, not delete the pid file.
    second = checkout.run("scripts/postgres-start", check=False, timeout=30)
    assert second.returncode != 0
    assert "already runs" in second.stderr
    assert checkout.psql("SELECT 1") == "1"


def test_checkout_path_with_a_space_runs_the_stack_and_a_ci_test(make_checkout):
    checkout = make_checkout("my projects/web app")
    assert " " in str(checkout.root)
    checkout.sync()
    checkout.up("postgres", "redis")
    assert checkout.psql("SELECT current_database()") == checkout.stack_env()["PGDATABASE"]

    # One of CI's tests, from there: Django against that stack's PostgreSQL and Redis.
    result = checkout.pytest("backend/core/tests/test_probes.py")

    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    checkout.down()
    assert checkout.wait_until_no_processes() == []


def test_a_checkout_too_deep_for_a_socket_path_runs_postgres_and_redis(make_checkout):
    # Deeper than sun_path allows on Linux (108 bytes) and macOS (104): sockets under .state/
    # could not even be created there.
    checkout = make_checkout("/".join(["a-rather-long-directory-name"] * 5))
    assert len(str(checkout.root / ".state" / "redis.sock")) > 108
    checkout.up("postgres", "redis")
    env = checkout.stack_env()
    run_dir = Path(env["RUN_DIR"])
    assert not run_dir.is_relative_to(checkout.root)
    sockets = [path for path in run_dir.iterdir() if path.is_socket()]
    assert {".s.PGSQL.5432", "redis.sock", "process-compose.sock"} <= {p.name for p in sockets}
    assert all(len(str(path)) < 104 for path in sockets), sockets
    assert checkout.psql("SELECT 1") == "1"
    assert checkout.redis("ping") == "PONG"


def test_two_checkouts_run_side_by_side_without_sharing_anything(make_checkout):
    first, second = make_checkout(), make_checkout()
    first.up("postgres", "redis")
    second.up("postgres", "redis")

    first_env, second_env = first.stack_env(), second.stack_env()
    for name in ("RUN_DIR", "PGDATA", "REDIS_URL", "PC_SOCKET_PATH"):
        assert first_env[name] != second_env[name], name
    first.psql("CREATE TABLE only_in_first (id int)")
    assert second.psql("SELECT to_regclass('only_in_first') IS NULL") == "t"
    first.redis("set", "owner", "first")
    assert second.redis("get", "owner") == ""

    first.down()
    assert first.wait_until_no_processes() == []
    assert second.psql("SELECT 1") == "1"  # the other stack was not touched


def test_down_leaves_no_process_behind(make_checkout):
    checkout = make_checkout()
    checkout.up("postgres", "redis", "mailpit")
    # process-compose, postgres (and its workers), redis, mailpit
    assert len(checkout.processes()) >= 4

    started = time.monotonic()
    checkout.down()

    assert checkout.wait_until_no_processes(timeout=15) == []
    # Each process stopped on its signal: none waited for the kill after its shutdown timeout.
    assert time.monotonic() - started < 10
    assert shut_down_cleanly(checkout), checkout.logs()


def test_ctrl_c_leaves_no_process_behind(make_checkout):
    checkout = make_checkout()
    # Attached, as a developer runs it (without a terminal the TUI is off; Ctrl-C is SIGINT).
    attached = subprocess.Popen(
        ["scripts/up", "postgres", "redis", "mailpit"],
        cwd=checkout.root,
        env=checkout.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        status = checkout.run("scripts/status", "--wait", "--timeout", "60", check=False)
        assert status.returncode == 0, status.stdout + checkout.logs()

        attached.send_signal(signal.SIGINT)
        attached.wait(timeout=60)
    finally:
        if attached.poll() is None:
            attached.kill()

    assert checkout.wait_until_no_processes(timeout=15) == []
    assert shut_down_cleanly(checkout), checkout.logs()


def test_status_wait_fails_within_its_timeout_when_a_process_cannot_become_ready(make_checkout):
    checkout = make_checkout()
    # Something else already holds mailpit's SMTP port: mailpit keeps failing.
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", int(checkout.env["MAILPIT_SMTP_PORT"])))
        squatter.listen()
        checkout.run("scripts/up", "--detached", "mailpit")
        started = time.monotonic()
        status = checkout.run("scripts/status", "--wait", "--timeout", "8", check=False)
        elapsed = time.monotonic() - started

    assert status.returncode == 1
    assert "mailpit" in status.stdout
    assert elapsed < 20


def test_reset_db_rebuilds_a_migrated_database_with_the_dev_fixtures(make_checkout):
    checkout = make_checkout()
    checkout.up("postgres")
    checkout.psql("CREATE TABLE leftover (id int)")
    checkout.down()

    result = checkout.run("scripts/reset-db", "--yes", timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr + checkout.logs()

    checkout.up("postgres")
    assert checkout.psql("SELECT to_regclass('leftover') IS NULL") == "t"
    assert checkout.psql("SELECT email FROM accounts_user") == "dev@example.com"
    assert checkout.psql("SELECT count(*) > 0 FROM django_migrations WHERE app = 'jobs'") == "t"


def test_migrate_is_skipped_until_the_database_or_the_fixtures_change(make_checkout):
    checkout = make_checkout()
    migrate_log = checkout.root / ".state" / "logs" / "migrate.log"
    ran, skipped = "loaded: dev_users.json", "nothing changed"  # the log is per run

    def migrate_ran() -> bool:
        checkout.up("migrate")
        log = migrate_log.read_text()
        checkout.down()
        assert (ran in log) != (skipped in log), log
        return ran in log

    assert migrate_ran()
    assert not migrate_ran()

    # Another migration recorded (as `manage migrate` by hand would): the database changed.
    checkout.up("postgres")
    checkout.psql("INSERT INTO django_migrations (app, name, applied) VALUES ('core', 'x', now())")
    checkout.down()
    assert migrate_ran()
    assert not migrate_ran()

    fixture = checkout.root / "backend" / "accounts" / "fixtures" / "dev_users.json"
    fixture.write_text(fixture.read_text() + "\n")
    assert migrate_ran()
    assert not migrate_ran()
