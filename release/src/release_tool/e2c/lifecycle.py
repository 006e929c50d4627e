"""setup, teardown, status and reap: the builder instance from start to stop or termination.

existing: one long-lived instance, started when stopped and stopped by the last job out. Each
job leases it with its own tag (`e2c:lease:<job id>`), so two jobs arriving at once never
overwrite each other's lease, as they would with one tag holding a list.
template: a fresh instance per job from the launch template (spot if asked, on-demand when
spot has no capacity and E2C_SPOT_FALLBACK=true), tagged with project, pipeline and job, and
terminated by teardown, or by reap once its job has ended.
"""

import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from release_tool import gitlab_api
from release_tool.e2c import config, remote, state
from release_tool.e2c.cloud import LIVE_STATES, Cloud, NoSpotCapacity
from release_tool.errors import ReleaseError, UsageError

TAG_PROJECT = "e2c:project"
TAG_PIPELINE = "e2c:pipeline"
TAG_JOB = "e2c:job"
LEASE_PREFIX = "e2c:lease:"
# GitLab job statuses after which a job will never use its builder again.
ENDED = frozenset({"success", "failed", "canceled", "skipped"})


def log(message: str) -> None:
    print(f"release e2c: {message}", file=sys.stderr, flush=True)


def setup(env: dict[str, str], state_dir: Path) -> state.State:
    # Every setting first: bad configuration exits 2 before anything is started or billed.
    job = config.read_job(env)
    instance = config.read_instance(env)
    ssh = config.read_ssh(env)
    timeouts = config.read_timeouts(env)
    path = state.state_path(state_dir, job.job_id)
    if path.exists():
        raise UsageError(f"{path} exists: this job already has an instance (teardown first)")
    cloud = Cloud.from_env()

    if instance.strategy == "existing":
        current = _lease(cloud, instance.instance_id, job, path)
    else:
        current = _launch(cloud, instance, job, path)
    instance_id = current.TARGET_INSTANCE_ID

    running = cloud.wait(
        instance_id,
        lambda i: i["State"]["Name"] == "running" and bool(i.get("PublicIpAddress")),
        what="running with a public IP",
        timeout=timeouts.running,
        poll=timeouts.poll,
        on_state=_start_when_stopped(cloud) if instance.strategy == "existing" else _alive,
    )
    current.E2C_PUBLIC_IP = running["PublicIpAddress"]
    host = ssh.host_override or current.E2C_PUBLIC_IP
    builder = remote.write_ssh_files(state.ssh_dir(state_dir, job.job_id), host=host, ssh=ssh)
    current.E2C_SSH_CONFIG = str(builder.ssh_config)
    current.E2C_NIX_STORE = builder.store_uri
    current.E2C_BUILDER = builder.builders_line
    state.write(path, current)
    log(f"{instance_id} runs at {current.E2C_PUBLIC_IP}; waiting for SSH on {host}:{ssh.port}")

    address = f"{host}:{ssh.port}"
    remote.wait_for_ssh(builder, address=address, timeout=timeouts.ssh, poll=timeouts.poll)
    remote.wait_for_nix(builder, address=address, timeout=timeouts.nix, poll=timeouts.poll)
    log(f"builder ready: {builder.builders_line}")
    return current


def _lease(cloud: Cloud, instance_id: str, job: config.Job, path: Path) -> state.State:
    found = cloud.describe(instance_id)
    _alive(found)
    key = f"{LEASE_PREFIX}{job.job_id}"
    cloud.tag(instance_id, key, _lease_value(job))
    current = state.State(
        TARGET_INSTANCE_ID=instance_id,
        E2C_INSTANCE_STRATEGY="existing",
        E2C_REGION=cloud.region,
        E2C_LEASE_TAG=key,
    )
    state.write(path, current)
    log(f"leased {instance_id} ({found['State']['Name']}) for job {job.job_id}")
    return current


def _lease_value(job: config.Job) -> str:
    return f"{job.project} {job.pipeline_id or '-'} {int(time.time())}"


