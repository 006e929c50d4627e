"""`release should-update-latest` against a real registry and a real git clone."""

import json

import pytest
from conftest import regctl


@pytest.fixture(scope="module")
def released(registry, images):
    """A release repository where 1.0.0, 2.0.0 and 1.10.0 exist and `latest` points to 2.0.0.

    Shared by the module's tests: should-update-latest only reads the registry.
    """
    repository = registry.repository()
    for version in ("1.0.0", "2.0.0", "1.10.0"):
        images.push("amd64", version, f"{repository}:{version}")
    images.push("amd64", "2.0.0", f"{repository}:latest")
    return repository


def decide(run_release, registry, repository, tag, *extra, repo=None, env=None):
    args = [
        "should-update-latest",
        "--image",
        repository,
        f"--tag={tag}",
        "--insecure-registry",
        registry.host,
    ]
    if repo is not None:
        args += ["--repo-dir", str(repo)]
    return run_release(*args, "--json", *extra, env=env)


def verdict(result):
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_newer_annotated_release_moves_latest(run_release, registry, released, git_repo):
    decision = verdict(decide(run_release, registry, released, "2.5.0", repo=git_repo))
    assert decision["update"] is True
    assert (decision["tag_type"], decision["tag_type_source"]) == ("annotated", "git cat-file")
    assert decision["current_latest"] == "2.0.0"


def test_lightweight_tag_never_moves_latest_even_when_newer(
    run_release, registry, released, git_repo
):
    decision = verdict(decide(run_release, registry, released, "9.0.0", repo=git_repo))
    assert decision["update"] is False
    assert decision["tag_type"] == "lightweight"


def test_alpha_never_moves_latest(run_release, registry, released, git_repo):
    assert (
        verdict(decide(run_release, registry, released, "2.2.0alpha", repo=git_repo))["update"]
        is False
    )


def test_annotated_release_candidate_does_not_move_latest(
    run_release, registry, released, git_repo
):
    decision = verdict(decide(run_release, registry, released, "3.0.0rc1", repo=git_repo))
    assert decision["update"] is False
    assert "pre-release" in decision["reason"]


@pytest.mark.parametrize("tag", ["1.0.0", "2.0.0"])
def test_older_or_equal_release_keeps_latest(run_release, registry, released, git_repo, tag):
    decision = verdict(decide(run_release, registry, released, tag, repo=git_repo))
    assert decision["update"] is False
    assert decision["current_latest"] == "2.0.0"


def test_latest_is_found_by_digest_not_by_highest_tag(run_release, registry, images, git_repo):
    # latest points to 1.9.0 although 1.10.0 exists: 1.9.5 is newer than latest, so it moves.
    repository = registry.repository()
    for version in ("1.9.0", "1.10.0"):
        images.push("amd64", version, f"{repository}:{version}")
    images.push("amd64", "1.9.0", f"{repository}:latest")
    decision = verdict(
        decide(run_release, registry, repository, "1.9.5", "--tag-type", "annotated")
    )
    assert (decision["update"], decision["current_latest"]) == (True, "1.9.0")


def test_first_release_creates_latest(run_release, registry, git_repo):
    decision = verdict(decide(run_release, registry, registry.repository(), "1.0.0", repo=git_repo))
    assert decision["update"] is True
    assert "does not exist" in decision["reason"]


def test_force_moves_latest_for_anything(run_release, registry, released, git_repo):
    result = decide(
        run_release,
        registry,
        released,
        "2.2.0alpha",
        repo=git_repo,
        env={"UPDATE_LATEST_STRATEGY": "force"},
    )
    assert verdict(result)["update"] is True


def test_skip_never_moves_latest(run_release, registry, released, git_repo):
    result = decide(run_release, registry, released, "2.5.0", "--strategy", "skip", repo=git_repo)
    assert verdict(result)["update"] is False


def test_tag_type_override_from_environment(run_release, registry, released, git_repo):
    result = decide(
        run_release,
        registry,
        released,
        "9.0.0",
        repo=git_repo,
        env={"TAG_TYPE_OVERRIDE": "annotated"},
    )
    decision = verdict(result)
    assert (decision["update"], decision["tag_type_source"]) == (True, "TAG_TYPE_OVERRIDE")


def test_plain_output_is_true_or_false_with_reason_on_stderr(
    run_release, registry, released, git_repo
):
    result = run_release(
        "should-update-latest",
        "--image",
        released,
        "--insecure-registry",
        registry.host,
        "--repo-dir",
        str(git_repo),
        env={"CI_COMMIT_TAG": "2.5.0"},
    )
    assert (result.returncode, result.stdout) == (0, "true\n")
    assert "2.5.0 is newer than 2.0.0" in result.stderr


@pytest.mark.parametrize("tag", ["bad tag", "-1.0.0", "1.0.0:x"])
def test_malformed_tag_is_refused(run_release, registry, released, tag):
    result = decide(run_release, registry, released, tag)
    assert result.returncode == 2
    assert "malformed tag" in result.stderr
    assert "Traceback" not in result.stderr


def test_annotated_tag_that_is_no_version_is_refused(run_release, registry, released):
    result = decide(run_release, registry, released, "release-candidate", "--tag-type", "annotated")
    assert result.returncode == 2
    assert "not a release version" in result.stderr


def test_unknown_strategy_is_refused(run_release, registry, released):
    result = decide(
        run_release, registry, released, "2.5.0", env={"UPDATE_LATEST_STRATEGY": "sometimes"}
    )
    assert result.returncode == 2
    assert "UPDATE_LATEST_STRATEGY must be one of auto, force, skip" in result.stderr


def test_registry_refusing_access_is_a_clear_error(run_release, auth_registry):
    repository = auth_registry.repository()
    result = run_release(
        "should-update-latest",
        "--image",
        repository,
        "--tag",
        "1.0.0",
        "--tag-type",
        "annotated",
        "--insecure-registry",
        auth_registry.host,
    )
    assert result.returncode == 1
    assert "401/403 unauthorized" in result.stderr
    assert result.stdout == ""


def test_unreachable_registry_is_a_clear_error(run_release):
    result = run_release(
        "should-update-latest",
        "--image",
        "127.0.0.1:9/app",
        "--tag",
        "1.0.0",
        "--tag-type",
        "annotated",
        "--insecure-registry",
        "127.0.0.1:9",
    )
    assert result.returncode == 1
    assert "not reachable" in result.stderr


def test_released_fixture_points_latest_at_2_0_0(registry, released):
    latest = regctl(registry.host, "image", "digest", f"{released}:latest").stdout
    assert latest == regctl(registry.host, "image", "digest", f"{released}:2.0.0").stdout
