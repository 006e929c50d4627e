"""values.schema.json: wrong values fail `helm template`, `helm install` and `helm lint`."""

import pytest
from chart import CHART, PROJECT, helm

REJECTED = {
    "wrong type": (["--set-string", "web.replicas=two"], "web.replicas"),
    "unknown key": (["--set", "web.replica=3"], "replica"),
    "beat replicas 2": (["--set", "beat.replicas=2"], "beat.replicas"),
    "beat replicas 0": (["--set", "beat.replicas=0"], "beat.replicas"),
    "unquoted config number": (
        ["--set", "config.CELERY_TASK_TIME_LIMIT=300"],
        "CELERY_TASK_TIME_LIMIT",
    ),
    "config overriding the chart's hosts": (["--set-string", "config.MEDIA_ROOT=/srv"], "config"),
}


@pytest.mark.parametrize(("values", "named"), REJECTED.values(), ids=REJECTED.keys())
@pytest.mark.parametrize("command", ["template", "lint"])
def test_wrong_values_fail_with_a_message_naming_them(command, values, named):
    args = ["template", PROJECT, str(CHART)] if command == "template" else ["lint", str(CHART)]
    done = helm(*args, *values)
    assert done.returncode != 0
    output = done.stdout + done.stderr
    assert "values don't meet the specifications of the schema" in output, output
    assert named in output, output


def test_the_defaults_and_a_beat_replica_of_one_pass():
    done = helm("template", PROJECT, str(CHART), "--set", "beat.replicas=1")
    assert done.returncode == 0, done.stderr
