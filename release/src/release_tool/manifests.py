"""Merge the per-arch images <image>:<version>-<arch> into the multi-arch tag <image>:<version>."""

from release_tool.errors import ReleaseError
from release_tool.registry import Registry, RegistryNotFound
from release_tool.versions import validate_repository, validate_tag

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"

# Tag suffix -> the platform the index names, and the image-config platforms accepted for it.
# nixpkgs' dockerTools records Go's GOARCH and no variant, so its armv7l-linux image says plain
# "linux/arm" (which the OCI tools read as arm/v7); the index spells the variant out, so that
# every client sees linux/arm/v7 without normalising.
PLATFORMS = {
    "amd64": ({"architecture": "amd64", "os": "linux"}, ("linux/amd64",)),
    "arm64": ({"architecture": "arm64", "os": "linux"}, ("linux/arm64", "linux/arm64/v8")),
    "armv7": (
        {"architecture": "arm", "os": "linux", "variant": "v7"},
        ("linux/arm/v7", "linux/arm"),
    ),
}
ARCHITECTURES = tuple(PLATFORMS)


def merge_manifests(
    *, repository: str, version: str, architectures: list[str], registry: Registry
) -> list[str]:
    """Push the index once every arch image exists and matches its arch; return its platforms."""
    validate_repository(repository)
    validate_tag(version)
    if not architectures:
        raise ReleaseError("no architecture selected")

    entries, media_types, problems = [], set(), []
    for arch in architectures:
        source = f"{repository}:{version}-{arch}"
        try:
            platform = registry.architecture(source)
        except RegistryNotFound:
            problems.append(f"missing arch image {source}")
            continue
        index_platform, accepted = PLATFORMS[arch]
        if platform not in accepted:
            problems.append(f"{source} is built for {platform}, not {accepted[0]}")
            continue
        descriptor = registry.descriptor(source)
        entries.append({**descriptor, "platform": index_platform})
        media_types.add(descriptor["mediaType"])
    if problems:
        raise ReleaseError("not merging, nothing pushed: " + "; ".join(problems))

    # Keep the family of the arch manifests: nixpkgs' docker-archive images arrive as Docker v2
    # manifests.
    index_type = DOCKER_LIST if media_types == {DOCKER_MANIFEST} else OCI_INDEX
    target = f"{repository}:{version}"
    registry.put_index(target, entries, index_type)
    return registry.platforms(target)
