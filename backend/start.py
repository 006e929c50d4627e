"""The image's entrypoint: `app-start [web | worker | beat | flower | manage ...]`, web by default.

Each command prepares what it needs, then replaces this process with the server (os.execv), so
the container's stop signal reaches gunicorn or celery itself. Nothing here writes to the static
files: they are built into the image, and runtime configuration reaches the Vue app through the
Django page.
"""

import http.client
import math
import os
import socket
import sys
import time
from collections.abc import Callable, Mapping, MutableMapping
from contextlib import contextmanager

from backend.core.database_url import database_url

DEFAULT_SETTINGS = "backend.config.settings.production"
USAGE = (
    "usage: app-start [web | setup | serve | worker | beat | flower | manage <command> ...] [...]\n"
    "  web     setup, then serve (DJANGO_SKIP_MIGRATE=true: wait for the database, serve)\n"
    "  setup   migrate, load the fixtures once, ensure the superuser, then exit\n"
    "  serve   gunicorn only (for hosts that run setup as a step of its own)\n"
    "  worker  celery worker     beat  celery beat (database scheduler)\n"
    "  flower  celery flower (needs FLOWER_BASIC_AUTH or FLOWER_AUTH)\n"
    "  healthcheck [web | worker]  exit 0 when this container's web (/readyz) or worker answers\n"
    "  manage  Django's manage.py"
)
# Held by whichever replica runs migrations and fixtures, so replicas starting together take
# turns instead of migrating the same database at once.
SETUP_LOCK_NAME = "app-start:setup"
MAX_DEFAULT_WORKERS = 8


class ConfigError(Exception):
    """The environment is wrong; the message names the variable. Exit status 2."""


class StartFailed(Exception):
    """A dependency did not come up in time. Exit status 1, so the orchestrator retries."""


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    command = args.pop(0) if args else "web"
    if command in ("-h", "--help", "help"):
        print(USAGE)
        return
    run = COMMANDS.get(command)
    if run is None:
        _fail(2, f"unknown command {command!r}\n{USAGE}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", DEFAULT_SETTINGS)
    try:
        set_database_url_from_parts(os.environ)
        run(args)
    except ConfigError as exc:
        _fail(2, str(exc))
    except StartFailed as exc:
        _fail(1, str(exc))


# COMMANDS
# ------------------------------------------------------------------------------
def web(args: list[str]) -> None:
    gunicorn = gunicorn_arguments(os.environ) + args
    if _boolean("DJANGO_SKIP_MIGRATE", default=False):
        # Many replicas behind an orchestrator: one `setup` run (a Kubernetes Job) does this
        # before the pods start, so they never queue on the lock at every scale-up.
        _setup_django()
        wait_for_database(_positive_number("DB_WAIT_TIMEOUT", default=60))
        _say("DJANGO_SKIP_MIGRATE is set: no migrations, fixtures or superuser")
    else:
        _prepare_database()
    _exec_python_module("gunicorn", gunicorn)


def setup(args: list[str]) -> None:
    if args:
        raise ConfigError(f"setup takes no arguments, got {' '.join(args)!r}")
    _prepare_database()


def serve(args: list[str]) -> None:
    gunicorn = gunicorn_arguments(os.environ) + args
    # A wrong setting fails here with its one-line message, not in each gunicorn worker.
    _setup_django()
    _exec_python_module("gunicorn", gunicorn)


def _prepare_database() -> None:
    superuser = _superuser_from_env()
    _setup_django()
    wait_for_database(_positive_number("DB_WAIT_TIMEOUT", default=60))
    with _setup_lock():
        from django.core.management import call_command

        from backend.core.services import fixtures_load

        call_command("migrate", interactive=False)
        loaded = fixtures_load(include_dev=False)
        _say(f"fixtures: {', '.join(loaded) if loaded else 'nothing new'}")
        if superuser:
            email, password = superuser
            _say(f"superuser {email}: {_superuser_apply(email, password)}")
        else:
            _say("superuser: DJANGO_SUPERUSER_EMAIL is not set, none created")


def worker(args: list[str]) -> None:
    _setup_django()
    wait_for_database(_positive_number("DB_WAIT_TIMEOUT", default=60))
    _exec_python_module("celery", ["-A", "backend.config", "worker", "--loglevel", "INFO", *args])


def beat(args: list[str]) -> None:
    _setup_django()
    wait_for_database(_positive_number("DB_WAIT_TIMEOUT", default=60))
    scheduler = "django_celery_beat.schedulers:DatabaseScheduler"
    _exec_python_module(
        "celery",
        ["-A", "backend.config", "beat", "--scheduler", scheduler, "--loglevel", "INFO"] + args,
    )