def _launch(cloud: Cloud, instance: config.Instance, job: config.Job, path: Path) -> state.State:
    tags = {
        "Name": f"e2c-{job.project.replace('/', '-')}-{job.job_id}",
        TAG_PROJECT: job.project,
        TAG_PIPELINE: job.pipeline_id,
        TAG_JOB: job.job_id,
    }
    launch = dict(
        template_id=instance.launch_template_id,
        version=instance.launch_template_version,
        max_price=instance.spot_max_price,
        tags=tags,
    )
    market = "spot" if instance.use_spot else "on-demand"
    try:
        instance_id = cloud.launch(spot=instance.use_spot, **launch)
    except NoSpotCapacity as error:
        if not instance.spot_fallback:
            raise ReleaseError(
                f"no spot capacity ({error.message}); set E2C_SPOT_FALLBACK=true to fall back "
                "to on-demand"
            ) from error
        log(f"no spot capacity ({error.message}); launching on-demand instead")
        market = "on-demand (spot fallback)"
        instance_id = cloud.launch(spot=False, **launch)
    current = state.State(
        TARGET_INSTANCE_ID=instance_id, E2C_INSTANCE_STRATEGY="template", E2C_REGION=cloud.region
    )
    state.write(path, current)
    log(f"launched {instance_id} ({market}) from {instance.launch_template_id}")
    return current


def _alive(instance: dict) -> None:
    name = instance["State"]["Name"]
    if name in ("shutting-down", "terminated"):
        raise ReleaseError(f"{instance['InstanceId']} is {name}; it cannot build")


def _start_when_stopped(cloud: Cloud):
    def act(instance: dict) -> None:
        _alive(instance)
        # A stopping instance cannot be started yet: the next poll sees it stopped.
        if instance["State"]["Name"] == "stopped":
            log(f"starting {instance['InstanceId']}")
            cloud.start(instance["InstanceId"])

    return act


def teardown(env: dict[str, str], state_dir: Path) -> str:
    job = config.read_job(env, need_project=False)
    timeouts = config.read_timeouts(env)
    path = state.state_path(state_dir, job.job_id)
    if not path.exists():
        return f"no state file for job {job.job_id}: nothing to tear down"
    current = state.read(path)
    cloud = Cloud.from_env(current.E2C_REGION)
    instance_id = current.TARGET_INSTANCE_ID
    if current.E2C_INSTANCE_STRATEGY == "template":
        cloud.terminate(instance_id)
        outcome = f"terminated {instance_id}"
    else:
        outcome = _release_lease(cloud, instance_id, current.E2C_LEASE_TAG, timeouts)
    # Only once the cloud side is done: a failed teardown can be run again.
    state.remove(state_dir, job.job_id)
    return outcome


def _release_lease(cloud: Cloud, instance_id: str, key: str, timeouts: config.Timeouts) -> str:
    tags = cloud.tags(instance_id)
    if key in tags:
        cloud.untag(instance_id, key, tags[key])
    others = _leases(cloud.tags(instance_id))
    if others:
        return f"{instance_id} left running: still leased by job(s) {', '.join(sorted(others))}"
    return _stop(cloud, instance_id, timeouts)


def _stop(cloud: Cloud, instance_id: str, timeouts: config.Timeouts) -> str:
    if cloud.describe(instance_id)["State"]["Name"] in ("stopped", "terminated"):
        return f"{instance_id} already stopped"
    cloud.stop(instance_id)
    cloud.wait(
        instance_id,
        lambda i: i["State"]["Name"] == "stopped",
        what="stopped",
        timeout=timeouts.stop,
        poll=timeouts.poll,
    )
    return f"stopped {instance_id}"


def _leases(tags: dict[str, str]) -> dict[str, str]:
    """Job id -> lease value, for every job holding the instance."""
    return {k.removeprefix(LEASE_PREFIX): v for k, v in tags.items() if k.startswith(LEASE_PREFIX)}


