"""`release promote`: copy the multi-arch tag to the release registry, move `latest` by rule."""

import subprocess

import pytest
from conftest import AUTH_PASSWORD, AUTH_USER, digest


@pytest.fixture
def pipeline(registry, images):
    """Build repository with multi-arch tags (as build_manifests leaves it), empty release one."""
    build, release = registry.repository(), registry.repository()

    def publish(version):
        for arch in ("amd64", "arm64"):
            images.push(arch, version, f"{build}:{version}-{arch}")
        subprocess.run(
            [
                "regctl",
                "-v",
                "error",
                "--host",
                f"reg={registry.host},tls=disabled",
                "index",
                "create",
                f"{build}:{version}",
                "--ref",
                f"{build}:{version}-amd64",
                "--ref",
                f"{build}:{version}-arm64",
            ],
            check=True,
        )

    return build, release, publish


def promote(run_release, registry, build, release, version, *extra, repo=None, env=None):
    args = ["promote", "--source", build, "--target", release, f"--version={version}"]
    args += ["--insecure-registry", registry.host]
    if repo is not None:
        args += ["--repo-dir", str(repo)]
    return run_release(*args, *extra, env=env)


def test_latest_follows_only_newer_annotated_releases(run_release, registry, pipeline, git_repo):
    build, release, publish = pipeline
    host = registry.host
    for version in ("1.0.0", "2.1.0", "2.2.0alpha", "0.9.0", "2.0.0", "3.0.0rc1", "2.5.0"):
        publish(version)

    steps = [
        ("1.0.0", "1.0.0"),  # first annotated release creates latest
        ("2.1.0", "1.0.0"),  # lightweight: latest stays
        ("2.2.0alpha", "1.0.0"),  # alpha: latest stays
        ("0.9.0", "1.0.0"),  # annotated but older: latest stays
        ("2.0.0", "2.0.0"),  # annotated and newer: latest moves
        ("3.0.0rc1", "2.0.0"),  # annotated release candidate: latest stays
        ("2.5.0", "2.5.0"),
    ]
    for version, expected_latest in steps:
        result = promote(run_release, registry, build, release, version, repo=git_repo)
        assert result.returncode == 0, (version, result.stderr)
        # Digests are preserved, so the release tag is byte-identical to the build's index.
        assert digest(host, f"{release}:{version}") == digest(host, f"{build}:{version}")
        assert digest(host, f"{release}:latest") == digest(host, f"{release}:{expected_latest}"), (
            version
        )


def test_promoted_tag_keeps_both_platforms_and_reports_what_moved(
    run_release, registry, pipeline, git_repo
):
    build, release, publish = pipeline
    publish("2.0.0")
    result = promote(run_release, registry, build, release, "2.0.0", repo=git_repo)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [f"{release}:2.0.0", f"{release}:latest"]
    listing = subprocess.run(
        [
            "regctl",
            "-v",
            "error",
            "--host",
            f"reg={registry.host},tls=disabled",
            "manifest",
            "get",
            f"{release}:2.0.0",
            "--format",
            "{{range .GetManifestList}}{{.Platform}} {{end}}",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert listing.stdout.split() == ["linux/amd64", "linux/arm64"]


def test_force_and_skip(run_release, registry, pipeline, git_repo):
    build, release, publish = pipeline
    publish("2.0.0")
    publish("2.2.0alpha")
    assert (
        promote(
            run_release, registry, build, release, "2.0.0", "--strategy", "skip", repo=git_repo
        ).returncode
        == 0
    )
    assert digest(registry.host, f"{release}:latest") is None
    forced = promote(
        run_release,
        registry,
        build,
        release,
        "2.2.0alpha",
        repo=git_repo,
        env={"UPDATE_LATEST_STRATEGY": "force"},
    )
    assert forced.returncode == 0, forced.stderr
    assert digest(registry.host, f"{release}:latest") == digest(
        registry.host, f"{release}:2.2.0alpha"
    )


def test_missing_source_tag_copies_nothing(run_release, registry, pipeline, git_repo):
    build, release, _ = pipeline
    result = promote(run_release, registry, build, release, "2.0.0", repo=git_repo)
    assert result.returncode == 1
    assert "nothing to promote" in result.stderr
    assert digest(registry.host, f"{release}:2.0.0") is None
    assert digest(registry.host, f"{release}:latest") is None


def test_malformed_version_is_refused(run_release, registry, pipeline):
    build, release, _ = pipeline
    result = promote(run_release, registry, build, release, "1.0.0 final")
    assert result.returncode == 2
    assert "malformed tag '1.0.0 final'" in result.stderr


def test_release_registry_without_login_is_refused_before_copying(
    run_release, registry, auth_registry, pipeline, git_repo
):
    build, _, publish = pipeline
    publish("2.0.0")
    release = auth_registry.repository()
    result = run_release(
        "promote",
        "--source",
        build,
        "--target",
        release,
        "--version",
        "2.0.0",
        "--repo-dir",
        str(git_repo),
        "--insecure-registry",
        registry.host,
        "--insecure-registry",
        auth_registry.host,
    )
    assert result.returncode == 1
    assert "refused access (401/403 unauthorized)" in result.stderr


def test_logged_in_release_registry_receives_the_release(
    run_release, registry, auth_registry, pipeline, git_repo, home
):
    # The CI login: skopeo writes ~/.docker/config.json, which regctl reads too.
    build, _, publish = pipeline
    publish("2.0.0")
    release = auth_registry.repository()
    (home / ".docker").mkdir()
    auth_file = home / ".docker" / "config.json"
    subprocess.run(
        [
            "skopeo",
            "login",
            "--tls-verify=false",
            "--authfile",
            str(auth_file),
            "-u",
            AUTH_USER,
            "--password-stdin",
            auth_registry.host,
        ],
        input=AUTH_PASSWORD,
        text=True,
        check=True,
        capture_output=True,
    )
    result = run_release(
        "promote",
        "--source",
        build,
        "--target",
        release,
        "--version",
        "2.0.0",
        "--repo-dir",
        str(git_repo),
        "--insecure-registry",
        registry.host,
        "--insecure-registry",
        auth_registry.host,
        env={"REGISTRY_AUTH_FILE": str(auth_file)},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [f"{release}:2.0.0", f"{release}:latest"]


def test_release_registry_may_be_the_build_registry(run_release, registry, pipeline, git_repo):
    build, _, publish = pipeline
    publish("2.0.0")
    result = promote(run_release, registry, build, build, "2.0.0", repo=git_repo)
    assert result.returncode == 0, result.stderr
    assert digest(registry.host, f"{build}:latest") == digest(registry.host, f"{build}:2.0.0")
