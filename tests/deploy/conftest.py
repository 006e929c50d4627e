"""The production topology of deploy/compose.yaml with the same programs and no containers:
two web instances (production settings, the built frontend collected as the image does), Caddy
with deploy/Caddyfile and a CA made here, the backup scripts against the test stack's PostgreSQL.
The fixtures of backend/tests_production are reused; the helpers are in topology.py."""

import os
import subprocess

import pytest
from django.conf import settings
from topology import (
    DEPLOY_DIR,
    DOMAIN,
    Proxy,
    WebInstance,
    caddy_binary,
    drop_database,
    migrated_env,
    stop_process,
)
from topology import make_certificates as _make_certificates

from backend.core.tests.throwaway import free_port
from backend.tests_production.conftest import (  # noqa: F401 (fixtures)
    base_env,
    frontend_dist,
    postgres,
    static_root,
)
from backend.tests_production.harness import wait_until


@pytest.fixture(scope="session")
def production_db_name() -> str:
    return f"{settings.APP_NAME}_deploy"


@pytest.fixture(scope="session")
def app_env(base_env, static_root, postgres, production_db_name, tmp_path_factory):  # noqa: F811
    media = str(tmp_path_factory.mktemp("deploy-media"))
    yield migrated_env(base_env, postgres, production_db_name, media)
    drop_database(postgres, production_db_name)


@pytest.fixture(scope="session")
def web_pair(app_env, tmp_path_factory):
    """web-1 and web-2 of compose.yaml."""
    logs = tmp_path_factory.mktemp("web-logs")
    instances = [WebInstance(f"web-{n}", free_port(), app_env, logs) for n in (1, 2)]
    try:
        for instance in instances:
            instance.start()
        yield instances
    finally:
        for instance in instances:
            instance.close()


@pytest.fixture(scope="session")
def certificates(tmp_path_factory):
    return _make_certificates(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="session")
def proxy(web_pair, certificates, tmp_path_factory):
    """Caddy with deploy/Caddyfile as compose.yaml runs it, with the test CA's certificate."""
    work = tmp_path_factory.mktemp("caddy")
    http_port, https_port, admin_port = free_port(), free_port(), free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(work),
        "XDG_DATA_HOME": str(work / "data"),
        "XDG_CONFIG_HOME": str(work / "config"),
        "DOMAIN": DOMAIN,
        "TLS": f"{certificates.cert} {certificates.key}",
        "HTTP_PORT": str(http_port),
        "HTTPS_PORT": str(https_port),
        "CADDY_ADMIN": f"127.0.0.1:{admin_port}",
        "UPSTREAMS": " ".join(f"127.0.0.1:{web.port}" for web in web_pair),
    }
    log = work / "caddy.log"
    command = [caddy_binary(), "run", "--config", str(DEPLOY_DIR / "Caddyfile"),
               "--adapter", "caddyfile"]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603
            command, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
    running = Proxy(http_port, https_port, certificates.ca, process, log)

    def serves():
        if process.poll() is not None:
            raise AssertionError(f"caddy exited ({process.returncode}):\n{log.read_text()}")
        try:
            return running.request("GET", "/readyz").status == 200
        except OSError:
            return False

    try:
        wait_until(serves, timeout=60, what="caddy serves /readyz over HTTPS")
        yield running
    finally:
        stop_process(process)
