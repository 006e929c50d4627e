"""The chart and the tools that render it: helpers the tests in this directory share."""

import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["name"]
CHART = REPO_ROOT / "deploy" / "helm" / PROJECT
PRODUCTION_VALUES = CHART / "ci" / "production-values.yaml"
RENDER = REPO_ROOT / "deploy" / "helm" / "render"
COMMAND_TIMEOUT = 120


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not on PATH: scripts/install-deps installs it (nix develop has it)")
    return path


def run(args: list[str], *, cwd: Path = REPO_ROOT, env: dict | None = None, stdin: str = ""):
    return subprocess.run(  # noqa: S603 (our own tools, arguments from the tests)
        args, cwd=cwd, env=env, input=stdin, capture_output=True, text=True,
        timeout=COMMAND_TIMEOUT, check=False,
    )  # fmt: skip


def helm(*args: str):
    return run([tool("helm"), *args])


def template(*args: str, release: str = PROJECT) -> list[dict]:
    """`helm template` of the chart; the rendered documents, empty ones dropped."""
    done = helm("template", release, str(CHART), *args)
    assert done.returncode == 0, done.stderr
    return documents(done.stdout)


def documents(text: str) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(text) if doc]


def find(docs: list[dict], kind: str, name_suffix: str) -> dict:
    matches = [d for d in docs if d["kind"] == kind and d["metadata"]["name"].endswith(name_suffix)]
    assert len(matches) == 1, f"{kind} *{name_suffix}: {[d['metadata']['name'] for d in matches]}"
    return matches[0]


def pod_specs(docs: list[dict]) -> dict[str, dict]:
    """The pod template of every workload, by '<Kind>/<name>'."""
    return {
        f"{d['kind']}/{d['metadata']['name']}": d["spec"]["template"]["spec"]
        for d in docs
        if d["kind"] in ("Deployment", "Job")
    }
