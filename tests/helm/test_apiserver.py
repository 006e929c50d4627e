"""Every rendered manifest, hooks included, passes a real kube-apiserver's server-side dry run."""

import os
import re

import pytest
import yaml
from chart import PRODUCTION_VALUES, RENDER, documents, run, template

NAMESPACE = "chart-test"
VALUE_SETS = {"defaults": [], "production": ["-f", str(PRODUCTION_VALUES)]}


@pytest.fixture(scope="module")
def namespace(api_server):
    # Created for real: admission refuses objects in a namespace that does not exist.
    done = api_server.kubectl("create", "namespace", NAMESPACE)
    assert done.returncode == 0, done.stderr
    return NAMESPACE


def dry_run(api_server, namespace: str, docs: list[dict]):
    # --validate=strict: the server refuses unknown and duplicate fields instead of dropping them.
    return api_server.kubectl(
        "apply", "--dry-run=server", "--validate=strict", "--namespace", namespace, "-f", "-",
        stdin=yaml.safe_dump_all(docs),
    )  # fmt: skip


@pytest.mark.parametrize("values", VALUE_SETS.values(), ids=VALUE_SETS.keys())
def test_every_manifest_passes_the_api_servers_dry_run(api_server, namespace, values):
    docs = template("--namespace", namespace, *values)
    done = dry_run(api_server, namespace, docs)
    assert done.returncode == 0, done.stderr
    accepted = done.stdout.splitlines()
    for doc in docs:
        # "deployment.apps/webapp-web created (server dry run)"; core kinds have no group.
        kind, name = doc["kind"].lower(), re.escape(doc["metadata"]["name"])
        line = re.compile(rf"^{kind}(\.[a-z0-9.]+)?/{name} created \(server dry run\)$")
        assert any(line.match(entry) for entry in accepted), f"{kind}/{name}:\n{done.stdout}"
    assert len(accepted) == len(docs)


def test_the_render_script_output_passes_too(api_server, namespace):
    env = {"PATH": os.environ["PATH"], "IMAGE_VERSION": "1.0.0"}
    done = run([str(RENDER), "--namespace", namespace], env=env)
    assert done.returncode == 0, done.stderr
    applied = dry_run(api_server, namespace, documents(done.stdout))
    assert applied.returncode == 0, applied.stderr


def test_the_server_refuses_what_helm_cannot_know_is_wrong(api_server, namespace):
    # The values schema lets any string be a quantity; the API server parses it.
    docs = template("--namespace", namespace, "--set-string", "web.resources.requests.cpu=lots")
    done = dry_run(api_server, namespace, docs)
    assert done.returncode != 0
    assert "quantities must match the regular expression" in done.stderr


def test_the_server_refuses_an_unknown_field(api_server, namespace):
    docs = template("--namespace", namespace, "--show-only", "templates/beat-deployment.yaml")
    docs[0]["spec"]["replica"] = 2
    done = dry_run(api_server, namespace, docs)
    assert done.returncode != 0
    assert 'unknown field "spec.replica"' in done.stderr
    assert "cannot be handled as a Deployment" in done.stderr
