"""The start program (backend/start.py): the image's entrypoint, run as a subprocess."""

import time
from pathlib import Path

import environ
import pytest

from backend.core.tests.throwaway import free_port
from backend.start import (
    ConfigError,
    database_url_from_parts,
    gunicorn_arguments,
    gunicorn_workers,
)
from backend.tests_production.conftest import (
    SECOND_PASSWORD,
    SUPERUSER_EMAIL,
    login,
    tree_digest,
)
from backend.tests_production.harness import request, responds, run, start, wait_until


def test_web_waits_for_the_database_then_migrates(deployment):
    out = deployment.first.output()
    waiting = out.index("app-start: waiting for PostgreSQL")
    up = out.index("is up")
    migrating = out.index("Applying accounts.0001_initial... OK")
    serving = out.index("Listening at: http://0.0.0.0:")
    assert waiting < up < migrating < serving
    assert "No migrations to apply." in deployment.second.output()


def test_web_replaces_itself_with_gunicorn_which_stops_cleanly_on_sigterm(deployment):
    # The started process *is* the server (exec), so the runtime's SIGTERM reaches gunicorn.
    assert deployment.first_cmdline[1:3] == ["-m", "gunicorn"]
    assert "backend.config.wsgi:application" in deployment.first_cmdline
    assert deployment.first.exit_code == 0
    assert "Shutting down: Master" in deployment.first.output()


def test_non_dev_fixtures_are_loaded_once_across_two_starts(deployment):
    assert "fixture:core/site.json" in deployment.flags_after_first
    assert deployment.flags_after_second == deployment.flags_after_first
    assert "app-start: fixtures: site.json" in deployment.first.output()
    assert "app-start: fixtures: nothing new" in deployment.second.output()
    # The admin's edit made between the starts survives the second one.
    assert deployment.site_after_second == ("localhost", "edited by an admin")


def test_superuser_is_created_then_updated(deployment, postgres, production_db_name):
    assert f"app-start: superuser {SUPERUSER_EMAIL}: created" in deployment.first.output()
    assert f"app-start: superuser {SUPERUSER_EMAIL}: updated" in deployment.second.output()
    assert deployment.first_password_login_status == 200
    assert deployment.first_password_login_status_later == 400
    response = login(deployment.port, SECOND_PASSWORD, "198.51.100.3")
    assert response.status == 200, response.body
    assert response.json()["key"]
    flags = postgres.query(
        production_db_name,
        "SELECT u.is_staff, u.is_superuser, e.verified, e.primary FROM accounts_user u "
        "JOIN account_emailaddress e ON e.user_id = u.id WHERE u.email = %s",
        (SUPERUSER_EMAIL,),
    )
    assert flags == [(True, True, True, True)]


