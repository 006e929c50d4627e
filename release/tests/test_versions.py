import pytest
from release_tool.errors import UsageError
from release_tool.versions import (
    is_prerelease,
    parse_version,
    validate_repository,
    validate_tag,
    version_tags,
)


def test_release_candidate_sorts_before_its_release():
    assert parse_version("1.2.3-rc1") < parse_version("1.2.3")
    assert parse_version("1.2.3alpha") < parse_version("1.2.3-rc1")


def test_versions_compare_numerically_not_as_text():
    assert parse_version("1.10.0") > parse_version("1.9.0")
    assert parse_version("v2.0.0") == parse_version("2.0.0")


@pytest.mark.parametrize(
    "tag", ["1.2.3alpha", "1.2.3-rc1", "1.2.3.dev0", "1.2.3-beta.2", "1.2.3-test", "1.2.3pre"]
)
def test_prerelease_tags_are_recognised(tag):
    assert is_prerelease(tag)


@pytest.mark.parametrize("tag", ["1.2.3", "v1.2.3", "2.0", "1.2.3.post1"])
def test_final_releases_are_not_prereleases(tag):
    assert not is_prerelease(tag)


def test_version_tags_skip_arch_and_non_version_tags_newest_first():
    tags = [
        "latest",
        "1.0.0",
        "1.0.0-amd64",
        "1.10.0",
        "1.9.0-arm64",
        "staging",
        "1.9.0",
        "2.0.0rc1",
    ]
    assert [tag for _, tag in version_tags(tags)] == ["2.0.0rc1", "1.10.0", "1.9.0", "1.0.0"]


@pytest.mark.parametrize(
    "tag", ["", "bad tag", "-1.0.0", ".hidden", "1.0.0/x", "a" * 129, "1.0.0:latest"]
)
def test_malformed_tags_are_refused(tag):
    with pytest.raises(UsageError):
        validate_tag(tag)


@pytest.mark.parametrize(
    "repository",
    [
        "registry.example.com/Group/App",
        "registry.example.com/app:1.0",
        "registry.example.com/app@sha256:00",
        "",
        "a//b",
    ],
)
def test_malformed_repositories_are_refused(repository):
    with pytest.raises(UsageError):
        validate_repository(repository)


def test_registry_with_port_and_nested_path_is_a_repository():
    assert validate_repository("127.0.0.1:5000/group/sub/webapp-django")
