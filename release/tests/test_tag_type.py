"""Tag type detection: override, then git, then the GitLab tags API, then the name."""

import pytest
from conftest import JsonHandler, serving
from release_tool.errors import UsageError
from release_tool.tag_type import ANNOTATED, LIGHTWEIGHT, detect_tag_type

COMMIT = "2695effb5807a22ff3d138d593fd856244e155e7"
TAG_OBJECT = "8f6a3d2b1c0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a"
# Response shapes from GitLab's "Get a single repository tag" documentation.
GITLAB_TAGS = {
    "4.0.0": {
        "name": "4.0.0",
        "message": "Release 4.0.0",
        "target": TAG_OBJECT,
        "commit": {"id": COMMIT},
    },
    "4.1.0": {"name": "4.1.0", "message": None, "target": COMMIT, "commit": {"id": COMMIT}},
    "4.2.0": {"name": "4.2.0", "message": "", "target": TAG_OBJECT, "commit": {"id": COMMIT}},
}
TOKEN = "glpat-test"


class FakeGitLab(JsonHandler):
    """GitLab cannot run here; this serves its documented tags API, and requires the token."""

    def do_GET(self):
        prefix = "/api/v4/projects/group%2Fwebapp/repository/tags/"
        if self.headers.get("PRIVATE-TOKEN") != TOKEN and self.headers.get("JOB-TOKEN") != TOKEN:
            return self.reply(401, {"message": "401 Unauthorized"})
        tag = self.path.removeprefix(prefix) if self.path.startswith(prefix) else None
        if tag not in GITLAB_TAGS:
            return self.reply(404, {"message": "404 Tag Not Found"})
        return self.reply(200, GITLAB_TAGS[tag])


@pytest.fixture(scope="module")
def gitlab_api():
    with serving(FakeGitLab) as url:
        yield f"{url}/api/v4"


def api_env(url, **extra):
    return {"CI_API_V4_URL": url, "CI_PROJECT_ID": "group/webapp", **extra}


def test_git_tells_annotated_from_lightweight(git_repo):
    assert detect_tag_type("2.0.0", override=None, repo=git_repo, env={}).kind == ANNOTATED
    assert detect_tag_type("2.1.0", override=None, repo=git_repo, env={}).kind == LIGHTWEIGHT
    assert detect_tag_type("2.1.0", override=None, repo=git_repo, env={}).source == "git cat-file"


def test_override_wins_over_git(git_repo):
    found = detect_tag_type("2.1.0", override=ANNOTATED, repo=git_repo, env={})
    assert (found.kind, found.source) == (ANNOTATED, "TAG_TYPE_OVERRIDE")


def test_unknown_override_is_refused(git_repo):
    with pytest.raises(UsageError, match="TAG_TYPE_OVERRIDE"):
        detect_tag_type("2.0.0", override="signed", repo=git_repo, env={})


def test_gitlab_api_answers_when_the_clone_lacks_the_tag(tmp_path, gitlab_api):
    env = api_env(gitlab_api, GITLAB_TOKEN=TOKEN)
    annotated = detect_tag_type("4.0.0", override=None, repo=tmp_path, env=env)
    assert (annotated.kind, annotated.source) == (ANNOTATED, "GitLab tags API")
    assert detect_tag_type("4.1.0", override=None, repo=tmp_path, env=env).kind == LIGHTWEIGHT
    # An annotated tag with an empty message is still a tag object, distinct from the commit.
    assert detect_tag_type("4.2.0", override=None, repo=tmp_path, env=env).kind == ANNOTATED


def test_gitlab_api_accepts_the_job_token(tmp_path, gitlab_api):
    env = api_env(gitlab_api, CI_JOB_TOKEN=TOKEN)
    assert (
        detect_tag_type("4.1.0", override=None, repo=tmp_path, env=env).source == "GitLab tags API"
    )


def test_refused_api_falls_back_to_the_name_heuristic(tmp_path, gitlab_api, capsys):
    found = detect_tag_type("4.1.0", override=None, repo=tmp_path, env=api_env(gitlab_api))
    assert found.source.startswith("name heuristic")
    assert found.kind == ANNOTATED  # no pre-release word in "4.1.0"
    assert "401" in capsys.readouterr().err


def test_unreachable_api_falls_back_to_the_name_heuristic(tmp_path):
    env = {"CI_API_V4_URL": "http://127.0.0.1:9/api/v4", "CI_PROJECT_ID": "1"}
    found = detect_tag_type("5.0.0beta1", override=None, repo=tmp_path, env=env)
    assert (found.kind, found.source[:14]) == (LIGHTWEIGHT, "name heuristic")


@pytest.mark.parametrize(
    ("tag", "kind"),
    [
        ("1.2.3", ANNOTATED),
        ("1.2.3alpha", LIGHTWEIGHT),
        ("1.2.3-rc1", LIGHTWEIGHT),
        ("1.2.3-test", LIGHTWEIGHT),
    ],
)
def test_name_heuristic(tmp_path, tag, kind):
    assert detect_tag_type(tag, override=None, repo=tmp_path, env={}).kind == kind
