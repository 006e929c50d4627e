"""Is a git tag annotated (an official release) or lightweight (internal/alpha)?

Sources, first answer wins: TAG_TYPE_OVERRIDE, the local clone (`git cat-file`), the GitLab tags
API, then the tag's name (a pre-release word means lightweight). CI clones may lack the tag
object (shallow or detached fetches), which is why the API and the name exist as fallbacks.
"""

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from release_tool import gitlab_api
from release_tool.errors import UsageError
from release_tool.versions import is_prerelease

ANNOTATED = "annotated"
LIGHTWEIGHT = "lightweight"


@dataclass(frozen=True)
class TagType:
    kind: str  # ANNOTATED or LIGHTWEIGHT
    source: str  # which method decided, for the log


def detect_tag_type(tag: str, *, override: str | None, repo: Path, env: dict[str, str]) -> TagType:
    if override:
        if override not in (ANNOTATED, LIGHTWEIGHT):
            raise UsageError(
                f"TAG_TYPE_OVERRIDE must be 'annotated' or 'lightweight', not {override!r}"
            )
        return TagType(override, "TAG_TYPE_OVERRIDE")
    from_git = _from_git(tag, repo)
    if from_git:
        return TagType(from_git, "git cat-file")
    from_api = _from_gitlab_api(tag, env)
    if from_api:
        return TagType(from_api, "GitLab tags API")
    kind = LIGHTWEIGHT if is_prerelease(tag) else ANNOTATED
    return TagType(kind, "name heuristic (alpha/beta/rc/pre/dev/test)")


def _from_git(tag: str, repo: Path) -> str | None:
    try:
        result = subprocess.run(
            ["git", "-C", str(repo), "cat-file", "-t", f"refs/tags/{tag}"],
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError:
        return None
    object_type = result.stdout.strip()
    if result.returncode != 0:
        return None
    # An annotated tag ref points at a tag object; a lightweight one points straight at the commit.
    return {"tag": ANNOTATED, "commit": LIGHTWEIGHT}.get(object_type)


def _from_gitlab_api(tag: str, env: dict[str, str]) -> str | None:
    url = gitlab_api.project_url(env, "repository", "tags", tag)
    if url is None:
        return None
    try:
        body = gitlab_api.get_json(url, env)
    except gitlab_api.GitLabUnavailable as error:
        print(
            f"release: GitLab tags API not usable ({error}); falling back to the name heuristic",
            file=sys.stderr,
        )
        return None
    if not isinstance(body, dict):
        return None
    # The API gives "message": null for a lightweight tag; for an annotated one "target" is the tag
    # object's id, which differs from the commit id.
    if body.get("message"):
        return ANNOTATED
    commit = body.get("commit") or {}
    if body.get("target") and commit.get("id") and body["target"] != commit["id"]:
        return ANNOTATED
    return LIGHTWEIGHT
