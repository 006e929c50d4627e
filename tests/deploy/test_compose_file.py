"""deploy/compose.yaml through compose-go, the Compose Specification's own loader (the library
`docker compose` is built on): the file must pass the schema and resolve with the example env
file filled in, and the resolved project must have the production topology. Also the Caddyfile
as compose runs it (ACME), through Caddy's own adapter."""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from topology import DEPLOY_DIR, caddy_binary, tool_version

from backend.tests_production.harness import REPO_DIR

COMPOSECHECK_SOURCE = Path(__file__).with_name("composecheck")
BUILD_TIMEOUT = 900
APP_SERVICES = {"web-1", "web-2", "worker", "beat"}
REQUIRED = [
    "APP_IMAGE",
    "APP_TAG",
    "DOMAIN",
    "ACME_EMAIL",
    "DJANGO_SECRET_KEY",
    "POSTGRES_PASSWORD",
]
FILLED = {"DJANGO_SECRET_KEY": "a-secret-for-the-test", "POSTGRES_PASSWORD": "a-password"}


@pytest.fixture(scope="session")
def composecheck(tmp_path_factory) -> Path:
    """tests/deploy/composecheck built with its go.sum (Go's build cache makes a rebuild quick)."""
    go = shutil.which("go")
    assert go, "Go is not installed (scripts/install-deps says how)"
    binary = tmp_path_factory.mktemp("composecheck") / "composecheck"
    env = dict(os.environ, GOFLAGS="-mod=readonly", CGO_ENABLED="0")
    done = subprocess.run(  # noqa: S603
        [go, "build", "-o", str(binary), "."], cwd=COMPOSECHECK_SOURCE, env=env,
        capture_output=True, text=True, timeout=BUILD_TIMEOUT, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return binary


def example_values() -> dict[str, str]:
    values = {}
    for line in (DEPLOY_DIR / "env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name] = value
    return {**values, **FILLED}


@pytest.fixture
def project_dir(tmp_path) -> Path:
    """deploy/ as `deploy/deploy` copies it to a host, with the example env file filled in."""
    directory = tmp_path / "host"
    directory.mkdir()
    for name in ("compose.yaml", "Caddyfile"):
        shutil.copy(DEPLOY_DIR / name, directory)
    shutil.copytree(DEPLOY_DIR / "backup", directory / "backup")
    write_env(directory, example_values())
    return directory


def write_env(directory: Path, values: dict[str, str]) -> None:
    (directory / ".env").write_text("".join(f"{k}={v}\n" for k, v in values.items()))


def load(composecheck: Path, directory: Path, *profiles: str) -> subprocess.CompletedProcess:
    args = [str(composecheck), "-name", "webapp"]
    for profile in profiles:
        args += ["-profile", profile]
    # compose reads the caller's environment too; the test's own must not fill a gap.
    env = {"PATH": os.environ["PATH"], "HOME": str(directory)}
    return subprocess.run(  # noqa: S603
        [*args, str(directory / "compose.yaml")], env=env, capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip


@pytest.fixture
def project(composecheck, project_dir) -> dict:
    done = load(composecheck, project_dir)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_file_resolves_to_the_production_services(project):
    assert set(project["services"]) == APP_SERVICES | {
        "postgres", "redis", "backup", "proxy", "media-permissions",
    }  # fmt: skip


def test_flower_runs_only_with_its_profile(composecheck, project_dir):
    done = load(composecheck, project_dir, "flower")
    assert done.returncode == 0, done.stderr
    assert "flower" in json.loads(done.stdout)["services"]


def test_the_app_services_run_the_release_image(project):
    values = example_values()
    images = {project["services"][name]["image"] for name in APP_SERVICES}
    assert images == {f"{values['APP_IMAGE']}:{values['APP_TAG']}"}
    commands = {name: project["services"][name]["command"][0] for name in APP_SERVICES}
    assert commands == {"web-1": "web", "web-2": "web", "worker": "worker", "beat": "beat"}


def test_the_proxy_is_the_caddy_the_tests_run(project):
    assert project["services"]["proxy"]["image"] == f"caddy:{tool_version('CADDY_VERSION')[1:]}"


def test_only_the_proxy_publishes_ports(project):
    published = {name: service.get("ports") for name, service in project["services"].items()}
    assert {name for name, ports in published.items() if ports} == {"proxy"}
    assert {(p["published"], p["target"], p["protocol"]) for p in published["proxy"]} == {
        ("80", 80, "tcp"), ("443", 443, "tcp"), ("443", 443, "udp"),
    }  # fmt: skip


def test_the_database_and_redis_are_on_the_internal_network_only(project):
    assert project["networks"]["internal"].get("internal") is True
    for name in ("postgres", "redis", "beat", "backup"):
        assert set(project["services"][name]["networks"]) == {"internal"}, name
    assert project["services"]["media-permissions"]["network_mode"] == "none"


def test_named_volumes_for_database_backups_certificates_and_media(project):
    assert {"postgres-data", "backups", "certificates", "media"} <= set(project["volumes"])

    def volumes(service):
        return {m["source"]: m["target"] for m in project["services"][service].get("volumes", [])}

    assert volumes("postgres")["postgres-data"] == "/var/lib/postgresql/data"
    assert volumes("proxy")["certificates"] == "/data"
    assert volumes("backup")["backups"] == "/backups"
    # Web and worker share the media volume, writable by the image's user; the backup copies it
    # alongside the dump.
    for service in ("web-1", "web-2", "worker", "backup", "media-permissions"):
        assert volumes(service)["media"] == "/media", service
    assert project["services"]["media-permissions"]["entrypoint"] == [
        "chown", "10000:10001", "/media",
    ]  # fmt: skip
    for service in ("web-1", "web-2", "worker"):
        condition = project["services"][service]["depends_on"]["media-permissions"]["condition"]
        assert condition == "service_completed_successfully"


def test_health_checks_gate_the_start_order(project):
    services = project["services"]
    for name in ("web-1", "web-2", "worker", "postgres", "redis", "proxy"):
        assert services[name]["healthcheck"]["test"][0] in ("CMD", "CMD-SHELL"), name
    assert services["web-1"]["healthcheck"]["test"] == ["CMD", "app-start", "healthcheck", "web"]
    for name, service in services.items():
        for dependency, how in (service.get("depends_on") or {}).items():
            if dependency != "media-permissions":
                assert how["condition"] == "service_healthy", name


def test_every_service_restarts_is_limited_and_logs_with_rotation(project):
    for name, service in project["services"].items():
        expected = "no" if name == "media-permissions" else "unless-stopped"
        assert service["restart"] == expected, name
        limits = service["deploy"]["resources"]["limits"]
        assert limits["cpus"] and limits["memory"], name
        assert service["logging"]["options"]["max-size"], name


def test_exactly_one_beat(project):
    assert project["services"]["beat"].get("deploy", {}).get("replicas", 1) == 1
    assert project["services"]["beat"].get("scale", 1) == 1


@pytest.mark.parametrize("name", REQUIRED)
def test_compose_refuses_to_start_without_a_required_variable(composecheck, project_dir, name):
    values = example_values()
    del values[name]
    write_env(project_dir, values)
    done = load(composecheck, project_dir)
    assert done.returncode == 1
    [line] = done.stderr.strip().splitlines()
    assert f"required variable {name} is missing a value" in line
    assert line.startswith("composecheck: ")


def test_every_variable_is_in_the_env_example_and_the_readme():
    compose = (DEPLOY_DIR / "compose.yaml").read_text()
    used = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", compose))
    example = set(
        re.findall(r"^#?([A-Z][A-Z0-9_]*)=", (DEPLOY_DIR / "env.example").read_text(), re.M)
    )
    assert used <= example, sorted(used - example)
    readme = (REPO_DIR / "README.md").read_text()
    undocumented = sorted(name for name in example if f"`{name}`" not in readme)
    assert undocumented == []


def test_the_caddyfile_gets_certificates_by_acme_in_production():
    values = example_values()
    env = {"PATH": os.environ["PATH"], "DOMAIN": values["DOMAIN"], "TLS": values["ACME_EMAIL"]}
    command = [caddy_binary(), "adapt", "--config", str(DEPLOY_DIR / "Caddyfile"),
               "--adapter", "caddyfile"]  # fmt: skip
    done = subprocess.run(  # noqa: S603
        command, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    config = json.loads(done.stdout)
    [policy] = config["apps"]["tls"]["automation"]["policies"]
    assert policy["subjects"] == [values["DOMAIN"]]
    assert [issuer["module"] for issuer in policy["issuers"]][0] == "acme"
    assert policy["issuers"][0]["email"] == values["ACME_EMAIL"]
    servers = config["apps"]["http"]["servers"]
    assert sorted(server["listen"][0] for server in servers.values()) == [":443"]
