"""EC2 through boto3: every call bounded in time, every failure one clear ReleaseError.

boto3 takes credentials, region and endpoint from its standard environment (AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION, AWS_ENDPOINT_URL_EC2), so a local EC2 stand-in such
as moto's server is reached the same way as the real API.
"""

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import boto3
import botocore.config
import botocore.exceptions

from release_tool.errors import ReleaseError, UsageError

# Retries of throttling and 5xx answers by botocore's standard mode, each attempt time-limited.
_CLIENT_CONFIG = botocore.config.Config(
    connect_timeout=10, read_timeout=30, retries={"mode": "standard", "max_attempts": 3}
)
# RunInstances answers that mean "no spot capacity for this request now" (EC2 API error codes).
SPOT_CAPACITY_ERRORS = frozenset(
    {"InsufficientInstanceCapacity", "SpotMaxPriceTooLow", "MaxSpotInstanceCountExceeded"}
)
LIVE_STATES = ("pending", "running", "stopping", "stopped")


class NoSpotCapacity(ReleaseError):
    pass


class Cloud:
    def __init__(self, client, region: str):
        self.client = client
        self.region = region

    @classmethod
    def from_env(cls, region_override: str = "") -> "Cloud":
        session = boto3.session.Session(region_name=region_override or None)
        if not session.region_name:
            raise UsageError("no AWS region: set AWS_DEFAULT_REGION (e.g. eu-north-1)")
        if session.get_credentials() is None:
            raise UsageError("no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
        return cls(session.client("ec2", config=_CLIENT_CONFIG), session.region_name)

    def describe(self, instance_id: str) -> dict:
        with _errors(f"describing {instance_id}"):
            reservations = self.client.describe_instances(InstanceIds=[instance_id])["Reservations"]
        instances = [i for r in reservations for i in r["Instances"]]
        if not instances:
            raise ReleaseError(f"EC2 instance {instance_id} does not exist in {self.region}")
        return instances[0]

    def find(self, filters: list[dict]) -> list[dict]:
        with _errors("listing instances"):
            pages = self.client.get_paginator("describe_instances").paginate(Filters=filters)
            return [i for page in pages for r in page["Reservations"] for i in r["Instances"]]

    def start(self, instance_id: str) -> None:
        with _errors(f"starting {instance_id}"):
            self.client.start_instances(InstanceIds=[instance_id])

    def stop(self, instance_id: str) -> None:
        with _errors(f"stopping {instance_id}"):
            self.client.stop_instances(InstanceIds=[instance_id])

    def terminate(self, instance_id: str) -> None:
        try:
            with _errors(f"terminating {instance_id}"):
                self.client.terminate_instances(InstanceIds=[instance_id])
        except ReleaseError as error:
            if "InvalidInstanceID.NotFound" not in error.message:
                raise

    def launch(
        self, *, template_id: str, version: str, spot: bool, max_price: str | None, tags: dict
    ) -> str:
        """Create one instance from the launch template; NoSpotCapacity when spot has none."""
        tag_list = [{"Key": key, "Value": value} for key, value in tags.items()]
        request = {
            "LaunchTemplate": {"LaunchTemplateId": template_id, "Version": version},
            "MinCount": 1,
            "MaxCount": 1,
            "TagSpecifications": [
                {"ResourceType": "instance", "Tags": tag_list},
                {"ResourceType": "volume", "Tags": tag_list},
            ],
        }
        if spot:
            options = {"SpotInstanceType": "one-time", "InstanceInterruptionBehavior": "terminate"}
            if max_price:
                options["MaxPrice"] = max_price
            request["InstanceMarketOptions"] = {"MarketType": "spot", "SpotOptions": options}
        try:
            with _errors(f"launching from {template_id}"):
                reservation = self.client.run_instances(**request)
        except _ApiError as error:
            if spot and error.code in SPOT_CAPACITY_ERRORS:
                raise NoSpotCapacity(error.message) from error
            raise
        return reservation["Instances"][0]["InstanceId"]

    def tags(self, instance_id: str) -> dict[str, str]:
        return {tag["Key"]: tag["Value"] for tag in self.describe(instance_id).get("Tags", [])}

    def tag(self, instance_id: str, key: str, value: str) -> None:
        with _errors(f"tagging {instance_id}"):
            self.client.create_tags(Resources=[instance_id], Tags=[{"Key": key, "Value": value}])

    def untag(self, instance_id: str, key: str, value: str) -> None:
        # With a value, EC2 deletes the tag only while it still has that value.
        with _errors(f"untagging {instance_id}"):
            self.client.delete_tags(Resources=[instance_id], Tags=[{"Key": key, "Value": value}])

    def wait(
        self,
        instance_id: str,
        ready: Callable[[dict], bool],
        *,
        what: str,
        timeout: float,
        poll: float,
        on_state: Callable[[dict], None] | None = None,
    ) -> dict:
        """Poll until ready(instance); on_state may act on each observation (start it, fail)."""
        deadline = time.monotonic() + timeout
        while True:
            instance = self.describe(instance_id)
            if ready(instance):
                return instance
            if on_state:
                on_state(instance)
            if time.monotonic() >= deadline:
                state = instance["State"]["Name"]
                address = instance.get("PublicIpAddress") or "no public IP"
                raise ReleaseError(
                    f"timed out after {timeout:g} s waiting for {instance_id} to be {what} "
                    f"(last seen: {state}, {address})"
                )
            time.sleep(min(poll, max(0.0, deadline - time.monotonic())))


class _ApiError(ReleaseError):
    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


@contextmanager
def _errors(action: str) -> Iterator[None]:
    try:
        yield
    except botocore.exceptions.ClientError as error:
        details = error.response.get("Error", {})
        code = details.get("Code", "unknown")
        raise _ApiError(
            f"EC2 refused {action}: {code}: {details.get('Message', '')}".rstrip(": "), code
        ) from error
    except botocore.exceptions.NoCredentialsError as error:
        raise UsageError(
            "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
        ) from error
    except botocore.exceptions.BotoCoreError as error:
        raise ReleaseError(f"EC2 API not usable while {action}: {error}") from error