def test_an_unchanged_superuser_keeps_its_password_hash(deployment, postgres, production_db_name):
    # A new hash would sign the admin out of every session at each restart.
    def password_hash():
        sql = "SELECT password FROM accounts_user WHERE email = %s"
        return postgres.query(production_db_name, sql, (SUPERUSER_EMAIL,))

    before = password_hash()
    done = run(["manage", "shell", "-c", _ENSURE_SAME_PASSWORD], deployment.env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "unchanged"
    assert password_hash() == before


_ENSURE_SAME_PASSWORD = (
    "import os; from backend.accounts.services import superuser_ensure; "
    "print(superuser_ensure(email=os.environ['DJANGO_SUPERUSER_EMAIL'], "
    "password=os.environ['DJANGO_SUPERUSER_PASSWORD']))"
)


def test_setup_migrates_and_applies_the_superuser_then_exits(deployment):
    # What a host that runs setup as its own step gets: the NixOS module's migrate unit, the
    # Helm chart's pre-install/pre-upgrade Job, the compose deploy's one-off container.
    done = run(["setup"], deployment.env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No migrations to apply." in done.stdout
    assert "app-start: fixtures: nothing new" in done.stdout
    assert f"app-start: superuser {SUPERUSER_EMAIL}: unchanged" in done.stdout
    assert "Listening at" not in done.stdout + done.stderr


def test_setup_takes_no_arguments(base_env):
    done = run(["setup", "--workers", "2"], base_env)
    assert done.returncode == 2
    assert "setup takes no arguments" in done.stderr


def test_serve_only_serves_on_the_bind_address(deployment, tmp_path):
    port = free_port()
    env = dict(deployment.env, PORT=str(port), BIND_ADDRESS="127.0.0.1")
    served = start(["serve"], env, tmp_path / "serve.log")
    try:
        wait_until(responds(port, "/healthz"), timeout=120, what="serve: /healthz", process=served)
        assert f"Listening at: http://127.0.0.1:{port}" in served.output()
        assert "Applying" not in served.output()
        assert "app-start: fixtures" not in served.output()
        assert served.stop() == 0
    finally:
        served.stop()
        served.kill_leftovers()


def test_the_built_static_files_are_never_rewritten(deployment, static_root):
    assert tree_digest(static_root.path) == static_root.digest_before


def test_gives_up_waiting_for_the_database_at_the_deadline(base_env):
    env = dict(base_env, POSTGRES_HOST="127.0.0.1", POSTGRES_PORT=str(free_port()),
               DB_WAIT_TIMEOUT="3")  # fmt: skip
    began = time.monotonic()
    done = run(["web"], env, timeout=60)
    assert done.returncode == 1
    assert time.monotonic() - began < 30
    assert "was not reachable within 3s (DB_WAIT_TIMEOUT)" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "MEDIA_ROOT"])
def test_required_settings_fail_with_a_message_naming_them(base_env, missing):
    env = {name: value for name, value in base_env.items() if name != missing}
    done = run(["web"], env)
    assert done.returncode == 2
    assert f"{missing} must be set for the production settings" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_blank_secret_key_is_refused_too(base_env):
    done = run(["web"], dict(base_env, DJANGO_SECRET_KEY="  "))
    assert done.returncode == 2
    assert "DJANGO_SECRET_KEY must be set" in done.stderr


def test_setup_gives_up_on_an_unreachable_database_in_one_line(base_env):
    env = dict(base_env, POSTGRES_HOST="127.0.0.1", POSTGRES_PORT=str(free_port()),
               DB_WAIT_TIMEOUT="3")  # fmt: skip
    done = run(["setup"], env, timeout=60)
    assert done.returncode == 1
    [line] = done.stderr.strip().splitlines()
    assert "was not reachable within 3s (DB_WAIT_TIMEOUT)" in line


def test_healthcheck_passes_against_a_ready_web(deployment):
    done = run(["healthcheck", "web"], deployment.env, timeout=30)
    assert done.returncode == 0, done.stderr


def test_healthcheck_fails_in_one_line_when_web_does_not_answer(base_env):
    port = free_port()
    done = run(["healthcheck"], dict(base_env, PORT=str(port)), timeout=30)
    assert done.returncode == 1
    [line] = done.stderr.strip().splitlines()
    assert line.startswith(f"app-start: healthcheck: 127.0.0.1:{port}/readyz: ")


def test_healthcheck_of_an_unknown_kind_is_a_usage_error(base_env):
    done = run(["healthcheck", "beat"], base_env, timeout=30)
    assert done.returncode == 2
    assert "usage: app-start healthcheck [web | worker]" in done.stderr


def test_unknown_command_exits_2_with_the_usage(base_env):
    done = run(["server"], base_env)
    assert done.returncode == 2
    assert "unknown command 'server'" in done.stderr
    assert "usage: app-start" in done.stderr


@pytest.mark.parametrize(
    ("variable", "value"),
    [("GUNICORN_WORKERS", "many"), ("PORT", "http"), ("DB_WAIT_TIMEOUT", "-1")],
)
def test_bad_numbers_in_the_environment_are_named(base_env, variable, value):
    done = run(["web"], dict(base_env, **{variable: value}))
    assert done.returncode == 2
    assert variable in done.stderr
    assert "Traceback" not in done.stderr


