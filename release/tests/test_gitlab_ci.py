"""The pipeline file: GitLab's schema (check-jsonschema), branch-rule matrix (gitlab-ci-local)."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import git
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]
CI_FILE = ROOT / ".gitlab-ci.yml"
CI_TOOLS = ROOT / "release" / "ci-tools" / "node_modules"
GITLAB_CI_LOCAL = CI_TOOLS / "gitlab-ci-local" / "dist" / "index.js"


def _node() -> Path:
    """gitlab-ci-local crashes on Node 20. Take the PATH's node if it is 22 or newer (the Nix dev
    shell's), else the Node 22 that ci-tools' lock pins as a package (a prebuilt binary for glibc
    systems, which the Nix image is not)."""
    system_node = shutil.which("node")
    if system_node:
        version = subprocess.run([system_node, "--version"], capture_output=True, text=True).stdout
        if int(version.lstrip("v").split(".")[0] or 0) >= 22:
            return Path(system_node)
    return CI_TOOLS / ".bin" / "node"


NODE = _node()

CHECKS = {"lint", "test", "helm"}
BUILDS = CHECKS | {"build-amd64", "build_manifests"}
RELEASE = BUILDS | {"release"}


def check_jsonschema(path: Path) -> subprocess.CompletedProcess:
    executable = (
        shutil.which("check-jsonschema", path=str(Path(sys.executable).parent))
        or "check-jsonschema"
    )
    return subprocess.run(
        [
            executable,
            "--builtin-schema",
            "vendor.gitlab-ci",
            "--data-transform",
            "gitlab-ci",
            str(path),
        ],
        capture_output=True,
        text=True,
    )


def test_pipeline_matches_gitlabs_schema():
    result = check_jsonschema(CI_FILE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_schema_check_catches_a_broken_job(tmp_path):
    broken = tmp_path / ".gitlab-ci.yml"
    broken.write_text(
        CI_FILE.read_text().replace("  stage: release\n", "  stage: release\n  when: sometimes\n")
    )
    assert check_jsonschema(broken).returncode != 0


@pytest.fixture(scope="module")
def ci_repo(tmp_path_factory):
    """A clone with just the pipeline file and a GitLab-like remote (gitlab-ci-local needs one)."""
    assert NODE.exists() and GITLAB_CI_LOCAL.exists(), (
        "run `npm ci --prefix release/ci-tools` first"
    )
    repo = tmp_path_factory.mktemp("ci-repo")
    git(repo, "init", "-q", "-b", "main")
    shutil.copy(CI_FILE, repo / ".gitlab-ci.yml")
    git(repo, "add", ".gitlab-ci.yml")
    git(repo, "commit", "-q", "-m", "ci: pipeline")
    git(repo, "remote", "add", "origin", "git@gitlab.example.com:group/project.git")
    git(repo, "tag", "1.3.0alpha")
    git(repo, "tag", "-a", "1.3.0", "-m", "Release 1.3.0")
    return repo


def gitlab_ci_local(repo: Path, *args: str) -> str:
    home = repo.parent / f"{repo.name}-home"
    home.mkdir(exist_ok=True)
    result = subprocess.run(
        [str(NODE), str(GITLAB_CI_LOCAL), *args],
        cwd=repo,
        capture_output=True,
        text=True,
        env={**os.environ, "HOME": str(home)},
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def listing_for(
    repo: Path, *, ref: str, variables: dict[str, str] | None = None, tag: bool = False
) -> list[dict]:
    git(repo, "checkout", "-q", ref) if tag else git(repo, "checkout", "-q", "-B", ref)
    args = []
    for name, value in (variables or {}).items():
        args += ["--variable", f"{name}={value}"]
    if tag:
        # GitLab sets CI_COMMIT_TAG and no CI_COMMIT_BRANCH in a tag pipeline.
        args += ["--variable", f"CI_COMMIT_TAG={ref}", "--unset-variable", "CI_COMMIT_BRANCH"]
    # Setting CI_PIPELINE_SOURCE is how a merge-request pipeline is simulated: no warning for that.
    args += ["--ignore-predefined-vars", "CI_PIPELINE_SOURCE,CI_COMMIT_TAG,CI_COMMIT_TAG_MESSAGE"]
    return json.loads(gitlab_ci_local(repo, "--list-json", *args))


def jobs_for(repo: Path, **pipeline) -> set[str]:
    """The jobs that run by themselves (not never, not manual)."""
    return {
        job["name"]
        for job in listing_for(repo, **pipeline)
        if job["when"] not in ("never", "manual")
    }


def manual_jobs_for(repo: Path, **pipeline) -> dict[str, bool]:
    """The jobs started by hand, each with its allow_failure."""
    listing = listing_for(repo, **pipeline)
    return {job["name"]: job["allow_failure"] for job in listing if job["when"] == "manual"}


@pytest.mark.parametrize("branch", ["feat/x", "fix/login", "test/e2e", "chore/deps"])
def test_work_branches_run_lint_and_test(ci_repo, branch):
    assert jobs_for(ci_repo, ref=branch) == CHECKS


def test_merge_requests_run_lint_and_test(ci_repo):
    assert (
        jobs_for(ci_repo, ref="feat/x", variables={"CI_PIPELINE_SOURCE": "merge_request_event"})
        == CHECKS
    )


def test_staging_adds_build_and_manifests(ci_repo):
    assert jobs_for(ci_repo, ref="staging") == BUILDS


def test_arm64_builds_on_an_arm64_runner_when_enabled(ci_repo):
    assert jobs_for(ci_repo, ref="staging", variables={"BUILD_ARM64": "true"}) == BUILDS | {
        "build-arm64"
    }


def test_arm64_builds_remotely_when_e2c_is_enabled(ci_repo):
    variables = {"BUILD_ARM64": "true", "E2C_USAGE": "true"}
    assert jobs_for(ci_repo, ref="staging", variables=variables) == BUILDS | {"build-arm64-remote"}


def test_the_nixos_vm_test_runs_only_on_a_named_kvm_runner(ci_repo):
    # Hosted runners have no /dev/kvm, which the NixOS test's QEMU needs.
    assert jobs_for(ci_repo, ref="feat/x", variables={"KVM_RUNNER_TAG": "kvm"}) == CHECKS | {
        "nixos-deploy"
    }


def test_armv7_builds_remotely_when_enabled(ci_repo):
    assert jobs_for(ci_repo, ref="staging", variables={"BUILD_ARMV7": "true"}) == BUILDS | {
        "build-armv7-remote"
    }


def test_tag_with_arm64_on_e2c_builds_it_remotely(ci_repo):
    variables = {"BUILD_ARM64": "true", "E2C_USAGE": "true"}
    assert jobs_for(ci_repo, ref="1.3.0alpha", variables=variables, tag=True) == RELEASE | {
        "build-arm64-remote"
    }


def test_scheduled_reap_runs_alone(ci_repo):
    variables = {"CI_PIPELINE_SOURCE": "schedule", "E2C_REAP": "true"}
    assert jobs_for(ci_repo, ref="main", variables=variables) == {"e2c-reap"}
    assert manual_jobs_for(ci_repo, ref="main", variables=variables) == {}


@pytest.mark.parametrize(
    "pipeline",
    [
        {"ref": "feat/x"},
        {"ref": "feat/x", "variables": {"CI_PIPELINE_SOURCE": "merge_request_event"}},
        {"ref": "main"},
        {"ref": "staging"},
        {"ref": "1.3.0alpha", "tag": True},
    ],
)
def test_macos_is_a_manual_job_that_never_fails_the_pipeline(ci_repo, pipeline):
    # Optional: started by hand, and its failure leaves the pipeline green.
    assert manual_jobs_for(ci_repo, **pipeline) == {"macos": True}


def test_lightweight_tag_runs_everything(ci_repo):
    assert jobs_for(ci_repo, ref="1.3.0alpha", tag=True) == RELEASE


def test_annotated_tag_runs_everything(ci_repo):
    message = {"CI_COMMIT_TAG_MESSAGE": "Release 1.3.0"}
    assert jobs_for(ci_repo, ref="1.3.0", variables=message, tag=True) == RELEASE


@pytest.fixture(scope="module")
def tag_pipeline(ci_repo):
    git(ci_repo, "checkout", "-q", "1.3.0")
    preview = gitlab_ci_local(
        ci_repo,
        "--preview",
        "--variable",
        "CI_COMMIT_TAG=1.3.0",
        "--unset-variable",
        "CI_COMMIT_BRANCH",
    )
    return YAML(typ="safe").load(preview)


def test_tag_pipeline_versions_images_by_the_tag(tag_pipeline):
    assert tag_pipeline["variables"]["IMAGE_VERSION"] == "$CI_COMMIT_TAG"


def test_every_job_uses_the_pinned_nix_image(tag_pipeline):
    jobs = RELEASE | {"build-arm64", "build-arm64-remote", "build-armv7-remote", "e2c-reap"}
    images = {tag_pipeline[name]["image"]["name"] for name in jobs}
    assert len(images) == 1
    assert re.fullmatch(r"nixos/nix:\d+\.\d+\.\d+", images.pop())


def test_release_tooling_runs_from_the_flake(tag_pipeline):
    assert any(
        "nix run .#release -- merge-manifests" in line
        for line in tag_pipeline["build_manifests"]["script"]
    )
    assert any("nix run .#release -- promote" in line for line in tag_pipeline["release"]["script"])
    assert any(
        'nix build -L ".#image-${ARCH}"' in line for line in tag_pipeline["build-amd64"]["script"]
    )


@pytest.mark.parametrize("job", ["build-arm64-remote", "build-armv7-remote"])
def test_remote_builds_set_up_and_always_tear_down_the_instance(tag_pipeline, job):
    definition = tag_pipeline[job]
    assert definition["before_script"][-1] == "nix run .#release -- e2c setup"
    # after_script runs in its own shell after a failed script too.
    assert definition["after_script"][-1] == "nix run .#release -- e2c teardown"
    assert any('--builders "$E2C_BUILDER"' in line for line in definition["script"])


def test_macos_job_installs_nix_then_checks_and_brings_the_stack_up(tag_pipeline):
    job = tag_pipeline["macos"]
    assert job["tags"] == ["saas-macos-medium-m1"]
    assert tag_pipeline["variables"]["NIX_INSTALLER_URL"].endswith("/install")
    assert any('"$NIX_INSTALLER_URL"' in line for line in job["before_script"])
    assert job["script"][0] == "nix develop -c make check"
    assert "nix develop -c scripts/up --detached" in job["script"]
    assert any(line.startswith("nix develop -c scripts/status --wait") for line in job["script"])
    # after_script runs after a failed script too: the stack never outlives the job.
    assert job["after_script"][-1] == "nix develop -c scripts/down"


def test_no_host_key_is_trusted_on_first_use():
    assert "ssh-keyscan" not in CI_FILE.read_text()


def test_image_name_comes_from_pyproject(tmp_path):
    """The before_script's nix expression, evaluated on a pyproject with another name."""
    text = CI_FILE.read_text()
    assert "webapp" not in text
    expression = re.search(r"nix eval --raw --impure --expr '([^']+)'", text).group(1)
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "someproject"\nversion = "0.1.0"\n')
    result = subprocess.run(
        ["nix-instantiate", "--eval", "--expr", expression],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == '"someproject"'
