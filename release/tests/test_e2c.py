"""`release e2c setup | teardown | status` against moto's EC2 server and a real sshd + Nix.

moto stands in for EC2 (it cannot refuse spot capacity, so a proxy refuses that one call);
the builder it reports is reached through E2C_SSH_HOST_OVERRIDE at the loopback sshd, where
`nix store ping --store ssh-ng://...` runs Debian's Nix against `nix-daemon --stdio`.
"""

import os
import shlex
import subprocess
from pathlib import Path

import pytest
from conftest import AMI, PROJECT, RELEASE_COMMAND, _free_port, release_environment
from release_tool.cli import main


def e2c(run_release, env, phase, state_dir, **overrides):
    return run_release("e2c", phase, "--state-dir", str(state_dir), env={**env, **overrides})


def launch_template(ec2) -> str:
    template = ec2.create_launch_template(
        LaunchTemplateName="e2c-builder",
        LaunchTemplateData={"ImageId": AMI, "InstanceType": "c7g.xlarge"},
    )
    return template["LaunchTemplate"]["LaunchTemplateId"]


def stopped_instance(ec2, **extra) -> str:
    instance_id = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, **extra)["Instances"][0][
        "InstanceId"
    ]
    ec2.stop_instances(InstanceIds=[instance_id])
    return instance_id


def described(ec2, instance_id) -> dict:
    return ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]


def all_instances(ec2) -> list[dict]:
    return [i for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]]


def tags(instance) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in instance.get("Tags", [])}


def read_state(path: Path) -> dict[str, str]:
    return {
        key: shlex.split(value)[0] if value else ""
        for key, _, value in (line.partition("=") for line in path.read_text().splitlines())
    }


@pytest.fixture
def checkout(tmp_path):
    """The job's working directory, where setup leaves its state (tmp_path also holds HOME)."""
    path = tmp_path / "checkout"
    path.mkdir()
    return path


@pytest.fixture
def template_env(e2c_env, ec2):
    return {
        **e2c_env,
        "E2C_INSTANCE_STRATEGY": "template",
        "E2C_LAUNCH_TEMPLATE_ID": launch_template(ec2),
    }


@pytest.fixture
def existing_env(e2c_env, ec2):
    return {
        **e2c_env,
        "E2C_INSTANCE_STRATEGY": "existing",
        "E2C_INSTANCE_ID": stopped_instance(ec2),
    }


# --- template ---------------------------------------------------------------------------------


def test_template_instance_is_created_tagged_reached_and_terminated(
    run_release, template_env, ec2, checkout
):
    setup = e2c(run_release, template_env, "setup", checkout)
    assert setup.returncode == 0, setup.stderr
    (instance,) = all_instances(ec2)
    assert instance["State"]["Name"] == "running"
    assert "InstanceLifecycle" not in instance  # on-demand unless E2C_USE_SPOT
    expected_tags = {"e2c:project": PROJECT, "e2c:pipeline": "55", "e2c:job": "101"}
    assert expected_tags.items() <= tags(instance).items()
    state = read_state(checkout / ".e2c_instance_state_101")
    assert state["TARGET_INSTANCE_ID"] == instance["InstanceId"]
    assert state["E2C_INSTANCE_STRATEGY"] == "template"
    assert state["E2C_PUBLIC_IP"] == instance["PublicIpAddress"]
    assert state["E2C_BUILDER"].startswith("ssh-ng://e2c-builder?remote-store=")
    assert state["E2C_BUILDER"].endswith(" aarch64-linux - 4 1")
    assert "builder ready" in setup.stderr

    teardown = e2c(run_release, template_env, "teardown", checkout)
    assert teardown.returncode == 0, teardown.stderr
    assert teardown.stdout.strip() == f"terminated {instance['InstanceId']}"
    assert described(ec2, instance["InstanceId"])["State"]["Name"] in (
        "shutting-down",
        "terminated",
    )
    assert list(checkout.iterdir()) == []