def flower(args: list[str]) -> None:
    # Flower can revoke tasks and shut workers down. It reads FLOWER_* itself, which also keeps
    # the credentials out of the process list.
    if not (os.environ.get("FLOWER_BASIC_AUTH") or os.environ.get("FLOWER_AUTH")):
        raise ConfigError(
            "flower needs FLOWER_BASIC_AUTH (user:password[,user:password]) or FLOWER_AUTH"
        )
    _exec_python_module("celery", ["-A", "backend.config", "flower", *args])


def manage(args: list[str]) -> None:
    _exec_python_module("backend.manage", args)


def healthcheck(args: list[str]) -> None:
    """The container's health check: the images hold no curl, and the probe needs a Host header
    Django accepts (ALLOWED_HOSTS), which a bare HTTP client would not send."""
    kind = args[0] if args else "web"
    if kind == "worker":
        # Pings only this container's worker (celery@<hostname>, Celery's default node name).
        node = f"celery@{socket.gethostname()}"
        _exec_python_module(
            "celery",
            ["-A", "backend.config", "inspect", "ping", "--destination", node, "--timeout", "10"],
        )
    if kind != "web" or len(args) > 1:
        raise ConfigError(f"usage: app-start healthcheck [web | worker], not {' '.join(args)!r}")
    port = environ_port(os.environ)
    hosts = [host.strip() for host in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",")]
    host = next((host.lstrip(".") for host in hosts if host and host != "*"), "localhost")
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=4)
    try:
        connection.request("GET", "/readyz", headers={"Host": host})
        status = connection.getresponse().status
    except OSError as exc:
        raise StartFailed(f"healthcheck: 127.0.0.1:{port}/readyz: {exc}") from exc
    finally:
        connection.close()
    if status != 200:
        raise StartFailed(f"healthcheck: 127.0.0.1:{port}/readyz answered {status}")


COMMANDS: dict[str, Callable[[list[str]], None]] = {
    "web": web,
    "setup": setup,
    "serve": serve,
    "healthcheck": healthcheck,
    "worker": worker,
    "beat": beat,
    "flower": flower,
    "manage": manage,
}


# DATABASE
# ------------------------------------------------------------------------------
def database_url_from_parts(environ: Mapping[str, str]) -> str | None:
    """The DATABASE_URL of POSTGRES_*, or None when POSTGRES_HOST is unset."""
    host = environ.get("POSTGRES_HOST", "")
    if not host:
        return None
    missing = [name for name in ("POSTGRES_DB", "POSTGRES_USER") if not environ.get(name)]
    if missing:
        raise ConfigError(f"POSTGRES_HOST is set, so {' and '.join(missing)} must be set too")
    port = environ.get("POSTGRES_PORT", "5432")
    if not port.isdigit():
        raise ConfigError(f"POSTGRES_PORT must be a port number, not {port!r}")
    return database_url(
        name=environ["POSTGRES_DB"],
        user=environ["POSTGRES_USER"],
        password=environ.get("POSTGRES_PASSWORD", ""),
        host=host,
        port=port,
    )


def set_database_url_from_parts(environ: MutableMapping[str, str]) -> None:
    if environ.get("DATABASE_URL"):
        return
    url = database_url_from_parts(environ)
    if url:
        environ["DATABASE_URL"] = url


def wait_for_database(timeout: float) -> None:
    """Return once PostgreSQL accepts a connection; StartFailed when `timeout` seconds pass.

    Every attempt has its own connect timeout, so a host that drops packets cannot hold the
    start past the deadline. A database that does not exist yet is waited for too: a fresh
    PostgreSQL container creates it during its first start.
    """
    from django.db import connection
    from psycopg import OperationalError

    params = connection.get_connection_params()
    where = _describe(params)
    deadline = time.monotonic() + timeout
    reported = None
    while True:
        remaining = deadline - time.monotonic()
        # libpq treats a connect_timeout below 2 as 2.
        attempt = {**params, "connect_timeout": max(2, min(5, math.ceil(remaining)))}
        try:
            connection.get_new_connection(attempt).close()
        except OperationalError as exc:
            error = _first_line(exc)
        else:
            _say(f"PostgreSQL at {where} is up")
            return
        if remaining <= 0:
            raise StartFailed(
                f"PostgreSQL at {where} was not reachable within {timeout:g}s "
                f"(DB_WAIT_TIMEOUT): {error}"
            )
        if error != reported:
            _say(f"waiting for PostgreSQL at {where}: {error}")
            reported = error
        time.sleep(min(1.0, max(remaining, 0.1)))


@contextmanager
def _setup_lock():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(hashtext(%s))", [SETUP_LOCK_NAME])
    yield
    # On an error the process exits, and PostgreSQL drops a session's locks with it.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(hashtext(%s))", [SETUP_LOCK_NAME])


