"""Is a git tag annotated (an official release) or lightweight (internal/alpha)?

Sources, first answer wins: TAG_TYPE_OVERRIDE, the local clone (`git cat-file`), the GitLab tags
API, then the seed's name heuristic. CI clones may lack the tag object (shallow or detached
fetches), which is why the API and the heuristic exist as fallbacks.
"""

import json
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from release_tool.errors import UsageError
from release_tool.versions import is_prerelease

ANNOTATED = "annotated"
LIGHTWEIGHT = "lightweight"
API_TIMEOUT_SECONDS = 10


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
    api_url = env.get("CI_API_V4_URL")
    project = env.get("CI_PROJECT_ID")
    if not api_url or not project:
        return None
    if urllib.parse.urlsplit(api_url).scheme not in ("http", "https"):
        raise UsageError(f"CI_API_V4_URL must be an http(s) URL, not {api_url!r}")
    url = (
        f"{api_url.rstrip('/')}/projects/{urllib.parse.quote(project, safe='')}"
        f"/repository/tags/{urllib.parse.quote(tag, safe='')}"
    )
    # The scheme is checked above, so urlopen cannot be steered to file: URLs.
    request = urllib.request.Request(url, headers=_auth_headers(env))  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=API_TIMEOUT_SECONDS) as response:  # noqa: S310
            body = json.load(response)
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as error:
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


def _auth_headers(env: dict[str, str]) -> dict[str, str]:
    if env.get("GITLAB_TOKEN"):
        return {"PRIVATE-TOKEN": env["GITLAB_TOKEN"]}
    if env.get("CI_JOB_TOKEN"):
        return {"JOB-TOKEN": env["CI_JOB_TOKEN"]}
    return {}