def test_spot_instance_when_asked(run_release, template_env, ec2, checkout):
    env = {**template_env, "E2C_USE_SPOT": "true", "E2C_SPOT_MAX_PRICE": "0.05"}
    setup = e2c(run_release, env, "setup", checkout)
    assert setup.returncode == 0, setup.stderr
    (instance,) = all_instances(ec2)
    assert instance["InstanceLifecycle"] == "spot"
    assert "(spot)" in setup.stderr


def test_no_spot_capacity_falls_back_to_on_demand(
    run_release, template_env, ec2, spot_refusing_proxy, checkout
):
    env = {
        **template_env,
        "AWS_ENDPOINT_URL_EC2": spot_refusing_proxy.url,
        "E2C_USE_SPOT": "true",
        "E2C_SPOT_FALLBACK": "true",
    }
    setup = e2c(run_release, env, "setup", checkout)
    assert setup.returncode == 0, setup.stderr
    assert spot_refusing_proxy.refused >= 1
    assert "InsufficientInstanceCapacity" in setup.stderr
    assert "launching on-demand instead" in setup.stderr
    (instance,) = all_instances(ec2)
    assert "InstanceLifecycle" not in instance
    assert instance["State"]["Name"] == "running"


def test_no_spot_capacity_without_fallback_fails_and_creates_nothing(
    run_release, template_env, ec2, spot_refusing_proxy, checkout
):
    env = {**template_env, "AWS_ENDPOINT_URL_EC2": spot_refusing_proxy.url, "E2C_USE_SPOT": "true"}
    setup = e2c(run_release, env, "setup", checkout)
    assert setup.returncode == 1
    assert "no spot capacity" in setup.stderr
    assert "E2C_SPOT_FALLBACK=true" in setup.stderr
    assert all_instances(ec2) == []
    assert list(checkout.iterdir()) == []


