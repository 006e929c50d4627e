"""Merge the per-arch images <image>:<version>-<arch> into the multi-arch tag <image>:<version>."""

from release_tool.errors import ReleaseError
from release_tool.registry import Registry, RegistryNotFound
from release_tool.versions import validate_repository, validate_tag

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"


def merge_manifests(
    *, repository: str, version: str, architectures: list[str], registry: Registry
) -> list[str]:
    """Push the index once every arch image exists and matches its arch; return its platforms."""
    validate_repository(repository)
    validate_tag(version)
    if not architectures:
        raise ReleaseError("no architecture selected")

    sources, media_types, problems = [], set(), []
    for arch in architectures:
        source = f"{repository}:{version}-{arch}"
        try:
            platform = registry.architecture(source)
        except RegistryNotFound:
            problems.append(f"missing arch image {source}")
            continue
        if platform != f"linux/{arch}":
            problems.append(f"{source} is built for {platform}, not linux/{arch}")
            continue
        sources.append(source)
        media_types.add(registry.media_type(source))
    if problems:
        raise ReleaseError("not merging, nothing pushed: " + "; ".join(problems))

    # Keep the family of the arch manifests: nixpkgs' docker-archive images arrive as Docker v2
    # manifests.
    index_type = DOCKER_LIST if media_types == {DOCKER_MANIFEST} else OCI_INDEX
    target = f"{repository}:{version}"
    registry.create_index(target, sources, index_type)
    return registry.platforms(target)