def test_a_half_set_superuser_is_refused(deployment):
    env = {k: v for k, v in deployment.env.items() if k != "DJANGO_SUPERUSER_PASSWORD"}
    done = run(["web"], env)
    assert done.returncode == 2
    assert "set both DJANGO_SUPERUSER_EMAIL and DJANGO_SUPERUSER_PASSWORD" in done.stderr


def test_a_weak_superuser_password_is_refused(deployment):
    done = run(["web"], dict(deployment.env, DJANGO_SUPERUSER_PASSWORD="password"))
    assert done.returncode == 2
    assert "DJANGO_SUPERUSER_PASSWORD: This password is too common." in done.stderr


def test_manage_runs_django_commands_check_deploy_is_clean(deployment):
    done = run(["manage", "check", "--deploy", "--fail-level", "WARNING"], deployment.env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues (0 silenced)." in done.stdout


def test_web_with_skip_migrate_serves_without_migrating(deployment, tmp_path):
    port = free_port()
    # A half-set superuser would stop a migrating start; a skipping one never reads it.
    env = dict(deployment.env, DJANGO_SKIP_MIGRATE="true", PORT=str(port))
    del env["DJANGO_SUPERUSER_PASSWORD"]
    web = start(["web"], env, tmp_path / "web.log")
    try:
        wait_until(responds(port, "/readyz"), timeout=120, what="/readyz", process=web)
        out = web.output()
        assert "app-start: DJANGO_SKIP_MIGRATE is set: no migrations, fixtures or superuser" in out
        # migrate's own output ("Operations to perform", "No migrations to apply.").
        assert "Operations to perform" not in out
        assert "No migrations to apply" not in out
        assert "app-start: fixtures" not in out
        assert web.cmdline()[1:3] == ["-m", "gunicorn"]
    finally:
        web.stop()
        web.kill_leftovers()


def test_a_bad_skip_migrate_value_is_named(base_env):
    done = run(["web"], dict(base_env, DJANGO_SKIP_MIGRATE="maybe"))
    assert done.returncode == 2
    assert "DJANGO_SKIP_MIGRATE must be true or false, not 'maybe'" in done.stderr


def test_worker_and_beat_run_celery(deployment, tmp_path):
    worker = start(["worker", "--concurrency", "1"], deployment.env, tmp_path / "worker.log")
    beat = start(["beat"], deployment.env, tmp_path / "beat.log")
    try:
        worker.wait_for_output(" ready.", timeout=60)
        beat.wait_for_output("DatabaseScheduler", timeout=60)
        # The worker container's health check: a ping to this host's worker only.
        health = run(["healthcheck", "worker"], deployment.env, timeout=60)
        assert health.returncode == 0, health.stdout + health.stderr
        assert worker.cmdline()[1:3] == ["-m", "celery"]
        assert beat.cmdline()[1:3] == ["-m", "celery"]
        assert worker.stop() == 0
        assert beat.stop() == 0
    finally:
        for process in (worker, beat):
            process.stop()
            process.kill_leftovers()


def test_flower_requires_credentials(deployment, tmp_path):
    done = run(["flower"], deployment.env)
    assert done.returncode == 2
    assert "FLOWER_BASIC_AUTH" in done.stderr

    port = free_port()
    env = dict(deployment.env, FLOWER_BASIC_AUTH="ops:flower-secret", FLOWER_PORT=str(port))
    flower = start(["flower"], env, tmp_path / "flower.log")
    try:

        def answers():
            try:
                return request(port, "GET", "/", https=False)
            except OSError:
                return None

        anonymous = wait_until(answers, timeout=60, what="flower answers", process=flower)
        assert anonymous.status == 401
        assert "flower-secret" not in " ".join(flower.cmdline())
        signed_in = request(port, "GET", "/", https=False, basic_auth=("ops", "flower-secret"))
        assert signed_in.status == 200
    finally:
        flower.stop()
        flower.kill_leftovers()


# DATABASE_URL FROM ITS PARTS
# ------------------------------------------------------------------------------
def _parsed(parts: dict) -> dict:
    return environ.Env.db_url_config(database_url_from_parts(parts))


def test_database_url_quotes_every_part():
    config = _parsed(
        {"POSTGRES_HOST": "db.internal", "POSTGRES_PORT": "6543", "POSTGRES_DB": "app/db",
         "POSTGRES_USER": "us@er", "POSTGRES_PASSWORD": "p@ss:w/rd%?#&= x"}
    )  # fmt: skip
    assert (config["HOST"], config["PORT"], config["NAME"]) == ("db.internal", 6543, "app/db")
    assert (config["USER"], config["PASSWORD"]) == ("us@er", "p@ss:w/rd%?#&= x")


def test_database_url_carries_a_socket_directory_as_the_host_option():
    config = _parsed(
        {"POSTGRES_HOST": "/run/postgresql", "POSTGRES_DB": "app", "POSTGRES_USER": "app"}
    )
    assert config["OPTIONS"] == {"host": "/run/postgresql", "port": 5432}
    assert (config["NAME"], config["USER"], config["PASSWORD"]) == ("app", "app", "")


def test_database_url_brackets_an_ipv6_host():
    config = _parsed({"POSTGRES_HOST": "::1", "POSTGRES_DB": "app", "POSTGRES_USER": "app"})
    assert (config["HOST"], config["PORT"]) == ("::1", 5432)


def test_database_url_is_left_alone_without_postgres_host():
    assert database_url_from_parts({"POSTGRES_DB": "app"}) is None


def test_database_url_needs_the_database_and_user():
    with pytest.raises(ConfigError, match="POSTGRES_DB and POSTGRES_USER must be set"):
        database_url_from_parts({"POSTGRES_HOST": "db"})


def test_gunicorn_workers_from_the_environment_or_the_cores():
    assert gunicorn_workers({"GUNICORN_WORKERS": "3"}) == 3
    assert 3 <= gunicorn_workers({}) <= 8
    with pytest.raises(ConfigError, match="GUNICORN_WORKERS"):
        gunicorn_workers({"GUNICORN_WORKERS": "0"})


def test_gunicorn_binds_every_address_by_default_or_the_bind_address():
    def bind(environ):
        arguments = gunicorn_arguments(environ)
        return arguments[arguments.index("--bind") + 1]

    assert bind({}) == "0.0.0.0:5000"
    assert bind({"BIND_ADDRESS": "127.0.0.1", "PORT": "8001"}) == "127.0.0.1:8001"
    assert bind({"BIND_ADDRESS": "::1"}) == "[::1]:5000"


def test_a_job_runs_through_gunicorn_and_a_worker_into_media_root(deployment, tmp_path):
    """Web and worker share MEDIA_ROOT, the writable volume of the otherwise read-only image."""
    token = login(deployment.port, SECOND_PASSWORD, "198.51.100.20").json()["key"]
    auth = {"Authorization": f"Token {token}"}
    worker = start(["worker", "--concurrency", "1"], deployment.env, tmp_path / "worker.log")
    try:
        job = {"title": "prod", "text": "Rivers run. Rivers bend."}
        created = request(
            deployment.port, "POST", "/api/v1/jobs/create/", headers=auth, json_body=job
        )
        assert created.status == 202, created.text
        job_id = created.json()["id"]

        def completed():
            status = request(deployment.port, "GET", f"/api/v1/jobs/status/{job_id}/", headers=auth)
            return status.json()["status"] == "completed"

        wait_until(completed, timeout=60, what="job completed", process=worker)
        archive = request(
            deployment.port, "GET", f"/api/v1/jobs/download-archive/{job_id}/", headers=auth
        )
        assert archive.status == 200
        assert archive.body[:2] == b"PK"
        stored = list(Path(deployment.env["MEDIA_ROOT"]).rglob(f"{job_id}/*"))
        assert {path.name for path in stored} >= {"terms.csv", "report.md", "archive.zip"}
    finally:
        worker.stop()
        worker.kill_leftovers()
