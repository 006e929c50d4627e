"""Copy the multi-arch tag to the release registry and move `latest` when the rules say so."""

from dataclasses import dataclass

from release_tool.errors import ReleaseError
from release_tool.latest import Decision
from release_tool.registry import Registry
from release_tool.versions import validate_repository, validate_tag


@dataclass(frozen=True)
class Promotion:
    released: str
    latest_moved: bool


def promote(
    *, source: str, target: str, version: str, decision: Decision, registry: Registry
) -> Promotion:
    validate_repository(source)
    validate_repository(target)
    validate_tag(version)
    source_ref, released = f"{source}:{version}", f"{target}:{version}"
    if registry.digest(source_ref) is None:
        raise ReleaseError(
            f"nothing to promote: {source_ref} does not exist (did build_manifests run?)"
        )
    if source_ref != released:
        registry.copy_all(source_ref, released)
    if decision.update:
        registry.copy_all(released, f"{target}:latest")
    return Promotion(released=released, latest_moved=decision.update)
