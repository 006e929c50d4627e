"""Reads from GitLab's REST API with the variables a CI job has (CI_API_V4_URL, CI_PROJECT_ID)
and a token (GITLAB_TOKEN, else CI_JOB_TOKEN)."""

import json
import urllib.error
import urllib.parse
import urllib.request

from release_tool.errors import UsageError

API_TIMEOUT_SECONDS = 10


class GitLabUnavailable(Exception):
    """The API did not answer usefully (unreachable, refused, not JSON); callers fall back."""

    def __init__(self, reason: str, status: int | None = None):
        super().__init__(reason)
        self.status = status  # the HTTP status, when GitLab answered with an error


def project_url(env: dict[str, str], *path: str) -> str | None:
    """The project's API URL for the quoted path segments, or None when the job has no API vars."""
    api_url = env.get("CI_API_V4_URL")
    project = env.get("CI_PROJECT_ID")
    if not api_url or not project:
        return None
    if urllib.parse.urlsplit(api_url).scheme not in ("http", "https"):
        raise UsageError(f"CI_API_V4_URL must be an http(s) URL, not {api_url!r}")
    segments = [urllib.parse.quote(segment, safe="") for segment in (project, *path)]
    return f"{api_url.rstrip('/')}/projects/" + "/".join(segments)


def get_json(url: str, env: dict[str, str]) -> object:
    # project_url checked the scheme, so urlopen cannot be steered to file: URLs.
    request = urllib.request.Request(url, headers=_auth_headers(env))  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=API_TIMEOUT_SECONDS) as response:  # noqa: S310
            return json.load(response)
    except urllib.error.HTTPError as error:
        raise GitLabUnavailable(str(error), error.code) from error
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as error:
        raise GitLabUnavailable(str(error)) from error


def _auth_headers(env: dict[str, str]) -> dict[str, str]:
    if env.get("GITLAB_TOKEN"):
        return {"PRIVATE-TOKEN": env["GITLAB_TOKEN"]}
    if env.get("CI_JOB_TOKEN"):
        return {"JOB-TOKEN": env["CI_JOB_TOKEN"]}
    return {}
