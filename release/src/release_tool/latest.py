"""Should `latest` move to this tag? Only to an annotated tag naming a final release newer than
the one `latest` points to now (PEP 440 ordering): a rebuild of an old tag or an internal build
must never move what users pull by default."""

from dataclasses import asdict, dataclass
from pathlib import Path

from release_tool.errors import UsageError
from release_tool.registry import Registry
from release_tool.tag_type import ANNOTATED, detect_tag_type
from release_tool.versions import is_prerelease, require_version, validate_tag, version_tags

STRATEGIES = ("auto", "force", "skip")


@dataclass(frozen=True)
class Decision:
    update: bool
    reason: str
    tag: str
    strategy: str
    tag_type: str | None = None
    tag_type_source: str | None = None
    current_latest: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def should_update_latest(
    *,
    tag: str,
    repository: str,
    strategy: str,
    registry: Registry,
    tag_type_override: str | None,
    repo_dir: Path,
    env: dict[str, str],
) -> Decision:
    validate_tag(tag)
    if strategy not in STRATEGIES:
        raise UsageError(
            f"UPDATE_LATEST_STRATEGY must be one of {', '.join(STRATEGIES)}, not {strategy!r}"
        )
    if strategy == "force":
        return Decision(True, "strategy force: latest always moves", tag, strategy)
    if strategy == "skip":
        return Decision(False, "strategy skip: latest never moves", tag, strategy)

    tag_type = detect_tag_type(tag, override=tag_type_override, repo=repo_dir, env=env)
    decided = {
        "tag": tag,
        "strategy": strategy,
        "tag_type": tag_type.kind,
        "tag_type_source": tag_type.source,
    }
    if tag_type.kind != ANNOTATED:
        return Decision(False, f"{tag} is a lightweight tag (internal/alpha release)", **decided)
    if is_prerelease(tag):
        return Decision(False, f"{tag} is a pre-release version", **decided)
    new_version = require_version(tag)

    current = current_latest_tag(repository, registry)
    if current is None:
        return Decision(True, f"{repository}:latest does not exist yet", **decided)
    if current == "":
        return Decision(
            True, f"{repository}:latest matches no version tag; replacing it", **decided
        )
    if new_version > require_version(current):
        return Decision(True, f"{tag} is newer than {current}", current_latest=current, **decided)
    return Decision(False, f"{tag} is not newer than {current}", current_latest=current, **decided)


def current_latest_tag(repository: str, registry: Registry) -> str | None:
    """The newest version tag sharing `latest`'s digest; "" if none does, None without `latest`."""
    latest_digest = registry.digest(f"{repository}:latest")
    if latest_digest is None:
        return None
    for _, tag in version_tags(registry.tags(repository)):
        if registry.digest(f"{repository}:{tag}") == latest_digest:
            return tag
    return ""
