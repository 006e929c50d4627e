"""Image tags, release versions and how they compare."""

import re

from packaging.version import InvalidVersion, Version

from release_tool.errors import UsageError

# The tag grammar of the OCI distribution spec.
_IMAGE_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
# repository path: lowercase components, optional registry host[:port] in front.
_REPOSITORY = re.compile(
    r"(?:[A-Za-z0-9.-]+(?::[0-9]+)?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
    r"(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"
)
# Tags carrying one of these words are internal/pre-release builds, also those PEP 440 cannot
# parse (1.2.3test), so no such tag ever moves `latest`.
_PRERELEASE_WORDS = re.compile(r"alpha|beta|rc|pre|dev|test", re.IGNORECASE)
ARCH_SUFFIXES = ("-amd64", "-arm64")


def validate_tag(tag: str) -> str:
    if not tag:
        raise UsageError("no tag given (pass --tag or set CI_COMMIT_TAG)")
    if not _IMAGE_TAG.fullmatch(tag):
        raise UsageError(
            f"malformed tag {tag!r}: an image tag is 1-128 characters of letters, digits, "
            "'_', '.', '-' "
            "and cannot start with '.' or '-'"
        )
    return tag


def validate_repository(repository: str) -> str:
    if not repository:
        raise UsageError("no image repository given")
    if "@" in repository or not _REPOSITORY.fullmatch(repository):
        raise UsageError(
            f"malformed image repository {repository!r}: expected registry/path/name "
            "without tag or digest, "
            "lowercase path (e.g. registry.example.com/group/webapp-django)"
        )
    return repository


def parse_version(tag: str) -> Version | None:
    """The PEP 440 reading of a tag (1.2.3, v1.2.3, 1.2.3-rc1, 1.2.3alpha), or None."""
    try:
        return Version(tag)
    except InvalidVersion:
        return None


def require_version(tag: str) -> Version:
    version = parse_version(tag)
    if version is None:
        raise UsageError(
            f"tag {tag!r} is not a release version "
            "(expected e.g. 1.2.3, v1.2.3, 1.2.3-rc1, 1.2.3alpha)"
        )
    return version


def is_prerelease(tag: str) -> bool:
    """True for 1.2.3-rc1, 1.2.3alpha, 1.2.3.dev0, and any tag with a pre-release word."""
    version = parse_version(tag)
    if version is not None and version.is_prerelease:
        return True
    return bool(_PRERELEASE_WORDS.search(tag))


def version_tags(tags: list[str]) -> list[tuple[Version, str]]:
    """Registry tags naming a release version, newest first; per-arch and other tags left out."""
    found = []
    for tag in tags:
        if tag.endswith(ARCH_SUFFIXES):
            continue
        version = parse_version(tag)
        if version is not None:
            found.append((version, tag))
    return sorted(found, reverse=True)
