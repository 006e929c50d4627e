"""`release e2c reap`: nothing keeps billing after a runner crashed before its after_script.

Instances are arranged in moto as setup tags them; GitLab's jobs API is served by a small
local HTTP server (GitLab cannot run here), in the response shape of its "Get a single job".
"""

import time

import pytest
from conftest import AMI, PROJECT, JsonHandler, serving
from release_tool.e2c.lifecycle import LEASE_PREFIX, TAG_JOB, TAG_PIPELINE, TAG_PROJECT

TOKEN = "glpat-reap"
JOB_STATUS = {"201": "failed", "202": "running", "203": "success", "204": "canceled"}


class FakeGitLabJobs(JsonHandler):
    def do_GET(self):
        prefix = "/api/v4/projects/7/jobs/"
        if self.headers.get("PRIVATE-TOKEN") != TOKEN:
            return self.reply(401, {"message": "401 Unauthorized"})
        job_id = self.path.removeprefix(prefix) if self.path.startswith(prefix) else ""
        if job_id not in JOB_STATUS:
            return self.reply(404, {"message": "404 Not found"})
        return self.reply(200, {"id": int(job_id), "status": JOB_STATUS[job_id]})


@pytest.fixture(scope="module")
def gitlab_api():
    with serving(FakeGitLabJobs) as url:
        yield f"{url}/api/v4"


def launched_by_job(ec2, job_id: str, project: str = PROJECT) -> str:
    tags = [
        {"Key": TAG_PROJECT, "Value": project},
        {"Key": TAG_PIPELINE, "Value": "55"},
        {"Key": TAG_JOB, "Value": job_id},
    ]
    reservation = ec2.run_instances(
        ImageId=AMI,
        MinCount=1,
        MaxCount=1,
        TagSpecifications=[{"ResourceType": "instance", "Tags": tags}],
    )
    return reservation["Instances"][0]["InstanceId"]


def state_of(ec2, instance_id: str) -> str:
    reservations = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
    return reservations[0]["Instances"][0]["State"]["Name"]


def launch_time(ec2, instance_id: str) -> float:
    reservations = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
    return reservations[0]["Instances"][0]["LaunchTime"].timestamp()


def lease_keys(ec2, instance_id: str) -> set[str]:
    reservations = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
    tags = reservations[0]["Instances"][0].get("Tags", [])
    return {tag["Key"] for tag in tags if tag["Key"].startswith(LEASE_PREFIX)}


def leased_builder(ec2, *job_ids: str) -> str:
    """A running instance leased, as setup leases it, by these jobs of this project."""
    builder = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    since = str(int(time.time()))
    for job_id in job_ids:
        ec2.create_tags(
            Resources=[builder],
            Tags=[{"Key": f"{LEASE_PREFIX}{job_id}", "Value": f"{PROJECT} 55 {since}"}],
        )
    return builder


@pytest.fixture
def reap_env(e2c_env, gitlab_api):
    return {**e2c_env, "CI_API_V4_URL": gitlab_api, "CI_PROJECT_ID": "7", "GITLAB_TOKEN": TOKEN}


def reap(run_release, env, *args):
    return run_release("e2c", "reap", *args, env=env)


def test_instances_of_ended_jobs_are_terminated(run_release, reap_env, ec2):
    failed = launched_by_job(ec2, "201")
    running = launched_by_job(ec2, "202")
    gone = launched_by_job(ec2, "299")
    other_project = launched_by_job(ec2, "201", project="group/other")
    result = reap(run_release, reap_env)
    assert result.returncode == 0, result.stderr
    assert sorted(result.stdout.splitlines()) == sorted(
        [
            f"terminate {failed} (job 201 ended: failed)",
            f"terminate {gone} (job 299 is gone from GitLab)",
        ]
    )
    assert state_of(ec2, failed) in ("shutting-down", "terminated")
    assert state_of(ec2, gone) in ("shutting-down", "terminated")
    assert state_of(ec2, running) == "running"
    assert state_of(ec2, other_project) == "running"


def test_dry_run_changes_nothing(run_release, reap_env, ec2):
    failed = launched_by_job(ec2, "201")
    result = reap(run_release, reap_env, "--dry-run")
    assert result.returncode == 0, result.stderr
    assert f"terminate {failed} (job 201 ended: failed)" in result.stdout
    assert state_of(ec2, failed) == "running"


def test_leases_of_ended_jobs_are_dropped_and_the_idle_instance_stopped(run_release, reap_env, ec2):
    builder = leased_builder(ec2, "203", "204")
    env = {**reap_env, "E2C_INSTANCE_ID": builder}
    result = reap(run_release, env)
    assert result.returncode == 0, result.stderr
    assert f"release lease of job 203 on {builder} (ended: success)" in result.stdout
    assert f"release lease of job 204 on {builder} (ended: canceled)" in result.stdout
    assert f"stopped {builder} (no lease left)" in result.stdout
    assert lease_keys(ec2, builder) == set()
    assert state_of(ec2, builder) == "stopped"


def test_a_running_jobs_lease_keeps_the_instance_running(run_release, reap_env, ec2):
    builder = leased_builder(ec2, "202", "203")
    result = reap(run_release, {**reap_env, "E2C_INSTANCE_ID": builder})
    assert result.returncode == 0, result.stderr
    assert lease_keys(ec2, builder) == {f"{LEASE_PREFIX}202"}
    assert state_of(ec2, builder) == "running"


def test_without_the_api_age_decides(run_release, e2c_env, ec2):
    instance_id = launched_by_job(ec2, "202")
    young = reap(run_release, {**e2c_env, "E2C_REAP_AFTER": "3600"})
    assert young.returncode == 0, young.stderr
    assert young.stdout.strip() == "nothing to reap"
    assert state_of(ec2, instance_id) == "running"

    # Until the instance is older than E2C_REAP_AFTER=1 s by its own LaunchTime (moto's clock).
    launched = launch_time(ec2, instance_id)
    while time.time() - launched <= 1:
        time.sleep(0.05)
    old = reap(run_release, {**e2c_env, "E2C_REAP_AFTER": "1"})
    assert old.returncode == 0, old.stderr
    assert "older than E2C_REAP_AFTER=1 s" in old.stdout
    assert state_of(ec2, instance_id) in ("shutting-down", "terminated")


def test_reap_needs_the_project(run_release, e2c_env):
    result = reap(run_release, {**e2c_env, "CI_PROJECT_PATH": ""})
    assert result.returncode == 2
    assert "CI_PROJECT_PATH is not set" in result.stderr
