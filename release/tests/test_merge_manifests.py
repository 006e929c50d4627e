"""`release merge-manifests`: the index is pushed only when every arch image is there."""

import json

import pytest
from conftest import digest, regctl

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"


def merge(run_release, registry, repository, version, *extra, env=None):
    return run_release(
        "merge-manifests",
        "--image",
        repository,
        f"--version={version}",
        "--insecure-registry",
        registry.host,
        *extra,
        env=env,
    )


def platforms(registry, reference):
    listing = regctl(
        registry.host,
        "manifest",
        "get",
        reference,
        "--format",
        "{{range .GetManifestList}}{{.Platform}}{{println}}{{end}}",
    )
    assert listing.returncode == 0, listing.stderr
    return listing.stdout.split()


def media_type(registry, reference):
    return regctl(
        registry.host, "manifest", "get", reference, "--format", "{{.GetDescriptor.MediaType}}"
    ).stdout.strip()


def test_index_lists_both_platforms(run_release, registry, images):
    repository = registry.repository()
    for arch in ("amd64", "arm64"):
        images.push(arch, "1.2.3", f"{repository}:1.2.3-{arch}")
    result = merge(run_release, registry, repository, "1.2.3", env={"BUILD_ARM64": "true"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{repository}:1.2.3 -> linux/amd64, linux/arm64"
    assert platforms(registry, f"{repository}:1.2.3") == ["linux/amd64", "linux/arm64"]
    assert media_type(registry, f"{repository}:1.2.3") == OCI_INDEX


def test_index_lists_three_platforms_with_arm_v7(run_release, registry, images):
    repository = registry.repository()
    images.push("amd64", "1.2.5", f"{repository}:1.2.5-amd64")
    images.push("arm64", "1.2.5", f"{repository}:1.2.5-arm64")
    # Like nixpkgs' armv7l-linux image: architecture "arm" (Go's GOARCH), no variant.
    images.push("arm", "1.2.5", f"{repository}:1.2.5-armv7")
    env = {"BUILD_ARM64": "true", "BUILD_ARMV7": "true"}
    result = merge(run_release, registry, repository, "1.2.5", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        f"{repository}:1.2.5 -> linux/amd64, linux/arm64, linux/arm/v7"
    )
    assert platforms(registry, f"{repository}:1.2.5") == [
        "linux/amd64",
        "linux/arm64",
        "linux/arm/v7",
    ]
    # Spelled out in the index itself, not left to the client's normalisation of plain "arm".
    raw = regctl(registry.host, "manifest", "get", f"{repository}:1.2.5", "--format", "raw-body")
    assert json.loads(raw.stdout)["manifests"][2]["platform"] == {
        "architecture": "arm",
        "os": "linux",
        "variant": "v7",
    }


def test_docker_format_images_get_a_docker_manifest_list(run_release, registry, images):
    repository = registry.repository()
    for arch in ("amd64", "arm64"):
        images.push(arch, "1.2.4", f"{repository}:1.2.4-{arch}", docker_format=True)
    result = merge(run_release, registry, repository, "1.2.4", "--arch", "amd64", "--arch", "arm64")
    assert result.returncode == 0, result.stderr
    assert media_type(registry, f"{repository}:1.2.4") == DOCKER_LIST
    assert platforms(registry, f"{repository}:1.2.4") == ["linux/amd64", "linux/arm64"]


def test_amd64_only_by_default(run_release, registry, images):
    repository = registry.repository()
    images.push("amd64", "1.3.0", f"{repository}:1.3.0-amd64")
    result = merge(run_release, registry, repository, "1.3.0")
    assert result.returncode == 0, result.stderr
    assert platforms(registry, f"{repository}:1.3.0") == ["linux/amd64"]


def test_missing_arch_image_pushes_nothing(run_release, registry, images):
    repository = registry.repository()
    images.push("amd64", "1.4.0", f"{repository}:1.4.0-amd64")
    result = merge(run_release, registry, repository, "1.4.0", env={"BUILD_ARM64": "true"})
    assert result.returncode == 1
    assert f"missing arch image {repository}:1.4.0-arm64" in result.stderr
    assert "nothing pushed" in result.stderr
    assert digest(registry.host, f"{repository}:1.4.0") is None


@pytest.mark.parametrize(
    ("arch", "built_for", "platform"),
    [("arm64", "amd64", "linux/amd64"), ("armv7", "arm64", "linux/arm64")],
)
def test_image_built_for_the_wrong_arch_pushes_nothing(
    run_release, registry, images, arch, built_for, platform
):
    repository = registry.repository()
    images.push("amd64", "1.5.0", f"{repository}:1.5.0-amd64")
    images.push(built_for, "1.5.0", f"{repository}:1.5.0-{arch}")
    result = merge(run_release, registry, repository, "1.5.0", "--arch", "amd64", "--arch", arch)
    assert result.returncode == 1
    expected = {"arm64": "linux/arm64", "armv7": "linux/arm/v7"}[arch]
    assert f"is built for {platform}, not {expected}" in result.stderr
    assert digest(registry.host, f"{repository}:1.5.0") is None


@pytest.mark.parametrize("version", ["bad tag", "-1", ""])
def test_malformed_version_is_refused(run_release, registry, version):
    result = merge(run_release, registry, registry.repository(), version)
    assert result.returncode == 2
    assert "tag" in result.stderr
    assert "Traceback" not in result.stderr


def test_malformed_image_is_refused(run_release, registry):
    result = merge(run_release, registry, f"{registry.host}/Upper/Case", "1.0.0")
    assert result.returncode == 2
    assert "malformed image repository" in result.stderr


def test_bad_build_arm64_value_is_refused(run_release, registry):
    result = merge(
        run_release, registry, registry.repository(), "1.0.0", env={"BUILD_ARM64": "maybe"}
    )
    assert result.returncode == 2
    assert "BUILD_ARM64 must be true or false" in result.stderr


def test_bad_build_armv7_value_is_refused(run_release, registry):
    result = merge(
        run_release, registry, registry.repository(), "1.0.0", env={"BUILD_ARMV7": "yes"}
    )
    assert result.returncode == 2
    assert "BUILD_ARMV7 must be true or false" in result.stderr


def test_unauthorized_registry_is_a_clear_error(run_release, auth_registry):
    result = merge(run_release, auth_registry, auth_registry.repository(), "1.0.0")
    assert result.returncode == 1
    assert "refused access (401/403 unauthorized)" in result.stderr
    assert "skopeo login" in result.stderr