def test_teardown_after_a_failed_build_terminates(run_release, template_env, ec2, checkout, home):
    assert e2c(run_release, template_env, "setup", checkout).returncode == 0
    # The job's script phase: another shell sources the state file and uses the builder.
    build = subprocess.run(
        [
            "bash",
            "-c",
            "set -a && . ./.e2c_instance_state_101 && "
            'ssh -F "$E2C_SSH_CONFIG" e2c-builder "exit 3"',
        ],
        cwd=checkout,
        env=release_environment(home, {}),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert build.returncode == 3, build.stderr
    teardown = e2c(run_release, template_env, "teardown", checkout)
    assert teardown.returncode == 0, teardown.stderr
    (instance,) = all_instances(ec2)
    assert instance["State"]["Name"] in ("shutting-down", "terminated")


def test_setup_that_timed_out_leaves_state_for_teardown(run_release, template_env, ec2, checkout):
    closed = str(_free_port())
    setup = e2c(
        run_release, template_env, "setup", checkout, E2C_SSH_PORT=closed, E2C_SSH_TIMEOUT="1"
    )
    assert setup.returncode == 1
    assert f"timed out after 1 s waiting for SSH on 127.0.0.1:{closed}" in setup.stderr
    assert "Connection refused" in setup.stderr
    assert (checkout / ".e2c_instance_state_101").exists()
    assert e2c(run_release, template_env, "teardown", checkout).returncode == 0
    (instance,) = all_instances(ec2)
    assert instance["State"]["Name"] in ("shutting-down", "terminated")


def test_teardown_without_setup_is_a_no_op(run_release, template_env, checkout):
    teardown = e2c(run_release, template_env, "teardown", checkout)
    assert teardown.returncode == 0
    assert "nothing to tear down" in teardown.stdout


def test_status_describes_the_jobs_instance(run_release, template_env, ec2, checkout):
    assert e2c(run_release, template_env, "setup", checkout).returncode == 0
    status = e2c(run_release, template_env, "status", checkout)
    assert status.returncode == 0, status.stderr
    lines = dict(line.split("=", 1) for line in status.stdout.splitlines())
    (instance,) = all_instances(ec2)
    assert lines["instance"] == instance["InstanceId"]
    assert lines["state"] == "running"
    assert lines["strategy"] == "template"
    assert lines["market"] == "on-demand"


def test_status_without_setup_is_an_error(run_release, template_env, checkout):
    status = e2c(run_release, template_env, "status", checkout)
    assert status.returncode == 1
    assert "no instance set up" in status.stderr


# --- existing ---------------------------------------------------------------------------------


def test_existing_instance_is_started_leased_and_stopped_again(
    run_release, existing_env, ec2, checkout
):
    instance_id = existing_env["E2C_INSTANCE_ID"]
    setup = e2c(run_release, existing_env, "setup", checkout)
    assert setup.returncode == 0, setup.stderr
    instance = described(ec2, instance_id)
    assert instance["State"]["Name"] == "running"
    assert tags(instance)["e2c:lease:101"].startswith(f"{PROJECT} 55 ")
    assert f"starting {instance_id}" in setup.stderr

    teardown = e2c(run_release, existing_env, "teardown", checkout)
    assert teardown.returncode == 0, teardown.stderr
    assert teardown.stdout.strip() == f"stopped {instance_id}"
    instance = described(ec2, instance_id)
    assert instance["State"]["Name"] == "stopped"
    assert "e2c:lease:101" not in tags(instance)


def test_two_concurrent_jobs_share_the_instance_and_the_last_one_stops_it(
    existing_env, ec2, checkout, home
):
    instance_id = existing_env["E2C_INSTANCE_ID"]

    def start(job_id: str, phase: str) -> subprocess.Popen:
        env = {**existing_env, "CI_JOB_ID": job_id}
        return subprocess.Popen(
            [*RELEASE_COMMAND, "e2c", phase, "--state-dir", str(checkout)],
            env=release_environment(home, env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    jobs = [start("101", "setup"), start("102", "setup")]
    for job in jobs:
        _, stderr = job.communicate(timeout=120)
        assert job.returncode == 0, stderr
    leases = {key for key in tags(described(ec2, instance_id)) if key.startswith("e2c:lease:")}
    assert leases == {"e2c:lease:101", "e2c:lease:102"}

    first = start("101", "teardown")
    stdout, stderr = first.communicate(timeout=60)
    assert first.returncode == 0, stderr
    assert stdout.strip() == f"{instance_id} left running: still leased by job(s) 102"
    assert described(ec2, instance_id)["State"]["Name"] == "running"

    last = start("102", "teardown")
    stdout, stderr = last.communicate(timeout=60)
    assert last.returncode == 0, stderr
    assert stdout.strip() == f"stopped {instance_id}"
    assert described(ec2, instance_id)["State"]["Name"] == "stopped"


def test_terminated_existing_instance_is_a_cloud_error(run_release, existing_env, ec2, checkout):
    ec2.terminate_instances(InstanceIds=[existing_env["E2C_INSTANCE_ID"]])
    setup = e2c(run_release, existing_env, "setup", checkout)
    assert setup.returncode == 1
    assert "terminated; it cannot build" in setup.stderr


def test_unknown_existing_instance_is_a_cloud_error(run_release, existing_env, checkout):
    setup = e2c(run_release, existing_env, "setup", checkout, E2C_INSTANCE_ID="i-0123456789abcdef0")
    assert setup.returncode == 1
    assert "InvalidInstanceID.NotFound" in setup.stderr
    assert list(checkout.iterdir()) == []


# --- timeouts and refusals --------------------------------------------------------------------


def test_instance_without_public_ip_times_out(run_release, e2c_env, ec2, checkout):
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.1.0/24")["Subnet"]["SubnetId"]
    instance_id = stopped_instance(ec2, SubnetId=subnet)
    env = {**e2c_env, "E2C_INSTANCE_STRATEGY": "existing", "E2C_INSTANCE_ID": instance_id}
    setup = e2c(run_release, env, "setup", checkout, E2C_RUNNING_TIMEOUT="1")
    assert setup.returncode == 1
    assert (
        f"timed out after 1 s waiting for {instance_id} to be running with a public IP "
        "(last seen: running, no public IP)"
    ) in setup.stderr
    assert e2c(run_release, env, "teardown", checkout).returncode == 0
    assert described(ec2, instance_id)["State"]["Name"] == "stopped"


def test_builder_without_nix_times_out(run_release, template_env, checkout):
    setup = e2c(
        run_release,
        template_env,
        "setup",
        checkout,
        E2C_NIX_STORE_OPTIONS="remote-program=/nonexistent/nix-daemon",
        E2C_NIX_TIMEOUT="2",
    )
    assert setup.returncode == 1
    assert "timed out after 2 s waiting for Nix on 127.0.0.1:" in setup.stderr
    assert "ssh-ng://e2c-builder?remote-program=/nonexistent/nix-daemon" in setup.stderr


def test_unexpected_host_key_is_refused_at_once(run_release, template_env, sshd, checkout):
    setup = e2c(run_release, template_env, "setup", checkout, E2C_SSH_HOST_KEY=sshd.other_host_key)
    assert setup.returncode == 1
    assert "host key does not match E2C_SSH_HOST_KEY; refusing to connect" in setup.stderr
    assert "timed out" not in setup.stderr


# --- bad configuration: exit 2, one line, nothing started ---------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"E2C_INSTANCE_STRATEGY": "spare"}, "E2C_INSTANCE_STRATEGY must be existing or template"),
        ({"E2C_LAUNCH_TEMPLATE_ID": ""}, "needs E2C_LAUNCH_TEMPLATE_ID"),
        (
            {"E2C_INSTANCE_STRATEGY": "existing", "E2C_INSTANCE_ID": "builder-1"},
            "needs E2C_INSTANCE_ID",
        ),
        ({"E2C_SSH_HOST_KEY": ""}, "E2C_SSH_HOST_KEY is required"),
        ({"E2C_SSH_HOST_KEY": "ssh-ed25519 bm90IGEga2V5"}, "is not valid base64 key data"),
        ({"E2C_SSH_HOST_KEY": "AAAAC3NzaC1lZDI1NTE5"}, "is not '<type> <base64>'"),
        ({"E2C_SSH_PRIVATE_KEY": "bm90IGEga2V5"}, "E2C_SSH_PRIVATE_KEY must be a base64-encoded"),
        ({"E2C_SSH_USER": "Root User"}, "E2C_SSH_USER must be"),
        ({"E2C_SSH_PORT": "70000"}, "E2C_SSH_PORT must be a TCP port"),
        ({"E2C_SSH_TIMEOUT": "soon"}, "E2C_SSH_TIMEOUT must be a number of seconds"),
        ({"E2C_USE_SPOT": "maybe"}, "E2C_USE_SPOT must be true or false"),
        ({"E2C_SPOT_MAX_PRICE": "cheap"}, "E2C_SPOT_MAX_PRICE must be a price"),
        ({"E2C_BUILDER_SYSTEMS": "arm v7"}, "is not a Nix system"),
        ({"AWS_DEFAULT_REGION": ""}, "no AWS region"),
        ({"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""}, "no AWS credentials"),
        ({"CI_JOB_ID": ""}, "CI_JOB_ID must be the GitLab job id"),
    ],
)
def test_bad_configuration_exits_2_and_starts_nothing(
    monkeypatch, capsys, home, template_env, ec2, checkout, overrides, message
):
    # In-process through the CLI's main: the same code path as the command, without paying a
    # fresh interpreter and boto3 import for each of these cases.
    for name in list(os.environ):
        monkeypatch.delenv(name)
    for name, value in release_environment(home, {**template_env, **overrides}).items():
        monkeypatch.setenv(name, value)
    exit_code = main(["e2c", "setup", "--state-dir", str(checkout)])
    stderr = capsys.readouterr().err
    assert exit_code == 2, stderr
    assert message in stderr
    assert len(stderr.strip().splitlines()) == 1
    assert all_instances(ec2) == []
    assert list(checkout.iterdir()) == []


def test_second_setup_in_the_same_job_is_refused(run_release, template_env, ec2, checkout):
    assert e2c(run_release, template_env, "setup", checkout).returncode == 0
    again = e2c(run_release, template_env, "setup", checkout)
    assert again.returncode == 2
    assert "this job already has an instance" in again.stderr
    assert len(all_instances(ec2)) == 1