def status(env: dict[str, str], state_dir: Path) -> list[str]:
    job = config.read_job(env, need_project=False)
    path = state.state_path(state_dir, job.job_id)
    if not path.exists():
        raise ReleaseError(f"no state file for job {job.job_id} ({path}): no instance set up")
    current = state.read(path)
    instance = Cloud.from_env(current.E2C_REGION).describe(current.TARGET_INSTANCE_ID)
    tags = {tag["Key"]: tag["Value"] for tag in instance.get("Tags", [])}
    return [
        f"instance={current.TARGET_INSTANCE_ID}",
        f"strategy={current.E2C_INSTANCE_STRATEGY}",
        f"state={instance['State']['Name']}",
        f"public_ip={instance.get('PublicIpAddress', '')}",
        f"market={instance.get('InstanceLifecycle', 'on-demand')}",
        f"leases={','.join(sorted(_leases(tags)))}",
        f"builder={current.E2C_BUILDER}",
    ]


def reap(env: dict[str, str], *, dry_run: bool) -> list[str]:
    """Terminate this project's template instances, and drop its leases on E2C_INSTANCE_ID,
    whose jobs have ended; stop that instance when no lease is left."""
    project = config.read_project(env)
    max_age = config.read_seconds(env, "E2C_REAP_AFTER", 10800)
    timeouts = config.read_timeouts(env)
    existing_id = env.get("E2C_INSTANCE_ID") or None
    cloud = Cloud.from_env()
    ended = _JobEnded(env, max_age)
    actions = []

    launched = cloud.find(
        [
            {"Name": f"tag:{TAG_PROJECT}", "Values": [project]},
            {"Name": "instance-state-name", "Values": list(LIVE_STATES)},
        ]
    )
    for instance in launched:
        tags = {tag["Key"]: tag["Value"] for tag in instance.get("Tags", [])}
        job_id = tags.get(TAG_JOB, "")
        why = ended(job_id, instance["LaunchTime"].timestamp())
        if why:
            if not dry_run:
                cloud.terminate(instance["InstanceId"])
            actions.append(f"terminate {instance['InstanceId']} (job {job_id} {why})")

    if existing_id:
        tags = cloud.tags(existing_id)
        remaining = _leases(tags)
        for job_id, value in _leases(tags).items():
            owner, _pipeline, since = (value.split() + ["", "", "0"])[:3]
            if owner != project:
                continue
            why = ended(job_id, float(since) if since.isdigit() else 0.0)
            if why:
                if not dry_run:
                    cloud.untag(existing_id, f"{LEASE_PREFIX}{job_id}", value)
                del remaining[job_id]
                actions.append(f"release lease of job {job_id} on {existing_id} ({why})")
        if not remaining and cloud.describe(existing_id)["State"]["Name"] in ("pending", "running"):
            if dry_run:
                actions.append(f"stop {existing_id} (no lease left)")
            else:
                actions.append(_stop(cloud, existing_id, timeouts) + " (no lease left)")
    return actions


class _JobEnded:
    """Has a job ended? GitLab's jobs API says so when the job can read it (GITLAB_TOKEN with
    read_api); otherwise, or when the API fails, age decides: no job outlives E2C_REAP_AFTER."""

    def __init__(self, env: dict[str, str], max_age: float):
        self.env = env
        self.max_age = max_age
        self.api_usable = gitlab_api.project_url(env, "jobs") is not None

    def __call__(self, job_id: str, started: float) -> str | None:
        if job_id.isdigit() and self.api_usable:
            try:
                body = gitlab_api.get_json(
                    gitlab_api.project_url(self.env, "jobs", job_id), self.env
                )
            except gitlab_api.GitLabUnavailable as error:
                if error.status == 404:
                    return "is gone from GitLab"
                log(f"GitLab jobs API not usable ({error}); deciding by age")
                self.api_usable = False
            else:
                job_status = body.get("status") if isinstance(body, dict) else None
                return f"ended: {job_status}" if job_status in ENDED else None
        age = time.time() - started
        if age > self.max_age:
            since = datetime.fromtimestamp(started, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            return f"started {since}, older than E2C_REAP_AFTER={self.max_age:g} s"
        return None