def _describe(params: Mapping) -> str:
    host = params.get("host") or os.environ.get("PGHOST") or "the default socket"
    port = params.get("port") or os.environ.get("PGPORT") or 5432
    return f"{host}:{port}/{params.get('dbname', '')}"


# SUPERUSER
# ------------------------------------------------------------------------------
def _superuser_from_env() -> tuple[str, str] | None:
    email = os.environ.get("DJANGO_SUPERUSER_EMAIL", "").strip()
    password = os.environ.get("DJANGO_SUPERUSER_PASSWORD", "")
    if not email and not password:
        return None
    if not (email and password):
        raise ConfigError(
            "set both DJANGO_SUPERUSER_EMAIL and DJANGO_SUPERUSER_PASSWORD, or neither"
        )
    return email, password


def _superuser_apply(email: str, password: str) -> str:
    from django.core.exceptions import ValidationError

    from backend.accounts.services import superuser_ensure

    try:
        return superuser_ensure(email=email, password=password)
    except ValidationError as exc:
        raise ConfigError(
            "; ".join(
                f"DJANGO_SUPERUSER_{field.upper()}: {' '.join(messages)}"
                for field, messages in exc.message_dict.items()
            )
        ) from exc


# GUNICORN
# ------------------------------------------------------------------------------
def environ_port(environ: Mapping[str, str]) -> int:
    port = environ.get("PORT", "5000")
    if not (port.isdigit() and 0 < int(port) < 65536):
        raise ConfigError(f"PORT must be a port number, not {port!r}")
    return int(port)


def gunicorn_arguments(environ: Mapping[str, str]) -> list[str]:
    port = environ_port(environ)
    # A container's address is private to it; a host behind a local proxy binds to loopback.
    address = environ.get("BIND_ADDRESS", "0.0.0.0")  # noqa: S104
    if ":" in address and not address.startswith("["):  # an IPv6 address
        address = f"[{address}]"
    arguments = [
        "backend.config.wsgi:application",
        "--bind", f"{address}:{port}",
        "--workers", str(gunicorn_workers(environ)),
        "--access-logfile", "-",
        # Gunicorn 25+ opens a control socket under $HOME; the image's user has no home, and
        # stopping and scaling go through the orchestrator's signals anyway.
        "--no-control-socket",
    ]  # fmt: skip
    # The heartbeat file of each worker; a container's /tmp may be disk-backed.
    # https://docs.gunicorn.org/en/stable/faq.html#blocking-os-fchmod
    shared_memory = "/dev/shm"  # noqa: S108 (a tmpfs only gunicorn's workers write to)
    if os.path.isdir(shared_memory):
        arguments += ["--worker-tmp-dir", shared_memory]
    return arguments


def gunicorn_workers(environ: Mapping[str, str]) -> int:
    """GUNICORN_WORKERS, else gunicorn's rule of thumb (2 per core + 1), capped.

    The cap matters in containers: the host's core count says nothing about the CPU quota.
    """
    value = environ.get("GUNICORN_WORKERS", "")
    if value:
        if not (value.isdigit() and int(value) > 0):
            raise ConfigError(f"GUNICORN_WORKERS must be a positive whole number, not {value!r}")
        return int(value)
    cores = os.process_cpu_count() if hasattr(os, "process_cpu_count") else os.cpu_count()
    return min(2 * (cores or 1) + 1, MAX_DEFAULT_WORKERS)


# HELPERS
# ------------------------------------------------------------------------------
def _setup_django() -> None:
    import django
    from django.core.exceptions import ImproperlyConfigured

    try:
        django.setup()
    except ImproperlyConfigured as exc:
        raise ConfigError(str(exc)) from exc


def _positive_number(name: str, *, default: float) -> float:
    value = os.environ.get(name, "")
    if not value:
        return default
    try:
        number = float(value)
    except ValueError:
        number = -1
    if number <= 0:
        raise ConfigError(f"{name} must be a positive number of seconds, not {value!r}")
    return number


def _boolean(name: str, *, default: bool) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in ("true", "1", "yes", "on"):
        return True
    if value in ("false", "0", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, not {os.environ[name]!r}")


def _exec_python_module(module: str, args: list[str]) -> None:
    """Replace this process with `python -m module ...` of this same interpreter.

    The interpreter's own path works in any venv and in the image, whatever PATH holds.
    """
    from django.apps import apps

    if apps.ready:
        from django.db import connections

        connections.close_all()
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, "-m", module, *args])  # noqa: S606 (no shell wanted)


def _first_line(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def _say(message: str) -> None:
    print(f"app-start: {message}", flush=True)


def _fail(status: int, message: str) -> None:
    print(f"app-start: {message}", file=sys.stderr, flush=True)
    sys.exit(status)


if __name__ == "__main__":
    main()
